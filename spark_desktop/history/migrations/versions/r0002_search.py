"""Full-text search: FTS5 indexes over message text and titles, kept in sync by triggers.

The indexes are external-content tables (they store only the index, not a second copy of
the text). Existing messages are indexed in bulk with the 'rebuild' command.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# Symbols (So: emoji and the like) are tokens too, so a search for an emoji finds it.
TOKENIZE = "unicode61 remove_diacritics 2 categories 'L* N* Co So'"


def _index(table: str, column: str) -> tuple[str, ...]:
    """The FTS5 index of `table`.`column` and the triggers that keep it in step."""
    fts = f"{table}_fts"
    return (
        f"""CREATE VIRTUAL TABLE {fts} USING fts5(
        {column}, content='{table}', content_rowid='seq', tokenize="{TOKENIZE}")""",
        f"""CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN
        INSERT INTO {fts}(rowid, {column}) VALUES (new.seq, new.{column});
    END""",
        f"""CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN
        INSERT INTO {fts}({fts}, rowid, {column})
        VALUES ('delete', old.seq, old.{column});
    END""",
        f"""CREATE TRIGGER {fts}_update AFTER UPDATE OF {column} ON {table} BEGIN
        INSERT INTO {fts}({fts}, rowid, {column})
        VALUES ('delete', old.seq, old.{column});
        INSERT INTO {fts}(rowid, {column}) VALUES (new.seq, new.{column});
    END""")


_MESSAGES = _index("messages", "content")
_CONVERSATIONS = _index("conversations", "title")
# The order the revision has always run in: both tables, then the triggers, then the bulk
# indexing of what is already there.
STATEMENTS = (
    _MESSAGES[0], _CONVERSATIONS[0], *_MESSAGES[1:], *_CONVERSATIONS[1:],
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
    "INSERT INTO conversations_fts(conversations_fts) VALUES ('rebuild')",
)


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for name in ("messages_fts_insert", "messages_fts_delete", "messages_fts_update",
                 "conversations_fts_insert", "conversations_fts_delete",
                 "conversations_fts_update"):
        op.execute(f"DROP TRIGGER {name}")
    op.execute("DROP TABLE messages_fts")
    op.execute("DROP TABLE conversations_fts")
