"""One thread for every history call of an app, in the order asked.

The GUI reads and writes the history from many places (lists, pages, a streaming reply);
running them all on one thread means a write is never overtaken by the read that should
show it, the database is written from one thread only, and the store is opened there,
never on the GUI's. Qt-free: ui.bridges.HistoryBridge delivers results to the GUI.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from spark_desktop.history.store import HistoryStore

if TYPE_CHECKING:
    from spark_desktop.history.documents import DocumentTables

T = TypeVar("T")


class HistoryCalls(Protocol):
    """Where a caller's history work runs (the runner's thread, or the caller's own)."""

    def call(self, op: Callable[[HistoryStore], T]) -> T: ...


class DirectHistory:
    """History calls on the caller's thread: for a program with one thread (the CLI)."""

    def __init__(self, store: HistoryStore) -> None:
        self.store = store

    def call(self, op: Callable[[HistoryStore], T]) -> T:
        return op(self.store)


def documents_through(history: HistoryCalls) -> DocumentTables:
    """The history's DocumentTables with every call made where `history`'s calls run (the
    app's history thread, the only one that writes the database): for a document index
    used from another thread (a chat turn, the collections' sync)."""
    return cast("DocumentTables", _DocumentsThrough(history))


class _DocumentsThrough:
    def __init__(self, history: HistoryCalls) -> None:
        self._history = history

    def __getattr__(self, name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            return self._history.call(lambda store: getattr(store.documents, name)(*args,
                                                                                  **kwargs))
        return call


class HistoryRunner:
    """A serial executor owning one store: `submit(op)` runs `op(store)` on its thread."""

    def __init__(self, store: HistoryStore | None = None,
                 opener: Callable[[], HistoryStore] = HistoryStore.open) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="history")
        self._store = store
        self._opener = opener
        self._owns_store = store is None
        self._thread: int | None = None

    @property
    def store(self) -> HistoryStore | None:
        """The store (None until the first call opened it); call it only through submit."""
        return self._store

    def submit(self, op: Callable[[HistoryStore], T]) -> Future[T]:
        """Queue `op(store)`; the store is opened first if it is not yet (a failure to open
        is that call's error, and the next call tries again)."""
        return self._executor.submit(self._run, op)

    def call(self, op: Callable[[HistoryStore], T]) -> T:
        """Run `op(store)` on the runner and wait for it (from a worker thread, never the
        GUI's); on the runner's own thread it simply runs."""
        if threading.get_ident() == self._thread:
            return self._run(op)
        return self.submit(op).result()

    def _run(self, op: Callable[[HistoryStore], T]) -> T:
        self._thread = threading.get_ident()
        if self._store is None:
            self._store = self._opener()
        return op(self._store)

    def release(self) -> Future[None]:
        """Close the store after the queued calls (the app lock, a key change at start);
        the next call opens it again."""
        return self._executor.submit(self._drop)

    def submit_closed(self, fn: Callable[[], T]) -> Future[T]:
        """Queue `fn()` to run here with the store closed (encrypting the history,
        changing its key): no other history call of the app runs meanwhile; the calls
        queued after it wait, then open the store again, with its new key."""
        def run() -> T:
            self._thread = threading.get_ident()
            self._drop()
            return fn()
        return self._executor.submit(run)

    def _drop(self) -> None:
        if self._owns_store and self._store is not None:
            self._store.close()
            self._store = None

    def close(self) -> None:
        """Finish the queued calls, then close the store if the runner opened it."""
        self._executor.shutdown(wait=True)
        if self._owns_store and self._store is not None:
            self._store.close()
