"""Markdown of a message rendered safely into a QTextDocument.

Qt's own Markdown parser (md4c) does the parsing; we switch raw HTML off (it shows as
text), replace every image by its address in words (nothing is ever fetched, local or
remote: a reply must not make the app open files or the network), give code blocks a
monospace font and a tinted background, and remember where each code block is so the
message view can draw a Copy button over it.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF
from PySide6.QtGui import (
    QColor,
    QFont,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)

from spark_desktop.ui.widgets import replace_images

_FEATURES = QTextDocument.MarkdownFeature(
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub.value
    | QTextDocument.MarkdownFeature.MarkdownNoHTML.value)

CODE_HEADER = 20.0  # room above a code block for its language and the Copy button


@dataclass(frozen=True)
class CodeBlock:
    """One fenced or indented code block: where it is drawn and its text to copy."""

    rect: QRectF
    language: str
    text: str


def _new_document(font: QFont) -> QTextDocument:
    """An off-screen document; its layout's signals are blocked.

    Nothing listens to them (the delegate draws the layout itself), and in PySide6 6.12
    each emission of them drops a reference to None, which after enough messages kills
    the interpreter ("Fatal Python error: none_dealloc"). The same bug is why this module
    neither subclasses QTextDocument nor calls QTextCharFormat.setFont/setFontFamilies.
    """
    doc = QTextDocument()
    doc.documentLayout().blockSignals(True)
    doc.setDefaultFont(font)
    doc.setDocumentMargin(0)
    return doc


def _is_code(block_format: QTextBlockFormat) -> bool:
    return block_format.hasProperty(QTextFormat.Property.BlockCodeFence) or \
        block_format.nonBreakableLines()


def _style_code(doc: QTextDocument, background: QColor) -> None:
    """A tinted background for code blocks (Qt already sets them monospace) and room
    above each block for its header."""
    cursor = QTextCursor(doc)
    block = doc.begin()
    previous_code = False
    while block.isValid():
        fmt = block.blockFormat()
        code = _is_code(fmt)
        if code:
            fmt.setBackground(background)
            fmt.setLeftMargin(6)
            fmt.setRightMargin(6)
            if not previous_code:
                fmt.setTopMargin(CODE_HEADER)
            cursor.setPosition(block.position())
            cursor.setBlockFormat(fmt)
        previous_code = code
        block = block.next()


def render(text: str, width: float, font: QFont, code_background: QColor) -> QTextDocument:
    """A laid-out document for `text` at `width` pixels (Markdown; raw HTML shown as text)."""
    doc = _new_document(font)
    doc.setMarkdown(text, _FEATURES)
    replace_images(doc)
    _style_code(doc, code_background)
    doc.setTextWidth(max(width, 40.0))
    return doc


def render_plain(text: str, width: float, font: QFont) -> QTextDocument:
    """A laid-out plain-text document (user messages and reasoning: shown as typed)."""
    doc = _new_document(font)
    doc.setPlainText(text)
    doc.setTextWidth(max(width, 40.0))
    return doc


def code_blocks(doc: QTextDocument) -> list[CodeBlock]:
    """The code blocks of a laid-out document: their area (header included) and text."""
    layout = doc.documentLayout()
    found: list[CodeBlock] = []
    block = doc.begin()
    lines: list[str] = []
    rect = QRectF()
    language = ""
    while True:
        code = block.isValid() and _is_code(block.blockFormat())
        if code:
            r = layout.blockBoundingRect(block)
            if not lines:
                language = block.blockFormat().stringProperty(
                    QTextFormat.Property.BlockCodeLanguage)
                rect = r.adjusted(0, -CODE_HEADER, 0, 0)  # the header sits in the top margin
            else:
                rect = rect.united(r)
            lines.append(block.text())
        elif lines:
            found.append(CodeBlock(QRectF(rect), language, "\n".join(lines)))
            lines = []
        if not block.isValid():
            return found
        block = block.next()


def split_chunks(text: str, target: int = 1200) -> list[str]:
    """Cut Markdown into pieces of about `target` characters at blank lines outside code
    fences. A reply is laid out piece by piece: while it streams only its last piece
    changes, so each repaint re-parses a few hundred characters, not the whole reply.
    The cut points of a text never move as text is appended to it.
    """
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif fence is not None and stripped.startswith(fence):
            fence = None
        current.append(line)
        size += len(line)
        if fence is None and size >= target and not line.strip():
            chunks.append("".join(current))
            current, size = [], 0
    if current or not chunks:
        chunks.append("".join(current))
    return chunks
