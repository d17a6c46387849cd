"""Markdown of a message rendered safely into a QTextDocument.

Qt's own Markdown parser (md4c) does the parsing; we switch raw HTML off (it shows as
text), replace every image by its address in words (nothing is ever fetched, local or
remote: a reply must not make the app open files or the network), give code blocks a
monospace font, a tinted background and Pygments' syntax colours, and remember where
each code block is so the message view can draw a Copy button over it.

Pygments finds a lexer by importing its module (tens of ms each): the lexers of common
languages are loaded off the GUI thread at start (`preload_lexers`), and a block in a
language not loaded yet stays uncoloured rather than stall the window.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QRectF
from PySide6.QtGui import (
    QColor,
    QFont,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextTable,
)

from spark_desktop.ui.theme import Colours
from spark_desktop.ui.widgets import replace_images

_FEATURES = QTextDocument.MarkdownFeature(
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub.value
    | QTextDocument.MarkdownFeature.MarkdownNoHTML.value)

CODE_HEADER = 20.0  # room above a code block for its language and the Copy button
HIGHLIGHT_LIMIT = 20_000  # characters of one code block that get colours (lexing is linear)
COMMON_LANGUAGES = ("python", "py", "javascript", "js", "typescript", "ts", "bash", "sh",
                    "shell", "console", "c", "cpp", "c++", "rust", "go", "java", "kotlin",
                    "json", "yaml", "toml", "html", "xml", "css", "sql", "diff", "markdown",
                    "dockerfile", "lua", "ruby", "php", "csharp", "swift", "cuda")
_LEXERS: dict[str, Any] = {}  # language → Pygments lexer, filled by preload_lexers


def preload_lexers(languages: tuple[str, ...] = COMMON_LANGUAGES) -> None:
    """Load Pygments' lexers of `languages` (slow imports: call it off the GUI thread)."""
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    for name in languages:
        try:
            _LEXERS[name] = get_lexer_by_name(name, stripnl=False, ensurenl=False)
        except ClassNotFound:
            continue


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
    above each block for its header; quotes tinted too, tables with thin ruled cells."""
    cursor = QTextCursor(doc)
    block = doc.begin()
    previous_code = False
    while block.isValid():
        fmt = block.blockFormat()
        code = _is_code(fmt)
        if fmt.hasProperty(QTextFormat.Property.BlockQuoteLevel):
            fmt.setBackground(background)
            cursor.setPosition(block.position())
            cursor.setBlockFormat(fmt)
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
    for frame in doc.rootFrame().childFrames():
        if isinstance(frame, QTextTable):
            table = frame.format().toTableFormat()
            table.setBorderCollapse(True)
            table.setBorder(1)
            table.setBorderBrush(background.darker(115))
            table.setCellPadding(5)
            frame.setFormat(table)


def _token_colour(token: Any, c: Colours) -> str | None:
    from pygments.token import Comment, Keyword, Name, Number, String

    if token in Comment:
        return c.comment
    if token in Keyword or token in Name.Builtin or token in Name.Tag:
        return c.keyword
    if token in String:
        return c.string
    if token in Number:
        return c.number
    if token in Name.Function or token in Name.Class or token in Name.Decorator:
        return c.function
    return None


def _highlight(doc: QTextDocument, colours: Colours) -> None:
    """Colour each code block in a language whose lexer is loaded."""
    cursor = QTextCursor(doc)
    block = doc.begin()
    while block.isValid():
        if not _is_code(block.blockFormat()):
            block = block.next()
            continue
        start = block.position()
        language = block.blockFormat().stringProperty(QTextFormat.Property.BlockCodeLanguage)
        lines = []
        while block.isValid() and _is_code(block.blockFormat()):
            lines.append(block.text())
            block = block.next()
        lexer = _LEXERS.get(language.strip().lower())
        code = "\n".join(lines)
        if lexer is None or len(code) > HIGHLIGHT_LIMIT:
            continue
        for offset, token, value in lexer.get_tokens_unprocessed(code):
            colour = _token_colour(token, colours)
            if colour is None or not value.strip():
                continue
            fmt = QTextCharFormat()
            fmt.setForeground(QColor(colour))
            cursor.setPosition(start + offset)
            cursor.setPosition(start + offset + len(value), QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(fmt)


def render(text: str, width: float, font: QFont, code_background: QColor,
           highlight: Colours | None = None) -> QTextDocument:
    """A laid-out document for `text` at `width` pixels (Markdown; raw HTML shown as text);
    with `highlight`, code blocks get syntax colours from that scheme."""
    doc = _new_document(font)
    doc.setMarkdown(text, _FEATURES)
    replace_images(doc)
    _style_code(doc, code_background)
    if highlight is not None:
        _highlight(doc, highlight)
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


def formatted_json(text: str) -> str | None:
    """A reply that is one JSON object or array (one made under a JSON schema) as an
    indented ```json block; None when it is not such JSON (e.g. stopped half-way)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    if not isinstance(value, dict | list):
        return None
    pretty = json.dumps(value, indent=2, ensure_ascii=False)
    longest = max((len(run) for run in re.findall(r"`+", pretty)), default=0)
    fence = "`" * max(3, longest + 1)  # a fence no string inside can close
    return f"{fence}json\n{pretty}\n{fence}\n"


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
