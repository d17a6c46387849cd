"""Writing many whole conversations at once (import), in bounded transactions.

Separate from the store's one-message-at-a-time writes: an import of a large export
must neither hold the write lock for minutes nor keep every row in memory.

A build of a big history into an empty (or small) one can instead run as one transaction
with the search indexes built once at the end (`index_after`): the FTS triggers are
dropped inside the transaction and re-created before it commits, so another connection
never sees the history without them, and a crash leaves the history as it was.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from sqlalchemy import Connection, Engine, insert, select

from spark_desktop.history.records import Conversation, ImportResult, Message
from spark_desktop.history.rows import (
    CONVERSATIONS,
    MESSAGES,
    conversation_values,
    message_values,
)

_ID_CHUNK = 500  # ids per IN (...) query, well under SQLite's parameter limit
_INSERT_TRIGGERS = ("messages_fts_insert", "conversations_fts_insert")
_INDEXES = ("messages_fts", "conversations_fts")
_BULK_CACHE_KIB = 256 << 10  # the unique id index of a million messages stays in memory

Batch = list[tuple[Conversation, Sequence[Message]]]


def import_records(writer: Engine, items: Iterable[tuple[Conversation, Sequence[Message]]],
                   batch_messages: int = 50_000, index_after: bool = False) -> ImportResult:
    """Insert whole conversations as given (ids kept); ids already present are skipped.

    Messages must come parents first. Conversations are written in transactions of
    about `batch_messages` messages (executemany), so memory and the time the write
    lock is held stay bounded while a large import runs. With `index_after`, everything
    is one transaction and the search indexes are rebuilt at its end (see the module's
    docstring): several times faster for a large import into a small history, but the
    rebuild re-reads every message already there.
    """
    totals = {"imported": 0, "skipped": 0, "messages": 0}
    if not index_after:
        for batch in _batches(items, batch_messages):
            with writer.begin() as conn:
                _write(conn, batch, totals)
        return ImportResult(**totals)
    with writer.begin() as conn:
        cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
        conn.exec_driver_sql(f"PRAGMA cache_size = -{_BULK_CACHE_KIB}")
        try:
            triggers = conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name IN (?, ?)",
                _INSERT_TRIGGERS).scalars().all()
            for name in _INSERT_TRIGGERS:
                conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
            for batch in _batches(items, batch_messages):
                _write(conn, batch, totals)
            for index in _INDEXES:
                conn.exec_driver_sql(f"INSERT INTO {index}({index}) VALUES ('rebuild')")
            for sql in triggers:
                conn.exec_driver_sql(sql)
        finally:
            conn.exec_driver_sql(f"PRAGMA cache_size = {cache}")
    return ImportResult(**totals)


def _batches(items: Iterable[tuple[Conversation, Sequence[Message]]],
             batch_messages: int) -> Iterator[Batch]:
    batch: Batch = []
    pending = 0
    for item in items:
        batch.append(item)
        pending += len(item[1])
        if pending >= batch_messages:
            yield batch
            batch, pending = [], 0
    if batch:
        yield batch


def _write(conn: Connection, batch: Batch, totals: dict[str, int]) -> None:
    """The batch's conversations not yet present, with their messages."""
    ids = [conv.id for conv, _ in batch]
    present: set[str] = set()
    for start in range(0, len(ids), _ID_CHUNK):
        present.update(conn.execute(select(CONVERSATIONS.c.id).where(
            CONVERSATIONS.c.id.in_(ids[start:start + _ID_CHUNK]))).scalars())
    fresh = []
    for conv, messages in batch:
        if conv.id not in present:
            present.add(conv.id)
            fresh.append((conv, messages))
    rows = [message_values(msg) for _, messages in fresh for msg in messages]
    if fresh:
        conn.execute(insert(CONVERSATIONS), [conversation_values(conv) for conv, _ in fresh])
    if rows:
        conn.execute(insert(MESSAGES), rows)
    totals["imported"] += len(fresh)
    totals["skipped"] += len(batch) - len(fresh)
    totals["messages"] += len(rows)
