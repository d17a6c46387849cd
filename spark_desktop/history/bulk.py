"""Writing many whole conversations at once (import), in bounded transactions.

Separate from the store's one-message-at-a-time writes: an import of a large export
must neither hold the write lock for minutes nor keep every row in memory.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Engine, insert, select

from spark_desktop.history.records import Conversation, ImportResult, Message
from spark_desktop.history.rows import (
    CONVERSATIONS,
    MESSAGES,
    conversation_values,
    message_values,
)

_ID_CHUNK = 500  # ids per IN (...) query, well under SQLite's parameter limit


def import_records(writer: Engine, items: Iterable[tuple[Conversation, Sequence[Message]]],
                   batch_messages: int = 50_000) -> ImportResult:
    """Insert whole conversations as given (ids kept); ids already present are skipped.

    Messages must come parents first. Conversations are written in transactions of
    about `batch_messages` messages (executemany), so memory and the time the write
    lock is held stay bounded while a large import runs.
    """
    totals = {"imported": 0, "skipped": 0, "messages": 0}
    batch: list[tuple[Conversation, Sequence[Message]]] = []
    pending = 0
    for item in items:
        batch.append(item)
        pending += len(item[1])
        if pending >= batch_messages:
            _commit(writer, batch, totals)
            batch, pending = [], 0
    if batch:
        _commit(writer, batch, totals)
    return ImportResult(**totals)


def _commit(writer: Engine, batch: list[tuple[Conversation, Sequence[Message]]],
            totals: dict[str, int]) -> None:
    """One transaction: the batch's conversations not yet present, with their messages."""
    with writer.begin() as conn:
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
