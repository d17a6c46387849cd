"""Keeping the collections indexed while the app runs: a folder that changes is synced again.

A QFileSystemWatcher watches each collection's folders and files (up to WATCH_LIMIT paths;
inotify does not see inside subfolders of a watched folder), changes are gathered for a
debounce, and a periodic rescan catches what the watcher missed. One sync runs at a time
on a worker thread of its own: the files are read and embedded there (through the model
host, which loads the embedding model only when a passage needs it), and every database
call goes through the app's history thread, the only one that writes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from spark_desktop.ui.bridges import HistoryBridge, error_text, run_async, serial_pool

DEBOUNCE_MS: Final = 2000  # quiet time after a change before the folder is synced
RESCAN_MS: Final = 60_000  # every collection is synced this often (missed changes)
WATCH_LIMIT: Final = 2000  # folders and files watched per collection at most


@dataclass(frozen=True)
class CollectionState:
    """A collection as the window shows it: its row, what the index holds of its folder,
    and how its last sync went."""

    collection: Any  # history.collections.Collection
    files: int = 0
    passages: int = 0
    syncing: bool = False
    report: Any = None  # documents.collections.SyncReport of the last sync, if any
    error: str = ""  # why the last sync could not run, in words ("" when it ran)

    @property
    def name(self) -> str:
        return str(self.collection.name)


class CollectionsWatcher(QObject):
    """The app's collections (`states`, by name), synced when their files change.
    `embed_model()` names the model that embeds passages when a collection names none."""

    changed = Signal()  # states changed (a collection added, removed, synced, syncing)

    def __init__(self, history: HistoryBridge, host: Any, embed_model: Callable[[], str],
                 parent: QObject | None = None, debounce_ms: int = DEBOUNCE_MS,
                 rescan_ms: int = RESCAN_MS) -> None:
        super().__init__(parent)
        self.history = history
        self.host = host  # ui.host_bridge.HostBridge
        self.embed_model = embed_model
        self.states: dict[str, CollectionState] = {}
        self._stamps: dict[str, dict[str, tuple[int, int, str]]] = {}
        self._dirty: set[str] = set()
        self._running: str | None = None
        self._removals: dict[str, tuple[Callable[[Any], None],
                                        Callable[[BaseException], None]]] = {}
        self._started = False
        self._threads = serial_pool(self)
        self.watcher = QFileSystemWatcher(self)
        self.watcher.directoryChanged.connect(self._path_changed)
        self.watcher.fileChanged.connect(self._path_changed)
        self._debounce = QTimer(self, singleShot=True, interval=debounce_ms)
        self._debounce.timeout.connect(self._next)
        self._rescan = QTimer(self, interval=rescan_ms)
        self._rescan.timeout.connect(lambda: self.sync_now())

    # -- the list -------------------------------------------------------------------
    def start(self, then: Callable[[], None] | None = None) -> None:
        """Read the collections and sync each once (after the debounce), then keep
        watching; `then()` once the list is read (a step of Services.start)."""
        self._started = True
        self._rescan.start()

        def listed(_: object = None) -> None:
            self._dirty.update(self.states)
            self._debounce.start()
            if then is not None:
                then()

        self.refresh(listed)

    def refresh(self, then: Callable[[], None] | None = None) -> None:
        """Read the collections and their passage counts again (off the GUI thread)."""
        def done(rows: list[tuple[Any, int, int]]) -> None:
            old = self.states
            self.states = {c.name: replace(old.get(c.name, CollectionState(c)), collection=c,
                                           files=files, passages=passages)
                           for c, files, passages in rows}
            for name in set(self._stamps) - set(self.states):
                del self._stamps[name]
            self.changed.emit()
            if then is not None:
                then()

        def failed(exc: BaseException) -> None:
            if then is not None:
                then()

        self.history.run(_listed, done, failed, parent=self)

    def add(self, name: str, folder: str, on_done: Callable[[Any], None],
            on_error: Callable[[BaseException], None]) -> None:
        """Create a collection of `folder` (embedded with the app's model) and index it."""
        def create(store: Any) -> Any:
            from spark_desktop.documents.collections import FolderMissingError

            where = Path(folder).expanduser().resolve()
            if not where.is_dir():
                raise FolderMissingError(where)
            return store.collections.create(name, str(where), "")

        def created(collection: Any) -> None:
            self.refresh(lambda: self.sync_now(collection.name))
            on_done(collection)

        self.history.run(create, created, on_error, parent=self)

    def remove(self, name: str, on_done: Callable[[Any], None],
               on_error: Callable[[BaseException], None]) -> None:
        """Forget a collection and its passages (the files stay); while it is being synced,
        once that sync has finished (or it would store passages again)."""
        self._dirty.discard(name)
        if self._running == name:
            self._removals[name] = (on_done, on_error)
            return

        def removed(forgotten: int) -> None:
            self.refresh()
            on_done(forgotten)

        self.history.run(lambda store: store.collections.delete(name), removed, on_error,
                         parent=self)

    # -- syncing --------------------------------------------------------------------
    def sync_now(self, name: str | None = None) -> None:
        """Sync one collection (or all) as soon as the running sync is done."""
        self._dirty.update([name] if name is not None else self.states)
        self._next()

    def _path_changed(self, path: str) -> None:
        for state in self.states.values():
            folder = state.collection.folder
            if path == folder or path.startswith(folder.rstrip(os.sep) + os.sep):
                self._dirty.add(state.name)
        self._debounce.start()  # restarted by every change: sync once it is quiet

    def _next(self) -> None:
        if self._running is not None or not self._started:
            return
        while True:
            name = next((n for n in sorted(self._dirty) if n in self.states), None)
            if name is None:
                self._dirty.clear()
                return
            self._dirty.discard(name)
            state = self.states[name]
            model = _embedder(state.collection.embed_model or self.embed_model()
                              or self._chat_model())
            if model:
                break
            self._set(name, error=self.tr(
                "Choose an embedding model in Settings → Documents (or load a chat model) "
                "to index this collection."), syncing=False)
        self._running = name
        self._set(name, syncing=True)
        job = _SyncJob(self.history, self.host.host, model, state.collection,
                       self._stamps.setdefault(name, {}))
        run_async(job.run, lambda result: self._synced(name, result),
                  lambda exc: self._failed(name, exc), parent=self, threads=self._threads)

    def _synced(self, name: str, result: tuple[Any, Any, int, int, list[str]]) -> None:
        collection, report, files, passages, watch = result
        self._running = None
        if name in self._removals:
            self.remove(name, *self._removals.pop(name))
        elif name in self.states:
            self.states[name] = replace(self.states[name], collection=collection, files=files,
                                        passages=passages, syncing=False, report=report,
                                        error="")
            self._watch(watch)
            self.changed.emit()
        self._next()

    def _failed(self, name: str, exc: BaseException) -> None:
        self._running = None
        if name in self._removals:
            self.remove(name, *self._removals.pop(name))
        elif name in self.states:
            self._set(name, syncing=False, error=error_text(exc))
        self._next()

    def _set(self, name: str, **changes: Any) -> None:
        self.states[name] = replace(self.states[name], **changes)
        self.changed.emit()

    def _watch(self, paths: list[str]) -> None:
        watched = {*self.watcher.files(), *self.watcher.directories()}
        new = [p for p in paths if p not in watched]
        if new:
            self.watcher.addPaths(new)

    def _chat_model(self) -> str:
        entries = getattr(self.host, "entries", ())
        return str(entries[0].id) if entries else ""

    def stop(self) -> None:
        """No more syncs (the window is closing); a running one finishes on its thread."""
        self._started = False
        self._rescan.stop()
        self._debounce.stop()
        self._dirty.clear()


class _SyncJob:
    """One sync on the watcher's thread: reads and embeds there, stores through the
    history thread; returns the collection, the report, its counts and the paths to watch."""

    def __init__(self, history: HistoryBridge, host: Any, model: str, collection: Any,
                 stamps: dict[str, tuple[int, int, str]]) -> None:
        self.runner = history.runner
        self.host = host
        self.model = model
        self.collection = collection
        self.stamps = stamps

    def run(self) -> tuple[Any, Any, int, int, list[str]]:
        from spark_desktop.documents.collections import sync
        from spark_desktop.documents.index import DocumentIndex
        from spark_desktop.history.runner import documents_through

        if self.host is None:
            from spark_desktop.host import HostError

            raise HostError("The model host has not started yet; the collection is indexed "
                            "once it has.")
        folder = self.collection.folder
        index = DocumentIndex(documents_through(self.runner),
                              lambda texts: self.host.embed(self.model, texts).vectors,
                              self.model)
        report = sync(index, Path(folder), stamps=self.stamps)
        name = self.collection.name
        collection = self.runner.call(lambda store: store.collections.mark_synced(name))
        documents = self.runner.call(lambda store: store.documents.under(folder))
        return (collection, report, len(documents), sum(d.chunk_count for d in documents),
                _watch_paths(Path(folder)))


def _listed(store: Any) -> list[tuple[Any, int, int]]:
    rows = []
    for collection in store.collections.list():
        documents = store.documents.under(collection.folder)
        rows.append((collection, len(documents), sum(d.chunk_count for d in documents)))
    return rows


def _embedder(model: str) -> str:
    from spark_desktop.documents.collections import embedder_id

    return embedder_id(model) if model else ""


def _watch_paths(folder: Path) -> list[str]:
    """The folder, its visible subfolders and readable files, WATCH_LIMIT at most."""
    from spark_desktop.documents.collections import readable_files

    paths = [str(folder)]
    for root, dirs, _files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        paths += [os.path.join(root, d) for d in dirs]
        if len(paths) >= WATCH_LIMIT:
            return paths[:WATCH_LIMIT]
    for path in readable_files(folder):
        if len(paths) >= WATCH_LIMIT:
            break
        paths.append(str(path))
    return paths
