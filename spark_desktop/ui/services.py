"""What the pages share: settings, this machine, the library, downloads, the model host
and the history.

One instance per window. Every slow look-up (hardware probe, library scan) runs off
the GUI thread through bridges.run_async; results arrive as signals. History calls all
go through `history`, the one thread that reads and writes the database.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from spark_desktop import settings as settings_mod
from spark_desktop.ui.bridges import DownloadsBridge, HistoryBridge, error_text, run_async
from spark_desktop.ui.host_bridge import HostBridge


class Services(QObject):
    settings_changed = Signal(object)   # settings.Settings
    machine_ready = Signal(object)      # hardware.Machine
    library_changed = Signal(object)    # tuple of library models
    problem = Signal(str)          # a start-up look-up failed, in words

    def __init__(self, parent: QObject | None = None, host: HostBridge | None = None) -> None:
        """`host`: the model host to use (tests); by default the app attaches to the
        machine's running host, or holds its own."""
        super().__init__(parent)
        self.settings = settings_mod.load()
        self.machine: Any = None
        self.target: Any = None        # what estimates plan for (settings.target)
        self.local: Any = None         # this machine's pools, whatever the plan
        self.models: tuple[Any, ...] = ()
        self.host = host or HostBridge(self, load_options=self.settings.load)
        self.host.problem.connect(self.problem)
        self.history = HistoryBridge(parent=self)
        self.downloads = DownloadsBridge(self)
        self.downloads.finished.connect(lambda _item: self.refresh_library())

    def start(self) -> None:
        """Begin the slow look-ups; the window is already usable meanwhile."""
        target = self.settings.target
        run_async(lambda: _probe(target), self._machine_probed,
                  lambda exc: self.problem.emit(error_text(exc)), parent=self)
        self.refresh_library()
        self.downloads.start()
        self.host.start()

    # -- machine --------------------------------------------------------------------
    def _machine_probed(self, result: tuple[Any, Any, Any]) -> None:
        self.machine, self.target, self.local = result
        self.machine_ready.emit(self.machine)

    @property
    def pool_bytes(self) -> int:
        """The planning target's memory, what fit estimates are checked against (0 until
        the probe has answered)."""
        return int(self.target.total_bytes) if self.target is not None else 0

    @property
    def local_pool_bytes(self) -> int:
        """The memory this machine offers a model, where the loaded model really runs
        (0 until the probe has answered)."""
        return int(self.local.total_bytes) if self.local is not None else 0

    @property
    def plans_elsewhere(self) -> bool:
        """True when estimates are made for another machine than this one (a Spark…)."""
        return self.target is not None and self.target.name != "this"

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
        self.host.shutdown()
        self.history.shutdown()


def _probe(target: str) -> tuple[Any, Any, Any]:
    """This machine, the target estimates are made for (settings.target, "this" by
    default), and this machine as a target (what the loaded model really uses)."""
    from spark_desktop import hardware

    machine = hardware.probe()
    local = hardware.resolve_target("this", machine)
    planned = local if target.strip().lower() == "this" else \
        hardware.resolve_target(target, machine)
    return machine, planned, local


def _scan() -> tuple[Any, ...]:
    from spark_desktop import library

    return library.scan()
