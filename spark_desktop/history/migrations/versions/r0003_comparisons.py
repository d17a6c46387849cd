"""Comparisons: several models answering the same prompts, one conversation per column,
and the user's votes on which answered a turn best.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comparisons",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("created_ms", sa.Integer, nullable=False),
        sa.Column("updated_ms", sa.Integer, nullable=False),
        sa.Column("system_prompt", sa.Text),
        sa.Column("settings", sa.JSON, nullable=False),
    )
    op.create_index("ix_comparisons_updated", "comparisons", ["updated_ms"])
    op.create_table(
        "comparison_columns",
        sa.Column("comparison_id", sa.String(32),
                  sa.ForeignKey("comparisons.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("model", sa.Text, nullable=False),
        sa.Column("conversation_id", sa.String(32),
                  sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False,
                  unique=True),
    )
    op.create_table(
        "comparison_votes",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("comparison_id", sa.String(32),
                  sa.ForeignKey("comparisons.id", ondelete="CASCADE"), nullable=False),
        sa.Column("turn", sa.Integer, nullable=False),
        sa.Column("winner", sa.Integer),
        sa.Column("blind", sa.Boolean, nullable=False),
        sa.Column("created_ms", sa.Integer, nullable=False),
    )
    op.create_index("ix_comparison_votes_turn", "comparison_votes",
                    ["comparison_id", "turn"], unique=True)


def downgrade() -> None:
    op.drop_table("comparison_votes")
    op.drop_table("comparison_columns")
    op.drop_index("ix_comparisons_updated", "comparisons")
    op.drop_table("comparisons")
