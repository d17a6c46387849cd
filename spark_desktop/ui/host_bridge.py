"""The GUI's door to the model host: the app's own ModelHost, or, when another process
(`spark-desktop serve`) already hosts this machine's models, that host over its API.

Every host call runs off the GUI thread; results come back as queued signals. Chats
take a lease per turn with `acquire()` on their own worker thread, so two chats can
talk to two models at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from spark_desktop.ui.bridges import error_text, run_async

#: How often the list of loaded models is looked at again (idle unloads, dead workers).
REFRESH_MS = 10_000


class HostBridge(QObject):
    """Signals arrive on the GUI thread; `entries` are the loaded models (host.ModelEntry)."""

    ready = Signal()
    load_started = Signal(str)          # model id
    loaded = Signal(object)             # host.ModelEntry
    load_failed = Signal(str, str)      # model id, the reason in words
    unloaded = Signal(str)              # model id
    models_changed = Signal(object)     # tuple of the loaded host.ModelEntry
    problem = Signal(str)               # a host call failed, in words

    def __init__(self, parent: QObject | None = None, host: Any = None,
                 load_options: Any = None, attach: bool = True) -> None:
        """`host`: a ModelHost (or HostClient) to use, which shutdown() leaves open; by
        default start() attaches to the machine's running host, or makes the app's own
        (loading with LoadSettings `load_options`)."""
        super().__init__(parent)
        self.host: Any = None
        self._load_options = load_options
        self._attach = attach
        self._owns = host is None
        self._starting = False
        self._waiting: list[Callable[[], None]] = []
        self._then: list[Callable[[], None]] = []
        self.entries: tuple[Any, ...] = ()
        self.loading: set[str] = set()
        self._options: dict[str, Any] = {}  # each model's last load settings, for Reload
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(self.refresh)
        if host is not None:
            self._ready(host)

    # -- state ----------------------------------------------------------------------
    @property
    def attached(self) -> bool:
        """True when the models live in another process's host (reached over its API)."""
        return self.host is not None and not hasattr(self.host, "ledger")

    @property
    def url(self) -> str:
        """Where the attached host listens ("" for the app's own)."""
        return str(getattr(self.host, "url", "")) if self.attached else ""

    @property
    def pool(self) -> int:
        """Bytes the host may fill with models (0 when not known here)."""
        ledger = getattr(self.host, "ledger", None)
        return int(ledger.pool) if ledger is not None else 0

    @property
    def memory_in_use(self) -> int:
        return sum(e.memory for e in self.entries)

    def entry(self, model_id: str | None) -> Any:
        """The loaded model `model_id`, or None."""
        return next((e for e in self.entries if e.id == model_id), None)

    # -- starting -------------------------------------------------------------------
    def start(self, then: Callable[[], None] | None = None) -> None:
        """Attach to the running host or make the app's own, off the GUI thread; `then()`
        once it is ready or failed."""
        if then is not None:
            if self.host is not None:
                then()
            else:
                self._then.append(then)
        if self.host is not None or self._starting:
            return
        self._starting = True
        options, attach = self._load_options, self._attach

        def make() -> Any:
            from spark_desktop.host import HostSettings, ModelHost, discovery

            if attach:
                client = discovery.connect()
                if client is not None:
                    return client
            host = ModelHost(HostSettings(load_options=options) if options is not None
                             else None)
            host.start_reaper()
            return host

        def failed(exc: BaseException) -> None:
            self._starting = False
            self.problem.emit(error_text(exc))
            self._started()

        run_async(make, self._ready, failed, parent=self)

    def _started(self) -> None:
        then, self._then = self._then, []
        for fn in then:
            fn()

    def _ready(self, host: Any) -> None:
        self.host = host
        self._timer.start()
        waiting, self._waiting = self._waiting, []
        for fn in waiting:
            fn()
        self.ready.emit()
        self.refresh()
        self._started()

    def _call(self, fn: Callable[[Any], Any], on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None) -> None:
        """Run `fn(host)` off the GUI thread (once the host is ready)."""
        if self.host is None:
            self._waiting.append(lambda: self._call(fn, on_done, on_error))
            self.start()
            return
        host = self.host
        run_async(lambda: fn(host), on_done, on_error or self._failed, parent=self)

    def _failed(self, exc: BaseException) -> None:
        self.problem.emit(error_text(exc))

    # -- loading --------------------------------------------------------------------
    def load(self, model_id: str, options: Any = None) -> None:
        """Load a library model beside the others (LoadSettings `options`, by default its
        last ones; an attached host loads with its own). A load that does not fit beside
        the others is refused in words."""
        if model_id in self.loading:
            return
        if options is None:
            options = self._options.get(model_id)
        self._options[model_id] = options
        self.loading.add(model_id)
        self.load_started.emit(model_id)
        attached = self.attached

        def work(host: Any) -> Any:
            return host.load(model_id) if attached else host.load(model_id, options)

        def done(entry: Any) -> None:
            self.loading.discard(model_id)
            self._merge(entry)
            self.loaded.emit(entry)
            self.refresh()

        def failed(exc: BaseException) -> None:
            self.loading.discard(model_id)
            self.load_failed.emit(model_id, error_text(exc))
            self.refresh()

        self._call(work, done, failed)

    def unload(self, model_id: str) -> None:
        """Give a model's memory back (refused in words while it answers)."""
        def done(_: object) -> None:
            self.entries = tuple(e for e in self.entries if e.id != model_id)
            self.unloaded.emit(model_id)
            self.models_changed.emit(self.entries)

        self._call(lambda host: host.unload(model_id), done)

    def refresh(self) -> None:
        """Look at the loaded models again (`models_changed` when they differ)."""
        self._call(lambda host: host.loaded(), self._set_entries, lambda _e: None)

    def _merge(self, entry: Any) -> None:
        self._set_entries(tuple(e for e in self.entries if e.id != entry.id) + (entry,))

    def _set_entries(self, entries: tuple[Any, ...]) -> None:
        entries = tuple(sorted(entries, key=lambda e: e.id.lower()))
        if entries != self.entries:
            self.entries = entries
            self.models_changed.emit(entries)

    # -- requests (worker threads) --------------------------------------------------
    def acquire(self, model_id: str) -> Any:
        """A chat client for one turn on `model_id` (host.Lease or remote.RemoteLease);
        blocks while the model's slots are busy: call it on a worker thread, release after."""
        host = self.host
        if host is None:
            from spark_desktop.host import HostError

            raise HostError("The model host is still starting; try again in a moment.")
        if self.attached:
            from spark_desktop.host.remote import RemoteLease

            return RemoteLease(host, model_id)
        return host.acquire(model_id)

    def recent(self) -> tuple[Any, ...]:
        """The last requests the app's host answered (host.Finished, oldest first); an
        attached host keeps its own log."""
        return () if self.attached or self.host is None else self.host.recent()

    def shutdown(self) -> None:
        """Unload the app's own models (the window is closing); an attached host goes on."""
        self._timer.stop()
        host, self.host = self.host, None
        if host is not None and self._owns:
            host.close()
