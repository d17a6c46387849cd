"""The document index's SQL: documents, their passages, vectors and full-text ranks.

Values in and out are plain (frozen dataclasses, bytes), so the history package needs
neither numpy nor the document readers. Replacing a document's passages is one
transaction: a failure leaves the previous ones in place.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from spark_desktop.history.rows import new_id, now_ms

FTS_CANDIDATES = 200  # BM25 matches a full-text search considers at most
# FTS5 scores every passage that holds a word of the query before it can sort them (about
# 30 us each, encrypted), so a query of common words costs more than the whole retrieval
# may ("the" at 20k passages: 100 ms). The full-text side therefore ranks by the question's
# rarest words, as many as fit this many postings; words held by more passages than that
# carry little BM25 weight anyway, and the vector side still reads every passage.
POSTINGS_BUDGET = 500
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class IndexedDocument:
    """What the index holds about one file."""

    id: str
    path: str
    kind: str
    content_hash: str
    embed_model: str
    dimensions: int
    chunk_count: int


@dataclass(frozen=True)
class NewChunk:
    """A passage to store, with its vector (float16 bytes)."""

    text: str
    page: int | None
    first_line: int
    last_line: int
    unit: str
    vector: bytes


@dataclass(frozen=True)
class StoredChunk:
    """A stored passage and the file it belongs to."""

    seq: int
    path: str
    ordinal: int
    page: int | None
    first_line: int
    last_line: int
    unit: str
    text: str


_DOCUMENT_COLUMNS = "id, path, kind, content_hash, embed_model, dimensions, chunk_count"


class DocumentTables:
    """Documents of one history database (`HistoryStore.documents`). Thread-safe."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._writer = engine.execution_options(write=True)

    def get(self, path: str) -> IndexedDocument | None:
        with self._engine.connect() as conn:
            row = conn.exec_driver_sql(
                f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE path = ?", (path,)).first()
        return IndexedDocument(*row) if row is not None else None

    def get_many(self, paths: Sequence[str]) -> dict[str, IndexedDocument]:
        """The indexed ones of these paths, by path (one query for a whole collection)."""
        if not paths:
            return {}
        with self._engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE path IN ({_marks(paths)})",
                tuple(paths)).all()
        return {row[1]: IndexedDocument(*row) for row in rows}

    def under(self, folder: str) -> list[IndexedDocument]:
        """The indexed documents whose paths lie inside `folder` (an absolute path), by path."""
        prefix = _prefix(folder)
        with self._engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT {_DOCUMENT_COLUMNS} FROM documents WHERE substr(path, 1, ?) = ?"
                " ORDER BY path", (len(prefix), prefix)).all()
        return [IndexedDocument(*row) for row in rows]

    def replace(self, path: str, kind: str, content_hash: str, embed_model: str,
                dimensions: int, chunks: Sequence[NewChunk]) -> IndexedDocument:
        """Store `path` with these passages, dropping whatever it had before."""
        document = IndexedDocument(new_id(), path, kind, content_hash, embed_model,
                                   dimensions, len(chunks))
        with self._writer.begin() as conn:
            old = conn.exec_driver_sql("SELECT id FROM documents WHERE path = ?",
                                       (path,)).scalar()
            if old is not None:
                _delete(conn, old)
            conn.exec_driver_sql(
                f"INSERT INTO documents ({_DOCUMENT_COLUMNS}, indexed_ms)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (document.id, path, kind, content_hash, embed_model, dimensions,
                 len(chunks), now_ms()))
            for ordinal, chunk in enumerate(chunks):
                seq = conn.exec_driver_sql(
                    "INSERT INTO document_chunks (document_id, ordinal, page, first_line,"
                    " last_line, unit, text) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                    (document.id, ordinal, chunk.page, chunk.first_line, chunk.last_line,
                     chunk.unit, chunk.text)).scalar_one()
                conn.exec_driver_sql("INSERT INTO chunk_vectors (chunk_seq, vector)"
                                     " VALUES (?, ?)", (seq, chunk.vector))
        return document

    def forget(self, path: str) -> bool:
        """Remove a document and its passages; False when it was not indexed."""
        with self._writer.begin() as conn:
            old = conn.exec_driver_sql("SELECT id FROM documents WHERE path = ?",
                                       (path,)).scalar()
            if old is not None:
                _delete(conn, old)
        return old is not None

    def vectors(self, document_ids: Sequence[str]) -> list[tuple[int, bytes]]:
        """(passage seq, float16 vector bytes) of every passage of these documents."""
        if not document_ids:
            return []
        with self._engine.connect() as conn:
            return [(int(seq), bytes(blob)) for seq, blob in conn.exec_driver_sql(
                "SELECT v.chunk_seq, v.vector FROM chunk_vectors AS v"
                " JOIN document_chunks AS c ON c.seq = v.chunk_seq"
                f" WHERE c.document_id IN ({_marks(document_ids)}) ORDER BY v.chunk_seq",
                tuple(document_ids))]

    def full_text(self, query: str, document_ids: Sequence[str],
                  limit: int = FTS_CANDIDATES) -> list[int]:
        """Seqs of the passages of these documents holding the rarest words of `query`
        (see POSTINGS_BUDGET), best BM25 first. Words are quoted, so any text is safe."""
        words = list(dict.fromkeys(_WORD.findall(_folded(query))))
        if not words or not document_ids or limit <= 0:
            return []
        with self._engine.connect() as conn:
            counts = sorted((_postings(conn, word), word) for word in words)
            telling: list[str] = []
            read = 0
            for count, word in counts:
                if not count or read + count > POSTINGS_BUDGET:
                    continue
                telling.append(word)
                read += count
            if not telling:
                return []
            return [int(seq) for seq, in conn.exec_driver_sql(
                "SELECT f.rowid FROM document_chunks_fts AS f"
                " JOIN document_chunks AS c ON c.seq = f.rowid"
                f" WHERE document_chunks_fts MATCH ? AND c.document_id IN ({_marks(document_ids)})"
                " ORDER BY f.rank LIMIT ?", (" OR ".join(map(_quoted, telling)), *document_ids,
                                             limit))]

    def chunks(self, seqs: Sequence[int]) -> list[StoredChunk]:
        """These passages, in the order of `seqs` (unknown seqs are left out)."""
        if not seqs:
            return []
        with self._engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT c.seq, d.path, c.ordinal, c.page, c.first_line, c.last_line, c.unit,"
                " c.text FROM document_chunks AS c JOIN documents AS d ON d.id = c.document_id"
                f" WHERE c.seq IN ({_marks(seqs)})", tuple(seqs)).all()
        found = {row[0]: StoredChunk(*row) for row in rows}
        return [found[seq] for seq in seqs if seq in found]


def inside(path: str, folder: str) -> bool:
    """Whether `path` lies inside `folder` (both absolute), as `under` decides it."""
    return path.startswith(_prefix(folder))


def _prefix(folder: str) -> str:
    return folder.rstrip(os.sep) + os.sep


def _postings(conn: Connection, word: str) -> int:
    """Passages holding `word`, counted up to POSTINGS_BUDGET + 1 (a common word's whole
    posting list is never read)."""
    return int(conn.exec_driver_sql(
        "SELECT count(*) FROM (SELECT rowid FROM document_chunks_fts"
        " WHERE document_chunks_fts MATCH ? LIMIT ?)",
        (_quoted(word), POSTINGS_BUDGET + 1)).scalar_one())


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _folded(text: str) -> str:
    """Lower case without diacritics, as the index's tokenizer (remove_diacritics) keeps words."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _marks(values: Sequence[object]) -> str:
    return ", ".join("?" * len(values))


def _delete(conn: Connection, document_id: str) -> None:
    """A document's passages (their vectors and index entries by cascade/trigger), then it."""
    execute = conn.exec_driver_sql
    execute("DELETE FROM document_chunks WHERE document_id = ?", (document_id,))
    execute("DELETE FROM documents WHERE id = ?", (document_id,))
