"""Documents for `ask` and attached files: their passages, vectors and full-text index.

A document is one file (by absolute path) with the hash of the bytes it was indexed from
and the embedding model its vectors came from; its passages keep their place in the file
(page, lines) for citations; each passage's vector is a float16 blob in its own table, so
loading the vectors reads no text. The full-text index is external-content FTS5 over the
passages (BM25), kept in step by triggers, like the messages'.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TOKENIZE = "unicode61 remove_diacritics 2 categories 'L* N* Co So'"


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("id", sa.String(32), nullable=False, unique=True),
        sa.Column("path", sa.Text, nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("embed_model", sa.Text, nullable=False),
        sa.Column("dimensions", sa.Integer, nullable=False),
        sa.Column("chunk_count", sa.Integer, nullable=False),
        sa.Column("indexed_ms", sa.Integer, nullable=False),
    )
    op.create_table(
        "document_chunks",
        sa.Column("seq", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.String(32),
                  sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("page", sa.Integer),
        sa.Column("first_line", sa.Integer, nullable=False),
        sa.Column("last_line", sa.Integer, nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_document_chunks_document", "document_chunks", ["document_id", "ordinal"])
    op.create_table(
        "chunk_vectors",
        sa.Column("chunk_seq", sa.Integer,
                  sa.ForeignKey("document_chunks.seq", ondelete="CASCADE"), primary_key=True),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )
    for statement in (
        f"""CREATE VIRTUAL TABLE document_chunks_fts USING fts5(
        text, content='document_chunks', content_rowid='seq', tokenize="{TOKENIZE}")""",
        """CREATE TRIGGER document_chunks_fts_insert AFTER INSERT ON document_chunks BEGIN
        INSERT INTO document_chunks_fts(rowid, text) VALUES (new.seq, new.text);
    END""",
        """CREATE TRIGGER document_chunks_fts_delete AFTER DELETE ON document_chunks BEGIN
        INSERT INTO document_chunks_fts(document_chunks_fts, rowid, text)
        VALUES ('delete', old.seq, old.text);
    END"""):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER document_chunks_fts_insert")
    op.execute("DROP TRIGGER document_chunks_fts_delete")
    op.execute("DROP TABLE document_chunks_fts")
    op.drop_table("chunk_vectors")
    op.drop_index("ix_document_chunks_document", "document_chunks")
    op.drop_table("document_chunks")
    op.drop_table("documents")
