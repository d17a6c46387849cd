"""What the pages share: settings, this machine, the library, downloads and the engine.

One instance per window. Every slow look-up (hardware probe, library scan) runs off
the GUI thread through bridges.run_async; results arrive as signals.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from spark_desktop import settings as settings_mod
from spark_desktop.ui.bridges import DownloadsBridge, EngineBridge, error_text, run_async


class Services(QObject):
    settings_changed = Signal(object)   # settings.Settings
    machine_ready = Signal(object)      # hardware.Machine
    library_changed = Signal(object)    # tuple of library models
    problem = Signal(str)          # a start-up look-up failed, in words

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings_mod.load()
        self.machine: Any = None
        self.target: Any = None
        self.models: tuple[Any, ...] = ()
        self.engine = EngineBridge(self)
        self.downloads = DownloadsBridge(self)
        self.downloads.finished.connect(lambda _item: self.refresh_library())

    def start(self) -> None:
        """Begin the slow look-ups; the window is already usable meanwhile."""
        target = self.settings.target
        run_async(lambda: _probe(target), self._machine_probed,
                  lambda exc: self.problem.emit(error_text(exc)), parent=self)
        self.refresh_library()
        self.downloads.start()

    # -- machine --------------------------------------------------------------------
    def _machine_probed(self, result: tuple[Any, Any]) -> None:
        self.machine, self.target = result
        self.machine_ready.emit(self.machine)

    @property
    def pool_bytes(self) -> int:
        """The memory pool a model loads into (0 until the probe has answered)."""
        return int(self.target.total_bytes) if self.target is not None else 0

    # -- library --------------------------------------------------------------------
    def refresh_library(self) -> None:
        run_async(_scan, self._library_scanned,
                  lambda exc: self.problem.emit(error_text(exc)), parent=self)

    def _library_scanned(self, models: tuple[Any, ...]) -> None:
        self.models = tuple(models)
        self.library_changed.emit(self.models)

    # -- settings -------------------------------------------------------------------
    def update_settings(self, new: settings_mod.Settings) -> None:
        """Keep and save new settings (a small JSON file: fast enough for the GUI thread)."""
        dirs_changed = new.extra_model_dirs != self.settings.extra_model_dirs
        self.settings = new
        settings_mod.save(new)
        self.settings_changed.emit(new)
        if dirs_changed:
            self.refresh_library()

    def shutdown(self) -> None:
        self.downloads.shutdown()
        self.engine.shutdown()


def _probe(target: str) -> tuple[Any, Any]:
    """This machine, and the target estimates are made for (settings.target, "this" by default)."""
    from spark_desktop import hardware

    machine = hardware.probe()
    return machine, hardware.resolve_target(target, machine)


def _scan() -> tuple[Any, ...]:
    from spark_desktop import library

    return library.scan()
