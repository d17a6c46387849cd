"""Cutting a document into passages small enough to embed and to quote, each knowing
where it sits (file, PDF page, line range) so an answer can cite it.

Sizes are in tokens, turned into characters with a conservative characters-per-token
ratio (about 3.5 for English prose and code with llama.cpp's BPE vocabularies, so a
256-token budget stays well under the embedding context's 512-token micro-batch). A
passage ends at a blank line once it is half full, else at the line that would overflow
it; a single overlong line is cut into pieces that keep its line number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

from spark_desktop.documents.extract import Document

CHUNK_TOKENS: Final = 256
CHARS_PER_TOKEN: Final = 3.5


@dataclass(frozen=True)
class Location:
    """Where a passage sits in its file: a PDF page and/or a range of lines (1-based)."""

    page: int | None
    first_line: int
    last_line: int
    unit: str = "line"  # "paragraph" for DOCX

    def describe(self) -> str:
        lines = (f"{self.unit} {self.first_line}" if self.first_line == self.last_line
                 else f"{self.unit}s {self.first_line}-{self.last_line}")
        return f"page {self.page}, {lines}" if self.page is not None else lines

    def to_dict(self) -> dict[str, int | str | None]:
        return {"page": self.page, "first_line": self.first_line,
                "last_line": self.last_line, "unit": self.unit}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Location:
        page = data.get("page")
        return cls(page=int(str(page)) if page is not None else None,
                   first_line=int(str(data["first_line"])), last_line=int(str(data["last_line"])),
                   unit=str(data.get("unit", "line")))


@dataclass(frozen=True)
class Chunk:
    """One passage of a document, in reading order (`ordinal` from 0)."""

    path: Path
    ordinal: int
    text: str
    location: Location


def chunk_document(document: Document, tokens: int = CHUNK_TOKENS,
                   chars_per_token: float = CHARS_PER_TOKEN) -> list[Chunk]:
    """The document's passages of about `tokens` tokens each, none empty."""
    budget = max(16, int(tokens * chars_per_token))
    chunks: list[Chunk] = []
    for section in document.sections:
        for first, last, text in _pieces(section.text, budget):
            location = Location(section.page, first, last, document.line_unit)
            chunks.append(Chunk(document.path, len(chunks), text, location))
    return chunks


def _pieces(text: str, budget: int) -> list[tuple[int, int, str]]:
    """(first line, last line, text) of each passage of `text`; blank edges are dropped."""
    pieces: list[tuple[int, int, str]] = []
    held: list[tuple[int, str]] = []  # (line number, text) of the passage being filled
    size = 0

    def flush() -> None:
        nonlocal held, size
        numbered = [(n, line) for n, line in held if line.strip()]
        if numbered:
            body = "\n".join(line for _, line in held).strip()
            pieces.append((numbered[0][0], numbered[-1][0], body))
        held, size = [], 0

    for number, line in enumerate(text.split("\n"), 1):
        if size and size + len(line) + 1 > budget:
            flush()
        if len(line) > budget:
            for start in range(0, len(line), budget):
                held.append((number, line[start:start + budget]))
                flush()
            continue
        held.append((number, line))
        size += len(line) + 1
        if not line.strip() and size >= budget // 2:
            flush()
    flush()
    return pieces
