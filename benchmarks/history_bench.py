"""History store at scale: search latency, opening a long conversation, streaming cost, size.

Generates a history (default 1,000,000 messages in 20,000 conversations, one of them
10,000 messages long) in a temporary folder through the store's own bulk import (one
transaction, the search index built once at the end: `index_after`; 1M encrypted messages
took 126 s on a busy shared 2-core machine), then prints measured figures next to the
targets of issue 4:

    search p95 <= 30 ms, visible page of a 10,000-message conversation <= 50 ms,
    streaming persistence < 1 % of decode time, and bytes per message.

By default it builds the same history twice, plaintext and encrypted (SQLCipher, a random
key in an in-memory keyring), and compares them (issue 16: the targets hold encrypted).

    python benchmarks/history_bench.py                 # full size, both (several minutes)
    python benchmarks/history_bench.py --messages 50000  # quick look
    python benchmarks/history_bench.py --mode encrypted
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from keyring.backend import KeyringBackend

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spark_desktop.history import Conversation, HistoryStore, Message
from spark_desktop.history.keys import KeySource
from spark_desktop.history.rows import new_id, to_datetime

COMMON = [
    "the", "and", "to", "of", "a", "in", "is", "it", "you", "that", "for", "on", "with",
    "this", "be", "are", "as", "can", "model", "memory", "python", "error", "file", "data",
    "code", "use", "how", "what", "why", "please", "thanks", "function", "value",
]
SYLLABLES = ["ka", "ri", "to", "na", "mo", "se", "lu", "pe", "di", "ga", "vo", "zu", "shi",
             "te", "ra", "ne", "ko", "mi", "ba", "lo", "fu", "ye", "chi"]


def vocabulary(size: int, rng: random.Random) -> np.ndarray:
    words = set(COMMON)
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    ordered = COMMON + sorted(words - set(COMMON), key=lambda w: rng.random())
    return np.array(ordered, dtype=object)


class MemoryKeyring(KeyringBackend):
    """A keyring in this process: the bench measures SQLCipher, not the Secret Service."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


class TextSource:
    """Zipf-distributed words (rank^-1.07), like natural language, drawn in big blocks."""

    def __init__(self, vocab: np.ndarray, seed: int) -> None:
        self.vocab = vocab
        weights = 1.0 / np.arange(1, len(vocab) + 1) ** 1.07
        self.cdf = np.cumsum(weights / weights.sum())
        self.gen = np.random.default_rng(seed)
        self.block = np.empty(0, dtype=object)
        self.pos = 0

    def words(self, count: int) -> str:
        if self.pos + count > len(self.block):
            draws = np.searchsorted(self.cdf, self.gen.random(4_000_000))
            self.block = self.vocab[np.minimum(draws, len(self.vocab) - 1)]
            self.pos = 0
        text = " ".join(self.block[self.pos:self.pos + count].tolist())
        self.pos += count
        return text


