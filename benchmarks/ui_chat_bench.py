"""Chat page figures: opening a 5,000-message conversation, and the GUI thread's longest
stall while a reply streams in at 500 tokens/s (targets: ≤ 150 ms and ≤ 30 ms).
With --compare: the Compare page with the two real test models answering together —
the GUI's longest stall and each column's worst GUI work (target ≤ 30 ms), and the
aggregate tokens/s of both together ÷ each model alone.

The stream takes the path of a real turn from the engine thread on: a background
thread writes each token through the history's StreamWriter (as chat.Turn does) and
posts the same events a turn posts to the page's relay. A 2 ms timer on the GUI thread
measures stalls: the longest gap between its ticks, minus its period.

    QT_QPA_PLATFORM=offscreen python benchmarks/ui_chat_bench.py [--tokens-per-s 500]
        [--no-gc-freeze]
    QT_QPA_PLATFORM=offscreen python benchmarks/ui_chat_bench.py --compare [--tokens 128]
        [--threads 1]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import QElapsedTimer, QTimer
from PySide6.QtWidgets import QApplication

from spark_desktop.chat import TurnFinished, TurnStarted
from spark_desktop.engine import ChatDone, TextDelta
from spark_desktop.history import HistoryStore
from spark_desktop.ui.bridges import HistoryBridge
from spark_desktop.ui.chat import ChatPage
from spark_desktop.ui.chat.markdown import preload_lexers
from spark_desktop.ui.chat.page import PAGE_SIZE
from spark_desktop.ui.host_bridge import HostBridge
from spark_desktop.ui.startup import freeze_startup_objects
from spark_desktop.ui.theme import ThemeManager
from tests.fixtures.conversations import long_conversation

TICK_MS = 2
WORDS = ("the", "model", "streams", "**bold**", "text", "`code`", "into", "a", "long", "reply,")


class GcMeter:
    """Longest pause of Python's cyclic garbage collector (it runs on whichever thread
    allocates, the GUI thread included), to tell our work from the collector's."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.worst = max(self.worst, (time.perf_counter() - self._started) * 1000)


class StallMeter:
    """Longest gap between ticks of a fast GUI-thread timer (= longest stall + period)."""

    def __init__(self) -> None:
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.clock = QElapsedTimer()
        self.last = 0
        self.worst = 0.0
        self.gaps: list[float] = []
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        self.worst = 0.0
        self.gaps = []
        self.clock.start()
        self.last = self.clock.nsecsElapsed()
        self.timer.start()

    def _tick(self) -> None:
        now = self.clock.nsecsElapsed()
        gap = (now - self.last) / 1e6 - TICK_MS
        self.gaps.append(gap)
        self.worst = max(self.worst, gap)
        self.last = now

    def p99(self) -> float:
        gaps = sorted(self.gaps)
        return max(gaps[int(len(gaps) * 0.99)] if gaps else 0.0, 0.0)

    def stop(self) -> float:
        self.timer.stop()
        return max(self.worst, 0.0)


