"""Conversations kept privately on this device in SQLite (SQLAlchemy + Alembic + FTS5)."""

from spark_desktop.history.errors import (
    AmbiguousIdError,
    CorruptDatabaseError,
    DatabaseTooNewError,
    HistoryError,
    ImportFormatError,
    NotFoundError,
    NotHistoryDatabaseError,
)
from spark_desktop.history.records import (
    Conversation,
    FinishReason,
    ImportResult,
    Message,
    MessagePage,
    Role,
    SearchHit,
)
from spark_desktop.history.store import HistoryStore
from spark_desktop.history.streaming import StreamWriter

__all__ = [
    "AmbiguousIdError", "Conversation", "CorruptDatabaseError", "DatabaseTooNewError",
    "FinishReason", "HistoryError", "HistoryStore", "ImportFormatError", "ImportResult",
    "Message", "MessagePage", "NotFoundError", "NotHistoryDatabaseError", "Role", "SearchHit",
    "StreamWriter",
]
