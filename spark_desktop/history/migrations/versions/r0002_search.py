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

STATEMENTS = (
    f"""CREATE VIRTUAL TABLE messages_fts USING fts5(
        content, content='messages', content_rowid='seq', tokenize="{TOKENIZE}")""",
    f"""CREATE VIRTUAL TABLE conversations_fts USING fts5(
        title, content='conversations', content_rowid='seq', tokenize="{TOKENIZE}")""",
    """CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, content) VALUES (new.seq, new.content);
    END""",
    """CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
        VALUES ('delete', old.seq, old.content);
    END""",
    """CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, content)
        VALUES ('delete', old.seq, old.content);
        INSERT INTO messages_fts(rowid, content) VALUES (new.seq, new.content);
    END""",
    """CREATE TRIGGER conversations_fts_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversations_fts(rowid, title) VALUES (new.seq, new.title);
    END""",
    """CREATE TRIGGER conversations_fts_delete AFTER DELETE ON conversations BEGIN
        INSERT INTO conversations_fts(conversations_fts, rowid, title)
        VALUES ('delete', old.seq, old.title);
    END""",
    """CREATE TRIGGER conversations_fts_update AFTER UPDATE OF title ON conversations BEGIN
        INSERT INTO conversations_fts(conversations_fts, rowid, title)
        VALUES ('delete', old.seq, old.title);
        INSERT INTO conversations_fts(rowid, title) VALUES (new.seq, new.title);
    END""",
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
