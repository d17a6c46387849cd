"""Bridges between the Qt-free core and the GUI thread.

The core blocks (network, disk scans, the engine, SQLite); the GUI must not. These
bridges run core calls on worker threads and deliver results, exceptions and events
back to the GUI thread by queued signals, so a slot never waits on I/O. The history's
work is serial (HistoryBridge over history.runner, one thread for the app); the model
host's bridge is in host_bridge.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
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


Step = Callable[[Callable[[], None]], None]
#: The pause between two steps of `in_turn`: what the GUI posted to later turns of its event
#: loop after a result (a page shown, the welcome cards one per turn) runs before the next
#: step's worker competes with it for the interpreter lock.
STEP_PAUSE_MS = 30


def in_turn(steps: Sequence[Step], then: Callable[[], None] | None = None,
            stopped: Callable[[], bool] = lambda: False) -> None:
    """Run `steps` one after another: each is called with the function to call once it has
    finished (its result shown); the next begins STEP_PAUSE_MS later, on a later turn of the
    event loop, so the GUI thread's work is cut in pieces. `then()` after the last (each
    step counts once); nothing more begins once `stopped()` (the window closed)."""
    def begin(index: int) -> None:
        if stopped():
            return
        if index == len(steps):
            if then is not None:
                then()
            return
        called = False

        def finished() -> None:
            nonlocal called
            if not called:
                called = True
                QTimer.singleShot(STEP_PAUSE_MS, lambda: begin(index + 1))

        steps[index](finished)

    begin(0)


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
        try:
            future = self.runner.submit(op)
        except RuntimeError:  # the history has shut down (the window closes): nobody waits
            return call
        future.add_done_callback(lambda done: _deliver(call, done))
        return call

    def run_closed(self, fn: Callable[[], Any],
                   on_done: Callable[[Any], None] | None = None,
                   on_error: Callable[[BaseException], None] | None = None,
                   parent: QObject | None = None) -> Call:
        """Queue `fn()` on the history's thread with the store closed (runner.submit_closed);
        the result or error is delivered like run's."""
        call = _call(on_done, on_error, parent or self)
        self.runner.submit_closed(fn).add_done_callback(lambda future: _deliver(call, future))
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
        self._then: list[Callable[[], None]] = []

    def start(self, then: Callable[[], None] | None = None) -> None:
        """Create the queue off the GUI thread (once); `then()` when it is ready or failed."""
        if then is not None:
            if self.queue is not None:
                then()
            else:
                self._then.append(then)
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
        self._started()

    def _create_failed(self, exc: BaseException) -> None:
        self._starting = False
        self.failed.emit(error_text(exc))
        self._started()

    def _started(self) -> None:
        then, self._then = self._then, []
        for fn in then:
            fn()

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
