"""Cyclic garbage collection on the GUI thread only.

Python's collector runs on whichever thread allocates when a generation's threshold is
crossed: in this app a chat turn, the history thread or the MCP servers' event loop. A
Qt object caught in a reference cycle and collected there is destroyed on that thread
while the GUI thread may be using it, and the process crashes (tests/test_ui_chat_tools.py
crashed this way in three runs out of three; none with this guard). So while the GUI
runs, the automatic collector is off and a timer on the GUI thread collects instead,
generation by generation as CPython's own thresholds would.
"""

from __future__ import annotations

import gc
from typing import Final

from PySide6.QtCore import QCoreApplication, QObject, QTimer

INTERVAL_MS: Final = 250  # how often the counts are looked at (a look costs microseconds)

_guard: GuiThreadCollector | None = None


class GuiThreadCollector(QObject):
    """Looks at the collector's counts on a timer and collects what is due."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._timer = QTimer(self, interval=INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def resume(self) -> None:
        gc.disable()
        self._timer.start()

    def pause(self) -> None:
        self._timer.stop()

    @staticmethod
    def collect_due() -> int:
        """Collect the oldest generation whose threshold is crossed; its number, or -1."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        due = -1
        for generation in range(3):
            if counts[generation] <= thresholds[generation]:
                break
            due = generation
        if due >= 0:
            gc.collect(due)
        return due


def collect_on_gui_thread() -> GuiThreadCollector:
    """Start the guard, or resume it (one per process; it lives as long as the
    application)."""
    global _guard
    app = QCoreApplication.instance()
    assert app is not None, "the guard needs the Qt application"
    if _guard is None:
        _guard = GuiThreadCollector(app)
    _guard.resume()
    return _guard


def running() -> bool:
    """Whether the GUI thread is collecting now."""
    return _guard is not None and _guard.running


def pause() -> None:
    """No collection at all until `collect_on_gui_thread()` (the window's start-up)."""
    if _guard is not None:
        _guard.pause()
