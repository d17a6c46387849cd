"""Bridges between the Qt-free core and the GUI thread.

The core blocks (network, disk scans, the engine, SQLite); the GUI must not. These
bridges run core calls on worker threads and deliver results, exceptions and events
back to the GUI thread by queued signals, so a slot never waits on I/O. Two kinds of
work are serial: the engine's (EngineBridge, one thread per engine) and the history's
(HistoryBridge over history.runner, one thread for the app).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QCoreApplication,
    QObject,
    QRunnable,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)

#: Fixed sentences of the Qt-free core's errors that the window shows often, marked for
#: translation here (the core has no catalogue): error_text looks each error's sentence up
#: in the context "errors", so any sentence listed gets its translation, others stay English.
CORE_SENTENCES = (
    QT_TRANSLATE_NOOP("errors", "You are offline; search needs the internet. Your models and "
                      "chats still work."),
    QT_TRANSLATE_NOOP("errors", "You are offline; listing a repository's files needs the "
                      "internet. Your models and chats still work."),
    QT_TRANSLATE_NOOP("errors", "You are offline; the model card needs the internet."),
)


class Call(QObject):
    """One call running off the GUI thread; `done`/`failed` arrive on the GUI thread."""

    done = Signal(object)
    failed = Signal(object)  # the exception instance

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.finished = False


class _Job(QRunnable):
    def __init__(self, call: Call, fn: Callable[[], Any]) -> None:
        super().__init__()
        self._call = call
        self._fn = fn

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # noqa: BLE001 (delivered to the GUI, shown in words)
            self._emit(self._call.failed, exc)
        else:
            self._emit(self._call.done, result)

    @staticmethod
    def _emit(signal: Any, value: object) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the receiver (a closed page) is gone: nobody to tell
            pass


_pending: set[Call] = set()


def pool() -> QThreadPool:
    """The pool the GUI's background calls share (a few threads; I/O bound work)."""
    p = QThreadPool.globalInstance()
    if p.maxThreadCount() < 4:
        p.setMaxThreadCount(4)
    return p


def run_async(fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None,
              parent: QObject | None = None, threads: QThreadPool | None = None) -> Call:
    """Run `fn()` on a worker thread; call `on_done(result)` or `on_error(exc)` on the GUI thread.

    With a `parent`, the delivery is dropped when the parent is destroyed first;
    `threads` picks another pool (the engine's single thread serialises its calls).
    """
    call = _call(on_done, on_error, parent)
    (threads or pool()).start(_Job(call, fn))
    return call


def _call(on_done: Callable[[Any], None] | None, on_error: Callable[[BaseException], None] | None,
          parent: QObject | None) -> Call:
    """A Call whose results reach `on_done` / `on_error` on the GUI thread."""
    call = Call(parent)
    _pending.add(call)

    def finish(_: object = None) -> None:
        call.finished = True
        _pending.discard(call)

    if on_done is not None:
        call.done.connect(on_done, Qt.ConnectionType.QueuedConnection)
    if on_error is not None:
        call.failed.connect(on_error, Qt.ConnectionType.QueuedConnection)
    call.done.connect(finish, Qt.ConnectionType.QueuedConnection)
    call.failed.connect(finish, Qt.ConnectionType.QueuedConnection)
    return call


def serial_pool(parent: QObject) -> QThreadPool:
    """A pool of one thread that never expires: its calls run in the order submitted."""
    threads = QThreadPool(parent)
    threads.setMaxThreadCount(1)
    threads.setExpiryTimeout(-1)
    return threads


class HistoryBridge(QObject):
    """The GUI's one door to the history (anki's QueryOp): `run(op)` runs `op(store)` on
    the app's history thread, in the order asked, and delivers the result or the error
    on the GUI thread. Pages never hold a thread of their own for the database."""

    def __init__(self, store: Any = None, parent: QObject | None = None) -> None:
        from spark_desktop.history.runner import HistoryRunner

        super().__init__(parent)
        self.runner = HistoryRunner(store)

    def run(self, op: Callable[[Any], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[BaseException], None] | None = None,
            parent: QObject | None = None) -> Call:
        """Queue `op(store)`; with a `parent`, the delivery is dropped once it is gone."""
        call = _call(on_done, on_error, parent or self)
        self.runner.submit(op).add_done_callback(lambda future: _deliver(call, future))
        return call

    def shutdown(self) -> None:
        """Finish the queued calls and close the store (the window is closing)."""
        self.runner.close()


