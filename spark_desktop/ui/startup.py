"""The window's start-up work, one step after another, so the window never freezes.

The steps: the chat page (its modules imported off the GUI thread, the page built in
pieces, the history opened), the other pages' modules, the look-ups of services.start
(probe, download queue, library scan, model host), then Pygments' lexers. Each step's
slow part runs on a worker and its result is shown on the GUI thread before the next
begins. Why in turn: a worker running Python makes the GUI thread wait for the
interpreter lock (GIL) at each Qt call of a slot, so building a page beside one took ten
times longer (150-280 ms stalls), and parallel workers only raced for the same cores.
"""

from __future__ import annotations

import gc
import importlib
import sys
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from spark_desktop.ui import gc_guard
from spark_desktop.ui.bridges import in_turn, run_async

PAGE_MODULES = ("discover", "downloads", "models", "server", "settings", "first_run")
#: The interpreter's switch interval while the start-up work runs: how long the GUI thread
#: may wait for the GIL at each Qt call while a worker runs Python (Python's default: 5 ms).
SWITCH_INTERVAL_S = 0.001


class Startup(QObject):
    """Runs the steps once (`begin`); `finished` when the last has answered, or when it is
    stopped before (the window closed: the process may serve on without it)."""

    finished = Signal()

    def __init__(self, window: Any) -> None:
        """`window`: the MainWindow whose work this is (its chat page, its services)."""
        super().__init__(window)
        self.window = window
        self.stopped = False  # the window closed
        self._finished = False

    def begin(self) -> None:
        window = self.window
        in_turn((window.rebuild_chat, self._import_pages, window.services.start,
                 self._load_lexers), self._finish, stopped=lambda: self.stopped)

    def stop(self) -> None:
        """The window is closing: no further step begins."""
        self.stopped = True
        self._finish()

    def _finish(self) -> None:
        if not self._finished:
            self._finished = True
            self.finished.emit()

    def _import_pages(self, then: Callable[[], None]) -> None:
        """The other pages' modules, so that a first click (or the welcome page, when the
        library scan finds no model) only builds widgets."""
        def load() -> None:
            for name in PAGE_MODULES:
                importlib.import_module(f"spark_desktop.ui.pages.{name}")

        run_async(load, lambda _: then(), lambda _exc: then(), parent=self)

    def _load_lexers(self, then: Callable[[], None]) -> None:
        """Pygments' lexers (code colours in replies); code shown before is laid out again,
        now in colour."""
        def load() -> None:
            importlib.import_module("spark_desktop.ui.chat.markdown").preload_lexers()

        def loaded(_: object) -> None:
            chat = self.window.chat
            if chat is not None:
                chat.view.message_delegate.clear_cache()
                chat.view.viewport().update()
            then()

        run_async(load, loaded, lambda _exc: then(), parent=self)



class QuietStart:
    """What the process does while the start-up work runs: no cyclic garbage collection
    (a full one, walking every object the imports made, held the GIL for 200-250 ms) and a
    short switch interval; `end()` freezes the start-up objects and restores both."""

    def __init__(self) -> None:
        self._interval = sys.getswitchinterval()
        self._gc = gc.isenabled() or gc_guard.running()
        gc.disable()
        gc_guard.pause()
        sys.setswitchinterval(SWITCH_INTERVAL_S)

    def end(self) -> None:
        """After start-up: its objects leave the collector's reach, then collection resumes,
        on the GUI thread only (ui/gc_guard.py)."""
        freeze_startup_objects()
        if self._gc:
            gc_guard.collect_on_gui_thread()
        sys.setswitchinterval(self._interval)


def freeze_startup_objects() -> None:
    """Move everything built at start-up out of the garbage collector's reach: a full
    collection walking them stalled the GUI thread for 180-270 ms mid-stream
    (benchmarks/ui_chat_bench.py). No collection first: it would stall the window as long;
    the little cyclic garbage of start-up stays."""
    gc.freeze()
