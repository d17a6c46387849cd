"""Initial schema: conversations and their message trees.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("created_ms", sa.Integer, nullable=False),
        sa.Column("updated_ms", sa.Integer, nullable=False),
        sa.Column("pinned", sa.Boolean, nullable=False),
        sa.Column("folder", sa.Text),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("system_prompt", sa.Text),
        sa.Column("model", sa.Text),
        sa.Column("load_settings", sa.JSON, nullable=False),
        sa.Column("sampling_settings", sa.JSON, nullable=False),
        sa.Column("active_leaf_id", sa.String(32)),
    )
    op.create_index("ix_conversations_order", "conversations", ["pinned", "updated_ms"])
    op.create_table(
        "messages",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(32),
                  sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("parent_id", sa.String(32), sa.ForeignKey("messages.id")),
        sa.Column("depth", sa.Integer, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("reasoning", sa.Text, nullable=False),
        sa.Column("model", sa.Text),
        sa.Column("finish_reason", sa.String(16)),
        sa.Column("streaming", sa.Boolean, nullable=False),
        sa.Column("prompt_tokens", sa.Integer),
        sa.Column("completion_tokens", sa.Integer),
        sa.Column("ttft_ms", sa.Float),
        sa.Column("tokens_per_s", sa.Float),
        sa.Column("created_ms", sa.Integer, nullable=False),
    )
    op.create_index("ix_messages_conversation", "messages", ["conversation_id", "depth"])
    op.create_index("ix_messages_parent", "messages", ["parent_id"])
    op.create_index("ix_messages_streaming", "messages", ["streaming"],
                    sqlite_where=sa.text("streaming = 1"))


def downgrade() -> None:
    op.drop_table("messages")
    op.drop_table("conversations")
