"""The chat's handle on the engine: the window's EngineBridge or a bare engine.Client.

With the bridge, a turn runs on the bridge's single engine thread, in order with loads
and unloads, and the bridge's `loaded` / `died` / `unloaded` signals reach the page.
With a bare Client (tests, tools), the link gives it a thread of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from spark_desktop.engine.events import LoadedModel
from spark_desktop.ui.bridges import run_async


class EngineLink(QObject):
    """`state_changed` whenever a model is loaded, unloaded or its worker died."""

    state_changed = Signal()
    died = Signal(str)

    def __init__(self, engine: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._bridge = hasattr(engine, "submit")
        self._threads: QThreadPool | None = None
        if self._bridge:
            for name in ("loaded", "unloaded", "load_failed"):
                signal = getattr(engine, name, None)
                if signal is not None:
                    signal.connect(lambda *_: self.state_changed.emit())
            if getattr(engine, "died", None) is not None:
                engine.died.connect(self._died)
        else:
            self._threads = QThreadPool(self)
            self._threads.setMaxThreadCount(1)
            self._threads.setExpiryTimeout(-1)

    @property
    def client(self) -> Any:
        return self.engine.client if self._bridge else self.engine

    @property
    def loaded(self) -> LoadedModel | None:
        """The model a message would go to now (None: nothing loaded, or the worker died)."""
        if self._bridge:
            return getattr(self.engine, "current", None)
        return self.engine.loaded

    def model_name(self) -> str | None:
        name = getattr(self.engine, "model_name", "") if self._bridge else ""
        loaded = self.loaded
        if not name and loaded is not None:
            name = Path(loaded.info.path).name
        return name or None

    def submit(self, fn: Callable[[Any], Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None) -> None:
        """Run `fn(client)` off the GUI thread; results come back on the GUI thread."""
        if self._bridge:
            self.engine.submit(fn, on_done, on_error)
        else:
            client = self.engine
            run_async(lambda: fn(client), on_done, on_error, parent=self, threads=self._threads)

    def cancel(self) -> None:
        self.client.cancel()

    def wait(self, ms: int = 5000) -> None:
        """Let a running turn end (tests, closing): only for the link's own thread."""
        if self._threads is not None:
            self._threads.waitForDone(ms)

    def _died(self, reason: str) -> None:
        self.died.emit(reason)
        self.state_changed.emit()