def conversations(total_messages: int, n_conversations: int, long_length: int,
                  source: TextSource, rng: random.Random,
                  ) -> Iterator[tuple[Conversation, list[Message]]]:
    """Chat-shaped data: alternating turns, short questions, longer answers, some retries."""
    base_ms = 1_600_000_000_000
    rest = total_messages - long_length
    sizes = [long_length] + [rest // (n_conversations - 1)] * (n_conversations - 1)
    sizes[-1] += rest - sum(sizes[1:])
    for index, size in enumerate(sizes):
        conv_id = new_id()
        stamp = base_ms + index * 600_000
        messages: list[Message] = []
        parent: Message | None = None
        for turn in range(size):
            role = "assistant" if parent is not None and parent.role == "user" else "user"
            length = rng.randint(4, 30) if role == "user" else rng.randint(20, 160)
            msg = Message(
                id=new_id(), conversation_id=conv_id,
                parent_id=parent.id if parent else None, role=role,
                content=source.words(length), created_at=to_datetime(stamp + turn * 1000),
                depth=parent.depth + 1 if parent else 0,
                model=None if role == "user" else "org/model-GGUF:Q4_K_M",
                finish_reason=None if role == "user" else "stop",
                completion_tokens=None if role == "user" else length * 2,
                tokens_per_s=None if role == "user" else 40.0)
            messages.append(msg)
            if role == "user" or rng.random() >= 0.05:  # else: an answer later regenerated
                parent = msg
        title = messages[0].content[:60] if messages else ""
        yield (Conversation(id=conv_id, title=title, created_at=to_datetime(stamp),
                            updated_at=to_datetime(stamp + size * 1000),
                            model="org/model-GGUF:Q4_K_M",
                            sampling_settings={"temperature": 0.7},
                            active_leaf_id=parent.id if parent else None), messages)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def queries(vocab: np.ndarray, rng: random.Random, count: int) -> list[str]:
    """Varied: frequent, middling and rare words, 1-3 words, misses, hostile text, and
    prefixes typed so far (marked with a trailing "…", searched with prefix=True)."""
    picks: list[str] = []
    bands = [(0, 30), (30, 300), (300, 3000), (3000, len(vocab))]
    for i in range(count):
        kind = i % 8
        band = bands[i % len(bands)]
        word = lambda b=band: str(vocab[rng.randrange(*b)])
        if kind < 3:
            picks.append(word())
        elif kind < 5:
            picks.append(f"{word(bands[rng.randrange(1, 4)])} {word(bands[rng.randrange(2, 4)])}")
        elif kind == 5:
            picks.append(f"{word(bands[2])} {word(bands[3])} {word(bands[3])}")
        elif kind == 6:
            picks.append(word(bands[rng.randrange(1, 4)])[:4] + "…")  # typed so far: a prefix
        else:
            picks.append(rng.choice(['"unterminated', "NEAR(x y", "zzzqqq nothing",
                                     "a:b OR c*", "<script>", "🎉"]))
    return picks


def build(db: Path, keys: KeySource | None, total: int, n_conv: int, long_length: int,
          vocab: np.ndarray, rng: random.Random) -> str:
    """Generate the history through the store's bulk import; returns the long chat's id."""
    store = HistoryStore.open(db, keys=keys)
    started = time.perf_counter()
    source = TextSource(vocab, 7)
    long_id = ""
    content_bytes = 0

    def generated() -> Iterator[tuple[Conversation, list[Message]]]:
        nonlocal long_id, content_bytes
        for conv, messages in conversations(total, n_conv, long_length, source, rng):
            long_id = long_id or conv.id
            content_bytes += sum(len(m.content.encode()) for m in messages)
            yield conv, messages

    result = store.import_records(generated(), batch_messages=100_000, index_after=True)
    build_s = time.perf_counter() - started
    store.close()
    size = db.stat().st_size
    print(f"generated {result.messages:,} messages in {result.imported:,} conversations "
          f"in {build_s:.1f} s ({result.messages / build_s:,.0f} messages/s, FTS included)")
    print(f"database: {size / 1e6:,.1f} MB = {size / result.messages:,.0f} bytes/message "
          f"(message text itself: {content_bytes / result.messages:,.0f} bytes/message)")
    return long_id


def measure(label: str, db: Path, keys: KeySource | None, long_id: str, vocab: np.ndarray,
            args: argparse.Namespace) -> dict[str, float]:
    """Search, open and streaming figures for one database; printed and returned."""
    rng = random.Random(7)
    source = TextSource(vocab, 11)
    print(f"-- {label}")
    started = time.perf_counter()
    store = HistoryStore.open(db, keys=keys)
    figures = {"open_db_ms": (time.perf_counter() - started) * 1000}
    print(f"open the database: {figures['open_db_ms']:.1f} ms")

    times: dict[bool, list[float]] = {False: [], True: []}
    hits = 0
    for query in queries(vocab, rng, args.queries):
        prefix = query.endswith("…")
        t0 = time.perf_counter()
        hits += len(store.search(query.rstrip("…"), limit=20, prefix=prefix))
        times[prefix].append((time.perf_counter() - t0) * 1000)
    words, typed = times[False], times[True]
    p95 = figures["search_p95_ms"] = percentile(words, 95)
    print(f"search over {len(words)} word queries: p50 {percentile(words, 50):.1f} ms, "
          f"p95 {p95:.1f} ms, max {max(words):.1f} ms ({hits} hits in all) "
          f"-> target p95 <= 30 ms: {'ok' if p95 <= 30 else 'MISSED'}")
    if typed:
        figures["prefix_p95_ms"] = percentile(typed, 95)
        print(f"search-as-you-type ({len(typed)} prefix queries, opt-in): p50 "
              f"{percentile(typed, 50):.1f} ms, p95 {percentile(typed, 95):.1f} ms, "
              f"max {max(typed):.1f} ms")

    opens = []
    for _ in range(30):
        fresh = HistoryStore.open(db, keys=keys)  # a cold-ish open, like clicking the chat
        t0 = time.perf_counter()
        page = fresh.messages_page(long_id, limit=50)
        opens.append((time.perf_counter() - t0) * 1000)
        fresh.close()
    depth = page.messages[-1].depth + 1
    t0 = time.perf_counter()
    older = store.messages_page(long_id, before_id=page.messages[0].id, limit=50)
    scroll_ms = (time.perf_counter() - t0) * 1000
    p95 = figures["open_conversation_p95_ms"] = percentile(opens, 95)
    print(f"open a {depth:,}-message conversation (last 50): median "
          f"{statistics.median(opens):.1f} ms, p95 {p95:.1f} ms; next page up "
          f"{scroll_ms:.1f} ms ({len(older.messages)} msgs) -> target <= 50 ms: "
          f"{'ok' if p95 <= 50 else 'MISSED'}")

    conv = store.create_conversation(model="bench")
    store.add_message(conv.id, "user", "write a long story")
    writer = store.begin_stream(conv.id, model="bench", flush_interval=0.5)
    tokens_per_s = 25.0
    n_tokens = int(args.stream_seconds * tokens_per_s)
    in_store = 0.0
    flushes = 0
    started = time.perf_counter()
    for i in range(n_tokens):
        delta = source.words(1) + " "
        t0 = time.perf_counter()
        flushes += writer.append(delta)
        in_store += time.perf_counter() - t0
        time.sleep(max(0.0, started + (i + 1) / tokens_per_s - time.perf_counter()))
    t0 = time.perf_counter()
    writer.finish("stop", completion_tokens=n_tokens)
    in_store += time.perf_counter() - t0
    wall = time.perf_counter() - started
    share = figures["stream_share_pct"] = in_store / wall * 100
    figures["flush_ms"] = in_store / max(flushes, 1) * 1000
    print(f"streaming {n_tokens} tokens at {tokens_per_s:.0f} tok/s: {flushes} flushes, "
          f"{in_store * 1000:.1f} ms in the store over {wall:.1f} s = {share:.3f} % of decode "
          f"time ({figures['flush_ms']:.2f} ms per flush) -> target < 1 %: "
          f"{'ok' if share < 1 else 'MISSED'}")
    store.close()
    return figures


def compare(plain: dict[str, float], encrypted: dict[str, float]) -> None:
    print("-- encrypted vs plain")
    for name, value in plain.items():
        other = encrypted.get(name)
        if other is not None:
            change = (other - value) / value * 100 if value else 0.0
            print(f"{name:>26}: plain {value:9.2f}  encrypted {other:9.2f}  ({change:+.0f} %)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=None,
                        help="default: messages / 50")
    parser.add_argument("--stream-seconds", type=float, default=20.0)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--mode", choices=("both", "plain", "encrypted"), default="both")
    parser.add_argument("--keep", type=Path, help="build the databases here and keep them")
    args = parser.parse_args()
    n_conv = args.conversations or max(2, args.messages // 50)
    long_length = min(10_000, args.messages // 4)
    vocab = vocabulary(50_000, random.Random(7))
    folder = args.keep or Path(tempfile.mkdtemp(prefix="history-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    modes = ("plain", "encrypted") if args.mode == "both" else (args.mode,)
    results = {}
    for mode in modes:
        keys = KeySource(keyring=MemoryKeyring()) if mode == "encrypted" else None
        db = folder / f"history-{mode}.sqlite3"
        print(f"== {mode}")
        long_id = build(db, keys, args.messages, n_conv, long_length, vocab, random.Random(7))
        results[mode] = measure(mode, db, keys, long_id, vocab, args)
    if len(results) == 2:
        compare(results["plain"], results["encrypted"])
        started = time.perf_counter()
        KeySource(passphrase="a passphrase").new_record()
        print(f"passphrase unlock (scrypt n=2^15, r=8): "
              f"{(time.perf_counter() - started) * 1000:.0f} ms, once per start")
    if args.keep is None:
        shutil.rmtree(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
