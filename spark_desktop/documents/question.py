"""A question about documents, made into a prompt: whole documents when they fit the
model's context with room for the answer, else the best passages retrieved from the index.

Either way the text goes in as numbered passages ([1], [2], ...) with their file and place,
and the model is asked to cite them by number, so every statement can be checked against
its source. The GUI and `spark-desktop ask` share this.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from spark_desktop.documents.chunking import CHUNK_TOKENS, Location, chunk_document
from spark_desktop.documents.extract import Document
from spark_desktop.documents.index import DocumentIndex
from spark_desktop.history.documents import IndexedDocument

Mode = Literal["whole", "retrieved"]
Messages = list[dict[str, str]]
RETRIEVED_PASSAGES: Final = 6  # passages placed in the prompt at most (fewer if they overflow)
ANSWER_TOKENS: Final = 512  # room kept for the answer when no --max-tokens is given
WHOLE_CHARS_PER_TOKEN: Final = 8  # past this many characters per context token, skip counting
INSTRUCTION: Final = (
    "Answer the question using only the numbered passages from the user's documents. "
    "After each statement, cite the passages it rests on by number, like [1] or [2]. "
    "If the passages do not hold the answer, say so.")
_MARKER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Passage:
    """A numbered passage as the prompt shows it."""

    n: int
    path: Path
    location: Location
    text: str

    def to_dict(self) -> dict[str, Any]:
        """The passage as a reply keeps it (Message.extra["citations"]) and `ask` prints it."""
        return {"n": self.n, "file": str(self.path), "location": self.location.describe(),
                "page": self.location.page, "first_line": self.location.first_line,
                "last_line": self.location.last_line, "unit": self.location.unit,
                "text": self.text}

    def citation(self, answer: str) -> dict[str, Any]:
        """The `ask --json` citation; `cited` says whether the answer refers to it."""
        return {**self.to_dict(), "cited": self.n in cited_numbers(answer)}


@dataclass(frozen=True)
class PreparedQuestion:
    """The messages to send, how the documents went in, and what retrieval cost."""

    mode: Mode
    messages: Messages
    passages: tuple[Passage, ...]
    retrieval_ms: float  # time spent before generation could start (0 when whole)
    notes: tuple[str, ...] = ()


def cited_numbers(answer: str) -> set[int]:
    return {int(n) for n in _MARKER.findall(answer)}


def build_messages(question: str, passages: Sequence[Passage]) -> Messages:
    blocks = [f"[{p.n}] {p.path.name}, {p.location.describe()}:\n{p.text}" for p in passages]
    user = "Passages:\n\n" + "\n\n".join(blocks) + f"\n\nQuestion: {question}"
    return [{"role": "system", "content": INSTRUCTION}, {"role": "user", "content": user}]


def prepare(question: str, documents: Sequence[Document], *, n_ctx: int,
            count_tokens: Callable[[Messages], int], index: Callable[[], DocumentIndex],
            answer_tokens: int | None = None, passages: int = RETRIEVED_PASSAGES,
            chunk_tokens: int = CHUNK_TOKENS,
            on_index: Callable[[str], None] | None = None,
            collection: Callable[[DocumentIndex], Sequence[IndexedDocument]] | None = None,
            ) -> PreparedQuestion:
    """Whole when every document fits in `n_ctx` tokens beside the answer's room, else
    retrieved through `index()` (opened only then; documents are indexed first, skipping
    the unchanged). `count_tokens` is the chat model's own count of a prompt;
    `chunk_tokens` must stay under the embedder's tokens per input (its n_ubatch).
    `collection(index)`: the indexed documents of a collection to search as well (always
    retrieved then)."""
    budget = n_ctx - (answer_tokens or ANSWER_TOKENS)
    notes = tuple(note for document in documents for note in document.notes)
    chunked = [chunk_document(document, chunk_tokens) for document in documents]
    whole = [Passage(n, c.path.resolve(), c.location, c.text)
             for n, c in enumerate((c for chunks in chunked for c in chunks), 1)]
    total_chars = sum(len(p.text) for p in whole)
    if collection is None and total_chars <= budget * WHOLE_CHARS_PER_TOKEN:
        messages = build_messages(question, whole)
        if count_tokens(messages) <= budget:
            return PreparedQuestion("whole", messages, tuple(whole), 0.0, notes)
    opened = index()
    for document, chunks in zip(documents, chunked, strict=True):
        result = opened.add(document, chunks)
        if on_index is not None and result.embedded:
            on_index(f"indexed {document.path.name}: {result.chunks} passages in "
                     f"{result.seconds:.1f} s")
    indexed = opened.indexed(documents)
    if collection is not None:  # (synced first: indexing, like add above, is not timed)
        ids = {doc.id for doc in indexed}
        indexed += [doc for doc in collection(opened) if doc.id not in ids]
    started_search = time.perf_counter()
    hits = opened.search_indexed(question, indexed, passages)
    found = [Passage(n, Path(hit.path), hit.location, hit.text) for n, hit in enumerate(hits, 1)]
    messages = build_messages(question, found)
    while len(found) > 1 and count_tokens(messages) > budget:
        found.pop()
        messages = build_messages(question, found)
    # Indexing is left out: it happens once per document, retrieval once per question.
    retrieval_ms = (time.perf_counter() - started_search) * 1000
    return PreparedQuestion("retrieved", messages, tuple(found), retrieval_ms, notes)