def pump(app: QApplication, until: callable, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise TimeoutError("the page did not get there in time")
        app.processEvents()
        time.sleep(0.0005)


def token(i: int) -> str:
    if i % 97 == 96:
        return f"\n\n```python\nprint('block {i}')\n```\n\n"
    if i % 23 == 22:
        return "\n\n"
    return WORDS[i % len(WORDS)] + " "


def stream(page: ChatPage, store: HistoryStore, conv_id: str, tokens: int, rate: float) -> None:
    """What a turn does on the engine thread, paced at `rate` tokens per second."""
    user = store.add_message(conv_id, "user", "Write a long answer.")
    writer = store.begin_stream(conv_id, parent_id=user.id, model="bench")
    page._relay.post(TurnStarted(conv_id, user, writer.message))
    start = time.perf_counter()
    for i in range(tokens):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        text = token(i)
        writer.append(text)
        page._relay.post(TextDelta(text))
    done = ChatDone("length", 20, tokens, 80.0, 1000.0, rate, 0)
    reply = writer.finish("length", prompt_tokens=20, completion_tokens=tokens, ttft_ms=80.0,
                          tokens_per_s=rate)
    page._relay.post(TurnFinished(reply, done))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--tokens-per-s", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--opens", type=int, default=7)
    parser.add_argument("--no-gc-freeze", dest="gc_freeze", action="store_false",
                        help="skip the app's gc.freeze() after start-up (ui.startup does it; "
                             "without it full collections stall the GUI thread)")
    parser.add_argument("--compare", action="store_true",
                        help="measure the Compare page with the two real test models instead")
    parser.add_argument("--tokens", type=int, default=128,
                        help="with --compare: tokens each model writes")
    parser.add_argument("--threads", type=int, default=1,
                        help="with --compare: CPU threads per model")
    args = parser.parse_args()
    if args.compare:
        compare_bench(args)
        return
    app = QApplication.instance() or QApplication([])
    ThemeManager(app).apply("light")  # the app's theme and style sheet, as the window has
    preload_lexers()  # code blocks get syntax colours, as in the window (loaded at start)
    tmp = Path(tempfile.mkdtemp(prefix="ui-chat-bench-"))
    store = HistoryStore.open(tmp / "history.sqlite3", keys=None)  # plain: no keyring needed
    conv_id = long_conversation(store, args.messages)
    other = store.create_conversation("Other")
    store.add_message(other.id, "user", "hello")
    page = ChatPage(HistoryBridge(store), HostBridge())  # a host that never starts
    page.resize(1100, 760)
    page.show()
    pump(app, lambda: page.conversations.model.rowCount() == 2)
    if args.gc_freeze:
        freeze_startup_objects()
    meter = StallMeter()

    # -- baseline: the same event loop doing nothing (what the machine itself costs) ---
    meter.start()
    end = time.monotonic() + 3.0
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.0005)
    idle_stall, idle_p99 = meter.stop(), meter.p99()

    # -- opening the long conversation (switching away in between) ----------------------
    opens: list[float] = []
    open_cpu: list[float] = []
    open_stalls: list[float] = []
    for _ in range(args.opens):
        page.open_conversation(other.id)
        pump(app, lambda: page.model.conversation_id == other.id)
        page.view.message_delegate.clear_cache()  # every open is a cold one
        meter.start()
        t0, cpu0 = time.perf_counter(), time.thread_time()
        page.open_conversation(conv_id)
        pump(app, lambda: page.model.conversation_id == conv_id
             and page.model.rowCount() == PAGE_SIZE)
        page.view.viewport().repaint()  # layout and paint of the visible rows included
        opens.append((time.perf_counter() - t0) * 1000)
        open_cpu.append((time.thread_time() - cpu0) * 1000)
        app.processEvents()
        open_stalls.append(meter.stop())

    # -- streaming into it ----------------------------------------------------------------
    tokens = int(args.tokens_per_s * args.seconds)
    finished: list[object] = []
    page.reply_finished.connect(finished.append)
    page._set_busy(True)
    meter.start()
    work = {"layout": 0.0, "paint": 0.0, "layout_cpu": 0.0, "paint_cpu": 0.0}

    def watch_work() -> None:
        delegate, view = page.view.message_delegate, page.view
        for key, value in (("layout", delegate.last_layout_ms), ("paint", view.last_paint_ms),
                           ("layout_cpu", delegate.last_layout_cpu_ms),
                           ("paint_cpu", view.last_paint_cpu_ms)):
            work[key] = max(work[key], value)

    page.model.flushed.connect(lambda _row: QTimer.singleShot(0, watch_work))
    collector = GcMeter()
    feeder = threading.Thread(target=stream, args=(page, store, conv_id, tokens,
                                                   args.tokens_per_s))
    t0 = time.perf_counter()
    feeder.start()
    pump(app, lambda: bool(finished), timeout=args.seconds * 4 + 30)
    wall = time.perf_counter() - t0
    stream_stall = meter.stop()
    stream_p99 = meter.p99()
    feeder.join()
    reply = store.get_message(finished[0].id)  # type: ignore[attr-defined]
    assert page.model.message(page.model.rowCount() - 1).content == reply.content

    median_open = statistics.median(opens)
    print(f"conversation: {args.messages} messages, page of {PAGE_SIZE} shown")
    print(f"open conversation: median {median_open:.1f} ms, max {max(opens):.1f} ms "
          f"(target <= 150 ms; ratio {median_open / 150:.2f}), GUI-thread CPU median "
          f"{statistics.median(open_cpu):.1f} ms; "
          f"longest GUI stall while opening {max(open_stalls):.1f} ms")
    print(f"streaming: {tokens} tokens at {args.tokens_per_s:.0f} tok/s in {wall:.2f} s, "
          f"reply {len(reply.content)} chars; longest GUI stall {stream_stall:.1f} ms "
          f"(target <= 30 ms; ratio {stream_stall / 30:.2f}), p99 {stream_p99:.1f} ms; "
          f"worst layout of the streaming reply {work['layout']:.1f} ms wall / "
          f"{work['layout_cpu']:.1f} ms CPU, worst repaint {work['paint']:.1f} ms wall / "
          f"{work['paint_cpu']:.1f} ms CPU; "
          f"final repaint interval {page.model.flush_interval_ms} ms")
    print(f"longest garbage-collector pause while streaming: {collector.worst:.1f} ms "
          f"(gc.freeze after start-up: {'yes' if args.gc_freeze else 'no'}; "
          f"{len(gc.get_objects())} objects tracked)")
    print(f"baseline, idle event loop for 3 s: longest stall {idle_stall:.1f} ms, "
          f"p99 {idle_p99:.1f} ms (scheduling noise of this machine)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    page.close()
    store.close()


def compare_bench(args: argparse.Namespace) -> None:
    """The Compare page with Gemma 3 270M and SmolLM2-135M answering together (each its
    own worker), then each model alone through the same host, for the tokens/s ratio."""
    tmp = Path(tempfile.mkdtemp(prefix="ui-compare-bench-"))
    os.environ["SPARK_DESKTOP_DATA_DIR"] = str(tmp / "data")
    from tests.host_fixtures import GEMMA, SMOL, link_models, small_load

    os.environ["SPARK_DESKTOP_MODELS_DIR"] = str(link_models(tmp / "models"))
    from dataclasses import replace

    from spark_desktop import library
    from spark_desktop.compare import ColumnFinished, ColumnStarted
    from spark_desktop.host import HostSettings, ModelHost
    from spark_desktop.inference_settings import SamplingSettings
    from spark_desktop.ui.pages.compare import ComparePage
    from spark_desktop.ui.services import Services

    app = QApplication.instance() or QApplication([])
    ThemeManager(app).apply("light")
    models = tuple(library.scan())
    load = replace(small_load(), threads=args.threads, n_ctx=max(512, args.tokens + 128))
    host = ModelHost(HostSettings(pool_bytes=64 << 30, idle_unload_s=None, load_options=load),
                     scan=lambda: models)
    sampling = SamplingSettings(temperature=0, max_tokens=args.tokens, ignore_eos=True)
    prompt = "Tell a long story about a lighthouse."
    for name in (GEMMA, SMOL):
        host.load(name)
    services = Services(host=HostBridge(host=host))
    services.history = HistoryBridge(HistoryStore.open(tmp / "history.sqlite3", keys=None))
    services.models = models
    page = ComparePage(services)
    page.resize(1200, 800)
    page.show()
    page.sampling = sampling
    page.choose([GEMMA, SMOL])
    freeze_startup_objects()
    worst_work: dict[str, float] = {}
    from spark_desktop.ui.compare.columns import ColumnView

    for method in ("add", "flush", "finish", "loaded"):  # each column's own GUI work, timed
        original = getattr(ColumnView, method)

        def timed(column: ColumnView, *a: object, _f: object = original) -> object:
            t0 = time.perf_counter()
            try:
                return _f(column, *a)  # type: ignore[operator]
            finally:
                spent = (time.perf_counter() - t0) * 1000
                worst_work[column.model] = max(worst_work.get(column.model, 0.0), spent)

        setattr(ColumnView, method, timed)
    spans: dict[int, list[float]] = {}

    def on_event(event: object) -> None:
        if isinstance(event, ColumnStarted):
            spans[event.column] = [time.perf_counter()]
        elif isinstance(event, ColumnFinished):
            spans[event.column].append(time.perf_counter())

    page.relay.event.connect(on_event)
    finished: list[bool] = []
    page.turn_finished.connect(lambda: finished.append(True))
    meter = StallMeter()
    meter.start()  # baseline: the idle event loop (this machine's scheduling noise)
    end = time.monotonic() + 3.0
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.0005)
    idle_stall, idle_p99 = meter.stop(), meter.p99()
    page.prompt.setText(prompt)
    meter.start()
    page.send()
    pump(app, lambda: bool(finished), timeout=600)
    stall, p99 = meter.stop(), meter.p99()
    together = args.tokens * len(spans) / (max(s[1] for s in spans.values())
                                       - min(s[0] for s in spans.values()))
    alone = {}
    for name in (GEMMA, SMOL):
        with host.acquire(name) as lease:
            t0 = time.perf_counter()
            done = [e for e in lease.chat([{"role": "user", "content": prompt}], sampling)
                    if isinstance(e, ChatDone)][-1]
            alone[name] = done.completion_tokens / (time.perf_counter() - t0)
    print(f"compare: {GEMMA} and {SMOL} together, {args.tokens} tokens each, "
          f"{args.threads} thread(s) per model")
    print(f"longest GUI stall while both stream {stall:.1f} ms (target <= 30 ms; ratio "
          f"{stall / 30:.2f}), p99 {p99:.1f} ms; worst GUI work per column: "
          + ", ".join(f"{m} {ms:.1f} ms" for m, ms in worst_work.items()))
    print(f"aggregate together {together:.1f} tok/s; alone "
          + ", ".join(f"{m} {r:.1f} tok/s (together ÷ alone {together / r:.2f})"
                      for m, r in alone.items())
          + f"; together ÷ sum of alone {together / sum(alone.values()):.2f}")
    print(f"baseline, idle event loop for 3 s: longest stall {idle_stall:.1f} ms, "
          f"p99 {idle_p99:.1f} ms (scheduling noise of this machine)")
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    page.close()
    host.close()
    services.history.shutdown()


if __name__ == "__main__":
    main()
