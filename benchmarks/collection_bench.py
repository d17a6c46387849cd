"""Collections: how long keeping a folder indexed takes (documents.collections.sync).

A folder of --files text files (Zipf-distributed words, ~--words each, in nested
subfolders) is made a collection in an encrypted history, and synced with the real test
model (SmolLM2-135M, --threads, 1 by default) as the embedder:

1. first sync: every file read, chunked, embedded and stored (files/s, passages/s);
2. re-sync of the unchanged folder without stamps (every file read and hashed, as the
   command line does) and with the watcher's stamps (size + mtime only);
3. one file changed: the re-sync the window's watcher runs after it (with stamps).

    python benchmarks/collection_bench.py              # 300 files (a minute or two)
    python benchmarks/collection_bench.py --files 50   # quick look
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.history_bench import MemoryKeyring, TextSource, vocabulary
from spark_desktop.documents.collections import Stamps, sync
from spark_desktop.documents.index import DocumentIndex
from spark_desktop.engine import Client
from spark_desktop.history import HistoryStore
from spark_desktop.history.keys import KeySource
from spark_desktop.inference_settings import LoadSettings
from tests.fixtures.real_model import smollm2_path


def make_folder(root: Path, files: int, words: int, text: TextSource) -> list[Path]:
    paths = []
    for n in range(files):
        path = root / f"part{n % 7}" / f"sub{n % 3}" / f"note{n:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [text.words(12) for _ in range(max(1, words // 12))]
        path.write_text(f"# Note {n}\n\n" + "\n".join(lines) + "\n")
        paths.append(path)
    return paths


def timed(label: str, index: DocumentIndex, folder: Path, stamps: Stamps | None) -> float:
    started = time.perf_counter()
    report = sync(index, folder, stamps=stamps)
    seconds = time.perf_counter() - started
    print(f"{label}: {seconds * 1000:.0f} ms ({report.summary()})")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=300)
    parser.add_argument("--words", type=int, default=120)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    text = TextSource(vocabulary(20_000, random.Random(5)), seed=5)
    keys = KeySource(keyring=MemoryKeyring())
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "notes"
        files = make_folder(folder, args.files, args.words, text)
        client = Client(log_path=Path(tmp) / "engine.log")
        client.load(smollm2_path(), LoadSettings(n_ctx=512, n_batch=512, n_ubatch=512,
                                                 flash_attn="off", threads=args.threads))
        embedded = 0

        def embed(texts: Sequence[str]) -> Sequence[Sequence[float]]:
            nonlocal embedded
            embedded += len(texts)
            return client.embed(texts).vectors

        try:
            with HistoryStore.open(Path(tmp) / "history.sqlite3", keys) as store:
                store.collections.create("notes", str(folder.resolve()), "")
                index = DocumentIndex(store.documents, embed, "SmolLM2-135M-Instruct.Q4_1")
                stamps: Stamps = {}
                first = timed("first sync", index, folder, stamps)
                print(f"  {args.files / first:.1f} files/s, {embedded / first:.1f} passages/s "
                      f"({embedded} passages, threads={args.threads})")
                timed("unchanged, read and hashed", index, folder, None)
                timed("unchanged, with stamps", index, folder, stamps)
                files[len(files) // 2].write_text("# Changed\n\nA new line of text.\n")
                timed("one file changed, with stamps", index, folder, stamps)
        finally:
            client.close()


if __name__ == "__main__":
    main()
