"""SQLAlchemy table models: the current schema (migrations/ says how each revision got here).

Times are integer milliseconds since the epoch (UTC): exact, compact and sortable, so an
export re-imports to identical values. Ids are uuid4 hex strings, so histories merged from
several devices never collide; the integer `seq` is the SQLite rowid, declared so that VACUUM
cannot renumber it under the full-text indexes that point at it. `parent_id` has no ON DELETE
CASCADE on purpose: a cascade walks the chain one trigger level per message and a long
conversation would exceed SQLite's trigger depth; the store deletes whole subtrees itself.
`depth` (distance from the root) lets a page of a branch be read by walking up from its
leaf without touching the rest of a long conversation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class ConversationRow(Base):
    __tablename__ = "conversations"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    created_ms: Mapped[int] = mapped_column(Integer)
    updated_ms: Mapped[int] = mapped_column(Integer)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    folder: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    system_prompt: Mapped[str | None] = mapped_column(Text)
    model: Mapped[str | None] = mapped_column(Text)
    load_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sampling_settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active_leaf_id: Mapped[str | None] = mapped_column(String(32))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_conversations_order", "pinned", "updated_ms"),)


class MessageRow(Base):
    __tablename__ = "messages"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id"))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    role: Mapped[str] = mapped_column(String(16))
    content: Mapped[str] = mapped_column(Text, default="")
    reasoning: Mapped[str] = mapped_column(Text, default="")
    model: Mapped[str | None] = mapped_column(Text)
    finish_reason: Mapped[str | None] = mapped_column(String(16))
    streaming: Mapped[bool] = mapped_column(Boolean, default=False)
    prompt_tokens: Mapped[int | None] = mapped_column(Integer)
    completion_tokens: Mapped[int | None] = mapped_column(Integer)
    ttft_ms: Mapped[float | None] = mapped_column(Float)
    tokens_per_s: Mapped[float | None] = mapped_column(Float)
    created_ms: Mapped[int] = mapped_column(Integer)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (
        Index("ix_messages_conversation", "conversation_id", "depth"),
        Index("ix_messages_parent", "parent_id"),
        Index("ix_messages_streaming", "streaming", sqlite_where=text("streaming = 1")),
    )


class ComparisonRow(Base):
    """Several models answering the same prompts; each column is a conversation."""

    __tablename__ = "comparisons"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    created_ms: Mapped[int] = mapped_column(Integer)
    updated_ms: Mapped[int] = mapped_column(Integer)
    system_prompt: Mapped[str | None] = mapped_column(Text)
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    __table_args__ = (Index("ix_comparisons_updated", "updated_ms"),)


class ComparisonColumnRow(Base):
    __tablename__ = "comparison_columns"

    comparison_id: Mapped[str] = mapped_column(
        ForeignKey("comparisons.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    model: Mapped[str] = mapped_column(Text)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), unique=True)


class VoteRow(Base):
    """Which column answered a turn best (winner None: a tie), and whether names were hidden."""

    __tablename__ = "comparison_votes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    comparison_id: Mapped[str] = mapped_column(
        ForeignKey("comparisons.id", ondelete="CASCADE"))
    turn: Mapped[int] = mapped_column(Integer)
    winner: Mapped[int | None] = mapped_column(Integer)
    blind: Mapped[bool] = mapped_column(Boolean, default=False)
    created_ms: Mapped[int] = mapped_column(Integer)

    __table_args__ = (Index("ix_comparison_votes_turn", "comparison_id", "turn", unique=True),)
class DocumentRow(Base):
    __tablename__ = "documents"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    path: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    content_hash: Mapped[str] = mapped_column(String(64))
    embed_model: Mapped[str] = mapped_column(Text)
    dimensions: Mapped[int] = mapped_column(Integer)
    chunk_count: Mapped[int] = mapped_column(Integer)
    indexed_ms: Mapped[int] = mapped_column(Integer)


class DocumentChunkRow(Base):
    __tablename__ = "document_chunks"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("documents.id", ondelete="CASCADE"))
    ordinal: Mapped[int] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer)
    first_line: Mapped[int] = mapped_column(Integer)
    last_line: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_document_chunks_document", "document_id", "ordinal"),)


class ChunkVectorRow(Base):
    __tablename__ = "chunk_vectors"

    chunk_seq: Mapped[int] = mapped_column(
        ForeignKey("document_chunks.seq", ondelete="CASCADE"), primary_key=True)
    vector: Mapped[bytes] = mapped_column(LargeBinary)


class CollectionRow(Base):
    """A named folder of documents the app keeps indexed."""

    __tablename__ = "collections"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    folder: Mapped[str] = mapped_column(Text)
    embed_model: Mapped[str] = mapped_column(Text)
    created_ms: Mapped[int] = mapped_column(Integer)
    synced_ms: Mapped[int | None] = mapped_column(Integer)
