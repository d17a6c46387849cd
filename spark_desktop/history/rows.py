"""Between table rows and the frozen records: the tables, times, ids and titles.

Shared by the store, search and bulk import, so each converts rows the same way.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from sqlalchemy import RowMapping

from spark_desktop.history.records import Conversation, Message
from spark_desktop.history.schema import ConversationRow, MessageRow

CONVERSATIONS: Final = ConversationRow.__table__
MESSAGES: Final = MessageRow.__table__
TITLE_CHARS: Final = 80
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def to_datetime(ms: int) -> datetime:
    return _EPOCH + timedelta(milliseconds=ms)


def to_ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def new_id() -> str:
    return uuid.uuid4().hex


def auto_title(content: str) -> str:
    """The first user message, whitespace folded and cut to a list-friendly length."""
    folded = " ".join(content.replace("\x00", " ").split())
    return folded if len(folded) <= TITLE_CHARS else folded[:TITLE_CHARS - 1].rstrip() + "…"


def conversation_from_row(row: RowMapping) -> Conversation:
    return Conversation(
        id=row["id"], title=row["title"], created_at=to_datetime(row["created_ms"]),
        updated_at=to_datetime(row["updated_ms"]), pinned=bool(row["pinned"]),
        folder=row["folder"], tags=tuple(row["tags"] or ()),
        system_prompt=row["system_prompt"], model=row["model"],
        load_settings=dict(row["load_settings"] or {}),
        sampling_settings=dict(row["sampling_settings"] or {}),
        active_leaf_id=row["active_leaf_id"], extra=dict(row["extra"] or {}))


def message_from_row(row: RowMapping) -> Message:
    return Message(
        id=row["id"], conversation_id=row["conversation_id"], parent_id=row["parent_id"],
        role=row["role"], content=row["content"], created_at=to_datetime(row["created_ms"]),
        depth=row["depth"], reasoning=row["reasoning"], model=row["model"],
        finish_reason=row["finish_reason"], prompt_tokens=row["prompt_tokens"],
        completion_tokens=row["completion_tokens"], ttft_ms=row["ttft_ms"],
        tokens_per_s=row["tokens_per_s"], streaming=bool(row["streaming"]),
        extra=dict(row["extra"] or {}))


def conversation_values(conv: Conversation) -> dict[str, Any]:
    return {"id": conv.id, "title": conv.title, "created_ms": to_ms(conv.created_at),
            "updated_ms": to_ms(conv.updated_at), "pinned": conv.pinned,
            "folder": conv.folder, "tags": list(conv.tags),
            "system_prompt": conv.system_prompt, "model": conv.model,
            "load_settings": dict(conv.load_settings),
            "sampling_settings": dict(conv.sampling_settings),
            "active_leaf_id": conv.active_leaf_id, "extra": dict(conv.extra)}


def message_values(msg: Message) -> dict[str, Any]:
    return {"id": msg.id, "conversation_id": msg.conversation_id, "parent_id": msg.parent_id,
            "depth": msg.depth, "role": msg.role, "content": msg.content,
            "reasoning": msg.reasoning, "model": msg.model, "finish_reason": msg.finish_reason,
            "streaming": msg.streaming, "prompt_tokens": msg.prompt_tokens,
            "completion_tokens": msg.completion_tokens, "ttft_ms": msg.ttft_ms,
            "tokens_per_s": msg.tokens_per_s, "created_ms": to_ms(msg.created_at),
            "extra": dict(msg.extra)}
