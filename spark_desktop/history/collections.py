"""Named document collections: a folder the app keeps indexed, by a name chats refer to.

A collection row holds only the name, the folder and the embedding model; its passages are
the indexed documents whose paths lie inside the folder (DocumentTables.under), so a file
belongs to its folder's collection without a join table, and removing the collection
forgets those passages unless another collection's folder still holds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from spark_desktop.history.documents import DocumentTables, inside
from spark_desktop.history.errors import HistoryError, NotFoundError
from spark_desktop.history.rows import new_id, now_ms, to_datetime

_COLUMNS = "id, name, folder, embed_model, created_ms, synced_ms"


class CollectionExistsError(HistoryError):
    """A collection of that name already exists (names are unique)."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"There is already a collection called {name!r}; choose another "
                         "name, or remove that one first.")


@dataclass(frozen=True)
class Collection:
    """A named folder of documents; `embed_model` "" means the chat model embeds them."""

    id: str
    name: str
    folder: str
    embed_model: str
    created_at: datetime
    synced_at: datetime | None


class CollectionTables:
    """Collections of one history database (`HistoryStore.collections`). Thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(write=True)

    def create(self, name: str, folder: str, embed_model: str = "") -> Collection:
        """A new collection; raises CollectionExistsError for a name in use, HistoryError
        for an empty one."""
        name = name.strip()
        if not name:
            raise HistoryError("A collection needs a name; type one.")
        created = now_ms()
        with self._writer.begin() as conn:
            taken = conn.exec_driver_sql("SELECT 1 FROM collections WHERE name = ?",
                                         (name,)).first()
            if taken is not None:
                raise CollectionExistsError(name)
            row_id = new_id()
            conn.exec_driver_sql(
                f"INSERT INTO collections ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL)",
                (row_id, name, folder, embed_model, created))
        return Collection(row_id, name, folder, embed_model, to_datetime(created), None)

    def list(self) -> list[Collection]:
        """Every collection, by name."""
        with self._engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT {_COLUMNS} FROM collections ORDER BY name COLLATE NOCASE").all()
        return [_collection(row) for row in rows]

    def get(self, name: str) -> Collection:
        with self._engine.connect() as conn:
            row = conn.exec_driver_sql(f"SELECT {_COLUMNS} FROM collections WHERE name = ?",
                                       (name,)).first()
        if row is None:
            raise NotFoundError(f"There is no collection called {name!r}; see the list of "
                                "collections (Settings → Documents, or `spark-desktop "
                                "collection list`).")
        return _collection(row)

    def set_embed_model(self, name: str, embed_model: str) -> Collection:
        """Embed this collection with another model from now on (the next sync re-embeds)."""
        self._update(name, "embed_model = ?", (embed_model,))
        return self.get(name)

    def mark_synced(self, name: str) -> Collection:
        """Record that the collection was brought up to date just now."""
        self._update(name, "synced_ms = ?", (now_ms(),))
        return self.get(name)

    def delete(self, name: str) -> int:
        """Remove the collection and forget its documents' passages, except those inside
        another collection's folder; returns how many documents were forgotten."""
        gone = self.get(name)
        others = [c.folder for c in self.list() if c.id != gone.id]
        documents = DocumentTables(self._engine)
        forgotten = 0
        for document in documents.under(gone.folder):
            if not any(inside(document.path, folder) for folder in others):
                forgotten += documents.forget(document.path)
        with self._writer.begin() as conn:
            conn.exec_driver_sql("DELETE FROM collections WHERE id = ?", (gone.id,))
        return forgotten

    def _update(self, name: str, assignment: str, values: tuple[object, ...]) -> None:
        with self._writer.begin() as conn:
            changed = conn.exec_driver_sql(
                f"UPDATE collections SET {assignment} WHERE name = ?", (*values, name)).rowcount
        if not changed:
            self.get(name)  # raises the NotFoundError with its sentence


def _collection(row: Any) -> Collection:
    row_id, name, folder, embed_model, created_ms, synced_ms = row
    return Collection(row_id, name, folder, embed_model, to_datetime(created_ms),
                      to_datetime(synced_ms) if synced_ms is not None else None)
