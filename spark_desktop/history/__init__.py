"""Conversations kept privately on this device in SQLite (SQLAlchemy + Alembic + FTS5).

A chat turn, as `chat` and `generate --save` write it:

    store = HistoryStore.open()                      # paths.database_path(); migrates
    conv = store.create_conversation(model=model_id, sampling_settings=sampling)
    store.add_message(conv.id, "user", prompt)       # also titles the conversation
    writer = store.begin_stream(conv.id, model=model_id)   # reply row exists from now
    for text in deltas:
        writer.append(text)                          # committed at most every 0.5 s
    writer.finish("stop", completion_tokens=n, ttft_ms=ttft, tokens_per_s=speed)
"""

from spark_desktop.history.errors import (
    AmbiguousIdError,
    CorruptDatabaseError,
    DatabaseTooNewError,
    HistoryError,
    ImportFormatError,
    InvalidMessageError,
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
    "InvalidMessageError", "Message", "MessagePage", "NotFoundError", "NotHistoryDatabaseError",
    "Role", "SearchHit", "StreamWriter",
]
