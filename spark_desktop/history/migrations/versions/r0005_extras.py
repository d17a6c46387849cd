"""What a chat carries beside its text: tool calls, tool results and citations on a
message; attached documents, a collection, a preset and tool choices on a conversation
(each an `extra` JSON object, empty by default); and named document collections, each a
folder the app keeps indexed.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("messages", "conversations"):  # ALTER TABLE ADD COLUMN: no table copy
        op.add_column(table, sa.Column("extra", sa.JSON, nullable=False,
                                       server_default=sa.text("'{}'")))
    op.create_table(
        "collections",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False, unique=True),
        sa.Column("folder", sa.Text, nullable=False),
        sa.Column("embed_model", sa.Text, nullable=False),
        sa.Column("created_ms", sa.Integer, nullable=False),
        sa.Column("synced_ms", sa.Integer),
    )


def downgrade() -> None:
    op.drop_table("collections")
    for table in ("conversations", "messages"):  # SQLite 3.35+ drops a column in place
        op.execute(f"ALTER TABLE {table} DROP COLUMN extra")