def _deliver(call: Call, future: Future[Any]) -> None:
    exc = future.exception()
    _Job._emit(call.failed if exc is not None else call.done,
               exc if exc is not None else future.result())


class EventRelay(QObject):
    """Carries events from any thread to the GUI thread: `relay.post(x)` → `event(x)` queued."""

    event = Signal(object)

    def post(self, value: object) -> None:
        try:
            self.event.emit(value)
        except RuntimeError:  # relay destroyed with its window
            pass


class EngineBridge(QObject):
    """Owns the engine client; every engine call runs on one worker thread, in order.

    Signals arrive on the GUI thread. A dead worker (killed, crashed) gives `died`
    with the reason in words; `reload()` repeats the last load.
    """

    load_started = Signal(str)      # model name
    load_progress = Signal(float)   # 0..1
    loaded = Signal(object)         # engine.LoadedModel
    load_failed = Signal(str)       # the reason, in words
    died = Signal(str)              # the reason, in words
    unloaded = Signal()

    def __init__(self, parent: QObject | None = None, client: Any = None) -> None:
        """`client`: an engine.Client to use (tests, tools; a model it already loaded
        counts as loaded), which shutdown() leaves open; by default the bridge makes its own."""
        super().__init__(parent)
        self._threads = serial_pool(self)
        self._client: Any = client
        self._owns_client = client is None
        self._progress = EventRelay(self)
        self._progress.event.connect(self._on_progress)
        self.current: Any = None       # the LoadedModel, while one is loaded
        self.last_load: tuple[Path, Any, str] | None = None
        self.loading = False
        self._watchdog = QTimer(self, interval=1000)
        self._watchdog.timeout.connect(self._check_alive)
        if client is not None and client.loaded is not None:
            self.current = client.loaded
            self._watchdog.start()

    # -- state ----------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The engine.Client (created on first use; call it only through `submit`)."""
        if self._client is None:
            from spark_desktop.engine import Client

            self._client = Client()
        return self._client

    @property
    def model_name(self) -> str:
        """The loaded model's name as the library shows it (its file name if the bridge
        did not load it); "" when none is loaded."""
        if self.current is None:
            return ""
        return self.last_load[2] if self.last_load else Path(self.current.info.path).name

    @property
    def memory_in_use(self) -> int:
        """Bytes llama.cpp reported for the loaded model (0 when none)."""
        memory = getattr(self.current, "memory", None)
        return int(memory.total) if memory is not None else 0

    # -- calls ----------------------------------------------------------------------
    def submit(self, fn: Callable[[Any], Any], on_done: Callable[[Any], None] | None = None,
               on_error: Callable[[BaseException], None] | None = None) -> Call:
        """Run `fn(client)` on the engine thread; a dead worker also emits `died`."""
        def failed(exc: BaseException) -> None:
            if _is_death(exc):
                self._mark_dead(str(exc))
            if on_error is not None:
                on_error(exc)

        return run_async(lambda: fn(self.client), on_done, failed, parent=self,
                         threads=self._threads)

    def load(self, path: Path, options: Any, name: str) -> None:
        """Load `path` with inference_settings.LoadSettings; any loaded model is replaced."""
        self.last_load = (Path(path), options, name)
        self.loading = True
        self.current = None
        self.load_started.emit(name)

        def work(client: Any) -> Any:
            return client.load(str(path), options, on_progress=self._progress.post)

        self.submit(work, self._on_loaded, self._on_load_failed)

    def reload(self) -> None:
        """Repeat the last load (after the worker died or the model was unloaded)."""
        if self.last_load is not None:
            self.load(*self.last_load)

    def unload(self) -> None:
        self.current = None
        self.submit(lambda client: client.unload(), lambda _r: self.unloaded.emit())

    def cancel(self) -> None:
        """Stop the running generation or load; safe from the GUI thread, returns at once."""
        if self._client is not None:
            self._client.cancel()

    def shutdown(self) -> None:
        """End the worker process; used when the window closes."""
        if self._client is not None:
            client, self._client = self._client, None
            try:
                client.cancel()
            finally:
                if self._owns_client:
                    self._threads.start(_Job(Call(), client.close))
                self._threads.waitForDone(5000)

    # -- results --------------------------------------------------------------------
    def _on_progress(self, fraction: object) -> None:
        if self.loading:
            self.load_progress.emit(float(fraction))  # type: ignore[arg-type]

    def _on_loaded(self, loaded: Any) -> None:
        self.loading = False
        self.current = loaded
        self._watchdog.start()
        self.loaded.emit(loaded)

    def _check_alive(self) -> None:
        """Notice a worker that died while idle (a request in flight notices by itself)."""
        client = self._client
        if self.current is None or client is None:
            self._watchdog.stop()
        elif client.worker_pid is None:
            self._mark_dead(self.tr("The model engine stopped unexpectedly; the conversation "
                                    "is kept. Load the model again to continue."))

    def _on_load_failed(self, exc: BaseException) -> None:
        self.loading = False
        self.current = None
        if not _is_death(exc):
            self.load_failed.emit(error_text(exc))

    def _mark_dead(self, reason: str) -> None:
        if self.current is None and not self.loading:
            return  # already reported (the watchdog and a failing request both saw it)
        was_loading, self.loading = self.loading, False
        self.current = None
        self._watchdog.stop()
        if was_loading:
            self.load_failed.emit(reason)
        self.died.emit(reason)


