"""Cold start of the GUI to a shown, usable window, and its idle memory, without a model.

Each run is a fresh Python process (nothing cached in memory from a previous run) with
private data/models folders. "Usable" means the window is shown and its event loop is
running (a zero-delay timer fired after show()). The window is made as the app makes it
(ui.app.show_window). The longest GUI-thread stall is watched from then until the start-up
work (chat page and history, page imports, hardware probe, download queue, library scan,
model host, Pygments' lexers) has finished, and at least --idle-ms; idle RSS is read then.
A bare PySide6 window is measured in the same run as the floor. Python may write its
bytecode caches (PYTHONDONTWRITEBYTECODE is dropped): the warm-up run compiles, as
installing the package does, so the runs measure an installed app, not a first compile.

    python benchmarks/ui_bench.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START_TARGET_S = 1.0
RSS_TARGET_MB = 200

APP = r"""
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from spark_desktop.ui.app import show_window
app = QApplication(sys.argv[:1])
window = show_window(app)
shown = time.perf_counter()
ticks = [0.0, 0.0]  # last tick, longest gap: how long the GUI thread was ever busy
def tick():
    now = time.perf_counter()
    if ticks[0]:
        ticks[1] = max(ticks[1], now - ticks[0])
    ticks[0] = now
timer = QTimer(interval=5)
timer.timeout.connect(tick)
watched = [False, False]  # idle time passed, start-up work finished
def ready():
    print("READY", flush=True)
    timer.start()
    QTimer.singleShot(int(sys.argv[1]), lambda: done(0))
def started():
    print("STARTED", time.perf_counter() - shown, flush=True)
    QTimer.singleShot(300, lambda: done(1))  # its last results shown
window.startup.finished.connect(started)
def done(which):
    watched[which] = True
    if all(watched):
        idle()
def idle():
    import psutil
    print("STALL", ticks[1], flush=True)
    print("RSS", psutil.Process().memory_info().rss, flush=True)
    window.close()
    app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""

BARE = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1180, 760)
window.show()
def ready():
    print("READY", flush=True)
    import psutil
    print("RSS", psutil.Process().memory_info().rss, flush=True)
    app.quit()
QTimer.singleShot(0, ready)
app.exec()
"""


STARTUP_WORK: list[float] = []  # seconds from show() to the end of the start-up work


def one_run(code: str, idle_ms: int) -> tuple[float, int, float]:
    """(seconds from spawn to READY, RSS bytes when idle, longest GUI stall in seconds
    while the start-up work ran; 0 for the bare window)."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "passphrase").write_text("bench\n")  # encrypted history, no keyring needed
        env = dict(os.environ, QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                   SPARK_DESKTOP_DATA_DIR=f"{tmp}/data", SPARK_DESKTOP_MODELS_DIR=f"{tmp}/models",
                   HF_HOME=f"{tmp}/hf", HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT),
                   SPARK_DESKTOP_PASSPHRASE_FILE=f"{tmp}/passphrase")
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", code, str(idle_ms)], env=env,
                                stdout=subprocess.PIPE, text=True, cwd=ROOT)
        assert proc.stdout is not None
        ready = rss = None
        stall = 0.0
        for line in proc.stdout:
            if line.startswith("READY") and ready is None:
                ready = time.perf_counter() - start
            elif line.startswith("STARTED"):
                STARTUP_WORK.append(float(line.split()[1]))
            elif line.startswith("STALL"):
                stall = float(line.split()[1])
            elif line.startswith("RSS"):
                rss = int(line.split()[1])
        proc.wait(timeout=60)
        if ready is None or rss is None:
            raise SystemExit(f"the app did not report (exit code {proc.returncode})")
        return ready, rss, stall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle-ms", type=int, default=3000,
                        help="watch at least this long (and until the start-up work is done)")
    args = parser.parse_args()
    one_run(APP, 100)  # warm the disk cache: we measure process start, not a cold disk
    STARTUP_WORK.clear()
    app = [one_run(APP, args.idle_ms) for _ in range(args.runs)]
    bare = [one_run(BARE, 0) for _ in range(args.runs)]
    app_t = [t for t, _, _ in app]
    bare_t = [t for t, _, _ in bare]
    rss = max(r for _, r, _ in app) / 1e6
    print(f"runs: {args.runs} (fresh process each, QT_QPA_PLATFORM="
          f"{os.environ.get('QT_QPA_PLATFORM', 'offscreen')}, bytecode caches written)")
    print(f"cold start to usable window: median {statistics.median(app_t):.3f} s, "
          f"min {min(app_t):.3f} s, max {max(app_t):.3f} s "
          f"(target <= {START_TARGET_S:.1f} s: {statistics.median(app_t) / START_TARGET_S:.2f}x)")
    print(f"bare PySide6 window (floor):  median {statistics.median(bare_t):.3f} s; "
          f"app / bare = {statistics.median(app_t) / statistics.median(bare_t):.2f}")
    print(f"idle RSS without a model: max {rss:.0f} MB "
          f"(target <= {RSS_TARGET_MB} MB: {rss / RSS_TARGET_MB:.2f}x); "
          f"bare window {max(r for _, r, _ in bare) / 1e6:.0f} MB")
    stalls = sorted(s * 1000 for _, _, s in app)
    print(f"start-up work done {statistics.median(STARTUP_WORK):.2f} s after show() (median)")
    print(f"longest GUI-thread stall while the start-up work runs (chat page and history, "
          f"page imports, probe, downloads, scan, host, lexers; watched until it is done, at "
          f"least {args.idle_ms} ms): median {statistics.median(stalls):.0f} ms, "
          f"max {stalls[-1]:.0f} ms")
    print(f"machine load (1/5/15 min): {Path('/proc/loadavg').read_text().split()[:3]}")


if __name__ == "__main__":
    main()
