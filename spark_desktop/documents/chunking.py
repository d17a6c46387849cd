"""Cutting a document into passages small enough to embed and to quote, each knowing
where it sits (file, PDF page, line range) so an answer can cite it.

Sizes are in tokens, estimated without the model and on the safe side: ASCII letters,
digits and spaces at 4 characters a token (English words are one or two tokens in
llama.cpp's BPE vocabularies), ASCII punctuation at a token each (code is dense in it),
any other character at its UTF-8 bytes (a byte-level vocabulary never needs more), so a
256-token passage stays under the embedding context's 512-token micro-batch in any
script.
A passage ends at a blank line once it is half full, else at the line that would overflow
it; a single overlong line is cut into pieces that keep its line number.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from spark_desktop.documents.extract import Document

CHUNK_TOKENS: Final = 256
WORD_CHARS_PER_TOKEN: Final = 4.0
_PUNCTUATION: Final = frozenset(string.punctuation)


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


def estimate_tokens(text: str) -> float:
    """A conservative guess of a text's tokens (see the module's docstring)."""
    ascii_chars = len(text.encode("ascii", errors="ignore"))
    other_bytes = len(text.encode("utf-8", errors="replace")) - ascii_chars
    punctuation = sum(1 for ch in text if ch in _PUNCTUATION)
    return (ascii_chars - punctuation) / WORD_CHARS_PER_TOKEN + punctuation + other_bytes


def chunk_document(document: Document, tokens: int = CHUNK_TOKENS) -> list[Chunk]:
    """The document's passages of at most about `tokens` tokens each, none empty."""
    budget = max(4, tokens)
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
    size = 0.0  # estimated tokens held

    def flush() -> None:
        nonlocal held, size
        numbered = [(n, line) for n, line in held if line.strip()]
        if numbered:
            body = "\n".join(line for _, line in held).strip()
            pieces.append((numbered[0][0], numbered[-1][0], body))
        held, size = [], 0.0

    for number, line in enumerate(text.split("\n"), 1):
        cost = estimate_tokens(line) + 0.3  # the newline
        if size and size + cost > budget:
            flush()
        if cost > budget:
            step = max(1, int(len(line) * budget / cost))
            for start in range(0, len(line), step):
                held.append((number, line[start:start + step]))
                flush()
            continue
        held.append((number, line))
        size += cost
        if not line.strip() and size >= budget // 2:
            flush()
    flush()
    return pieces