def _is_death(exc: BaseException) -> bool:
    from spark_desktop.engine.errors import WorkerDiedError

    return isinstance(exc, WorkerDiedError)


def error_text(exc: BaseException) -> str:
    """The sentence to show: our errors carry one (from the Qt-free core, in English);
    anything else gets a plain fallback."""
    from spark_desktop.errors import SparkError

    if isinstance(exc, SparkError):
        return QCoreApplication.translate("errors", str(exc))
    return QCoreApplication.translate("bridges", "Something went wrong: {error}").format(
        error=f"{exc.__class__.__name__}: {exc}")


class DownloadsBridge(QObject):
    """The hub's download queue seen from the GUI: `changed` on every progress event.

    The queue is created off the GUI thread (it imports the HTTP stack and reads its
    saved state); calls made before it is ready wait for it in order.
    """

    changed = Signal(object)    # hub.DownloadProgress
    finished = Signal(object)   # hub.DownloadProgress of a job that just completed
    failed = Signal(str)        # a request the queue refused, in words

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.queue: Any = None
        self._waiting: list[Callable[[Any], Any]] = []
        self._relay = EventRelay(self)
        self._relay.event.connect(self._on_event)
        self._starting = False

    def start(self) -> None:
        if self._starting:
            return
        self._starting = True
        relay = self._relay

        def create() -> Any:
            from spark_desktop.hub import Downloads

            queue = Downloads()
            queue.subscribe(relay.post)
            return queue

        run_async(create, self._created, self._create_failed, parent=self)

    def _created(self, queue: Any) -> None:
        self.queue = queue
        for job in queue.jobs():
            self.changed.emit(job)
        waiting, self._waiting = self._waiting, []
        for fn in waiting:
            self._call(fn)

    def _create_failed(self, exc: BaseException) -> None:
        self._starting = False
        self.failed.emit(error_text(exc))

    def _call(self, fn: Callable[[Any], Any],
              on_error: Callable[[BaseException], None] | None = None) -> None:
        if self.queue is None:
            self._waiting.append(fn)
            self.start()
            return
        queue = self.queue

        def refused(exc: BaseException) -> None:
            self.failed.emit(error_text(exc))
            if on_error is not None:
                on_error(exc)

        run_async(lambda: fn(queue), None, refused, parent=self)

    def add_variant(self, variant: Any,
                    on_error: Callable[[BaseException], None] | None = None) -> None:
        """Queue a hub.Variant (all its split parts)."""
        self._call(lambda q: q.add_variant(variant), on_error)

    def pause(self, job_id: str) -> None:
        self._call(lambda q: q.pause(job_id))

    def resume(self, job_id: str) -> None:
        """Resume a paused job, or retry a failed one from its partial file."""
        self._call(lambda q: q.resume(job_id))

    def cancel(self, job_id: str) -> None:
        self._call(lambda q: q.cancel(job_id))

    def _on_event(self, progress: object) -> None:
        self.changed.emit(progress)
        if getattr(getattr(progress, "state", None), "value", None) == "done":
            self.finished.emit(progress)

    def shutdown(self) -> None:
        """Pause running downloads (they resume at the next start)."""
        if self.queue is not None:
            self.queue.close()
