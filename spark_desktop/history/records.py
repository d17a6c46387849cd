"""The values the history store hands out: frozen dataclasses, no SQL, no Qt."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Role = Literal["system", "user", "assistant", "tool"]
FinishReason = Literal["stop", "length", "cancelled", "error", "interrupted"]
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")
FINISH_REASONS: tuple[str, ...] = ("stop", "length", "cancelled", "error", "interrupted")


@dataclass(frozen=True)
class Conversation:
    """One conversation: its settings and which branch of its message tree is shown."""

    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    pinned: bool = False
    folder: str | None = None
    tags: tuple[str, ...] = ()
    system_prompt: str | None = None
    model: str | None = None
    load_settings: Mapping[str, Any] = field(default_factory=dict, hash=False)
    sampling_settings: Mapping[str, Any] = field(default_factory=dict, hash=False)
    active_leaf_id: str | None = None
    # Chat features beside the settings: "documents" (attached paths), "collection",
    # "preset", "tools" (offered MCP tools and their approvals).
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Message:
    """One node of a conversation's tree; `streaming` is true while a reply is being written."""

    id: str
    conversation_id: str
    parent_id: str | None
    role: Role
    content: str
    created_at: datetime
    depth: int = 0
    reasoning: str = ""
    model: str | None = None
    finish_reason: FinishReason | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    ttft_ms: float | None = None
    tokens_per_s: float | None = None
    streaming: bool = False
    # "tool_calls" [{id, name, arguments}] on an assistant message; "tool_call_id" and
    # "name" on a tool result; "citations" [{n, file, location, page, first_line,
    # last_line, text}] on a reply that stands on documents; "documents" on a question.
    extra: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class MessagePage:
    """A window of one branch, oldest first; `has_older` says whether to offer more above."""

    conversation_id: str
    leaf_id: str | None
    messages: tuple[Message, ...]
    has_older: bool


@dataclass(frozen=True)
class SearchHit:
    """A search result: a message (or, with message_id None, a conversation title)."""

    conversation_id: str
    message_id: str | None
    title: str
    snippet: str
    rank: float


@dataclass(frozen=True)
class ImportResult:
    """What an import did: conversations added and those already present (skipped)."""

    imported: int
    skipped: int
    messages: int
