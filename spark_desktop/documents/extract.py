"""Text out of a file, with where each piece came from (page, line) for citations.

One reader per format: plain text, Markdown and source code as they are; PDF through
pypdf, page by page (a PDF whose pages hold no text is scanned, and says so); DOCX
through python-docx, one line per paragraph; HTML through the standard library's
parser, without scripts and styles. The file is read once, so the content hash and the
text always describe the same bytes.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Final, Literal

from spark_desktop.documents.errors import (
    CorruptDocumentError,
    DocumentMissingError,
    DocumentTooLargeError,
    NoTextError,
    UnsupportedDocumentError,
)

MAX_DOCUMENT_BYTES: Final = 64 << 20  # one document; a bigger one is refused, not truncated
Kind = Literal["text", "pdf", "docx", "html"]
_HTML_SUFFIXES: Final = {".html", ".htm", ".xhtml"}
_BINARY_PROBE: Final = 8192


@dataclass(frozen=True)
class Section:
    """A run of text with one origin: a PDF page, or the whole of a text file."""

    text: str
    page: int | None = None  # 1-based, PDFs only


@dataclass(frozen=True)
class Document:
    """A file's text as extracted, and the hash of the bytes it came from."""

    path: Path
    kind: Kind
    sections: tuple[Section, ...]
    content_hash: str
    notes: tuple[str, ...] = ()  # things a person should know (pages without text)

    @property
    def text(self) -> str:
        return "\n\n".join(section.text for section in self.sections)

    @property
    def line_unit(self) -> str:
        """What a "line" of this document is, for citations."""
        return "paragraph" if self.kind == "docx" else "line"


def read_document(path: Path | str, limit: int = MAX_DOCUMENT_BYTES) -> Document:
    """Extract `path`. Raises DocumentMissingError, DocumentTooLargeError,
    CorruptDocumentError, NoTextError or UnsupportedDocumentError."""
    path = Path(path).expanduser()
    try:
        size = path.stat().st_size
        if size > limit:
            raise DocumentTooLargeError(path, size, limit)
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise DocumentMissingError(path) from exc
    if len(data) > limit:  # grew between stat and read
        raise DocumentTooLargeError(path, len(data), limit)
    kind = kind_of(path)
    notes: tuple[str, ...] = ()
    if kind == "pdf":
        sections, notes = _pdf(path, data)
    elif kind == "docx":
        sections = (Section(_docx(path, data)),)
    elif kind == "html":
        sections = (Section(_html(_decode(path, data))),)
    else:
        sections = (Section(_decode(path, data)),)
    sections = tuple(s for s in sections if s.text.strip())
    if not sections:
        raise NoTextError(path, scanned=kind == "pdf")
    return Document(path, kind, sections, hashlib.sha256(data).hexdigest(), notes)


def kind_of(path: Path) -> Kind:
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix == ".docx":
        return "docx"
    return "html" if suffix in _HTML_SUFFIXES else "text"


def _decode(path: Path, data: bytes) -> str:
    """UTF-8 (or UTF-16 with its BOM); other bytes are replaced, never fatal. A file with
    NUL bytes and no UTF-16 BOM is binary, not text."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if b"\x00" in data[:_BINARY_PROBE]:
        raise UnsupportedDocumentError(path)
    return data.decode("utf-8-sig", errors="replace").replace("\r\n", "\n").replace("\r", "\n")


def _pdf(path: Path, data: bytes) -> tuple[tuple[Section, ...], tuple[str, ...]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        texts = [(page.extract_text() or "") for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, OSError) as exc:  # pypdf's failures on damaged files vary
        raise CorruptDocumentError(path, "PDF", str(exc) or type(exc).__name__) from exc
    if not texts:
        raise CorruptDocumentError(path, "PDF", "it has no pages")
    blank = [n for n, text in enumerate(texts, 1) if not text.strip()]
    note = (f"{path.name}: {len(blank)} of {len(texts)} pages have no text (scanned?) and "
            "were left out.")
    notes = (note,) if blank and len(blank) < len(texts) else ()
    return tuple(Section(text, page=n) for n, text in enumerate(texts, 1)), notes


def _docx(path: Path, data: bytes) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise CorruptDocumentError(path, "Word document", str(exc) or type(exc).__name__) from exc
    return "\n".join(paragraph.text for paragraph in document.paragraphs)


class _HtmlText(HTMLParser):
    """Visible text of an HTML page; block elements start new lines."""

    _SKIP: Final = {"script", "style", "template", "noscript", "head"}
    _BLOCKS: Final = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
                      "pre", "section", "article", "table", "ul", "ol", "blockquote", "hr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def _html(markup: str) -> str:
    parser = _HtmlText()
    parser.feed(markup)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).split("\n"))
    return "\n".join(line for line in lines if line)
