"""Keeping documents indexed (passages, vectors, full text) and searching them hybridly.

A document is indexed again only when the bytes it was read from (its content hash) or
the embedding model changed; then its passages are replaced in one transaction. Search
ranks the passages of the given documents twice, by vector similarity to the question
and by BM25 over the full-text index, and fuses the two rankings (reciprocal rank
fusion), so a passage that shares rare words with the question is found even when a
small embedding model misses it, and a paraphrase is found by the vectors.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from spark_desktop.documents.chunking import Chunk, Location, chunk_document
from spark_desktop.documents.errors import DocumentError
from spark_desktop.documents.extract import Document
from spark_desktop.documents.vectors import VectorMatrix, fuse, pack
from spark_desktop.history.documents import DocumentTables, IndexedDocument, NewChunk

# Texts in, one unit-length vector per text out (engine.Client.embed or ModelHost.embed).
EmbedFn = Callable[[Sequence[str]], Sequence[Sequence[float]]]
EMBED_BATCH: Final = 16  # passages per embedding request
CANDIDATES: Final = 50  # passages each ranking contributes to the fusion


@dataclass(frozen=True)
class IndexResult:
    """What indexing one document did: `embedded` False when it was already up to date."""

    path: str
    embedded: bool
    chunks: int
    seconds: float


@dataclass(frozen=True)
class Hit:
    """A passage found for a question, with its fused score and its place in each ranking."""

    path: str
    location: Location
    text: str
    score: float
    vector_rank: int | None
    text_rank: int | None


class DocumentIndex:
    """Documents of one database, embedded with one model."""

    def __init__(self, tables: DocumentTables, embed: EmbedFn, embed_model: str) -> None:
        self.tables = tables
        self.embed = embed
        self.embed_model = embed_model
        self._matrices: dict[tuple[str, ...], VectorMatrix] = {}

    def add(self, document: Document, chunks: Sequence[Chunk] | None = None) -> IndexResult:
        """Index `document` unless it is already indexed from the same bytes with this
        model. Embedding happens before the database is touched, so a failure keeps the
        previous passages."""
        started = time.perf_counter()
        key = str(document.path.resolve())
        known = self.tables.get(key)
        if known is not None and known.content_hash == document.content_hash \
                and known.embed_model == self.embed_model:
            return IndexResult(key, False, known.chunk_count, time.perf_counter() - started)
        chunks = list(chunks) if chunks is not None else chunk_document(document)
        vectors: list[Sequence[float]] = []
        for start in range(0, len(chunks), EMBED_BATCH):
            vectors += self.embed([c.text for c in chunks[start:start + EMBED_BATCH]])
        dimensions = len(vectors[0]) if vectors else 0
        self.tables.replace(key, document.kind, document.content_hash, self.embed_model,
                            dimensions, [_new_chunk(c, v) for c, v in zip(chunks, vectors,
                                                                          strict=True)])
        self._matrices.clear()
        return IndexResult(key, True, len(chunks), time.perf_counter() - started)

    def indexed(self, documents: Sequence[Document]) -> list[IndexedDocument]:
        """What the index holds for each of `documents`; raises for one not indexed."""
        keys = [str(document.path.resolve()) for document in documents]
        found = self.tables.get_many(keys)
        for document, key in zip(documents, keys, strict=True):
            if key not in found:
                raise DocumentError(document.path, f"{document.path} is not indexed yet; index "
                                                   "it before searching it.")
        return [found[key] for key in keys]

    def search(self, question: str, documents: Sequence[Document], limit: int) -> list[Hit]:
        """The `limit` best passages of `documents` for `question`, best first."""
        return self.search_indexed(question, self.indexed(documents), limit)

    def search_indexed(self, question: str, indexed: Sequence[IndexedDocument],
                       limit: int) -> list[Hit]:
        """The `limit` best passages of these indexed documents (a collection's), best first;
        none when there are no documents."""
        if not indexed:
            return []
        ids = tuple(sorted(doc.id for doc in indexed))
        dimensions = {doc.dimensions for doc in indexed}
        if len(dimensions) != 1:  # add() embeds every document with this index's model
            raise DocumentError(indexed[0].path, "These documents were embedded with models of "
                                                 "different widths; index them again.")
        matrix = self._matrices.get(ids)
        if matrix is None:
            matrix = VectorMatrix.from_rows(self.tables.vectors(ids), dimensions.pop())
            self._matrices = {ids: matrix}
        (query,) = self.embed([question])
        by_vector = matrix.nearest(query, CANDIDATES)
        by_text = self.tables.full_text(question, ids, CANDIDATES)
        fused = fuse([by_vector, by_text])[:limit]
        vector_rank = {seq: rank for rank, seq in enumerate(by_vector, 1)}
        text_rank = {seq: rank for rank, seq in enumerate(by_text, 1)}
        stored = {chunk.seq: chunk for chunk in self.tables.chunks([seq for seq, _ in fused])}
        return [Hit(stored[seq].path,
                    Location(stored[seq].page, stored[seq].first_line, stored[seq].last_line,
                             stored[seq].unit),
                    stored[seq].text, score, vector_rank.get(seq), text_rank.get(seq))
                for seq, score in fused if seq in stored]


def _new_chunk(chunk: Chunk, vector: Sequence[float]) -> NewChunk:
    location = chunk.location
    return NewChunk(chunk.text, location.page, location.first_line, location.last_line,
                    location.unit, pack(vector))
