"""Paints one message of the chat view and answers clicks on its links.

A message is laid out once per (message, revision, width) and cached: Markdown
parsing and text layout are the expensive parts, painting a cached layout is cheap.
Only rows that Qt asks about (the loaded page, and only visible ones for painting)
are ever laid out. The actions of a message (Copy, Edit, Regenerate, the branch
switcher "‹ 2/3 ›", the reasoning fold, a code block's Copy) are drawn as links and
hit-tested here, so no widget exists per message.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetricsF,
    QMouseEvent,
    QPainter,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import QAbstractItemView, QStyledItemDelegate, QStyleOptionViewItem

from spark_desktop.history.records import Message
from spark_desktop.ui.chat import markdown
from spark_desktop.ui.chat.message_model import (
    ExpandedRole,
    MessageRole,
    RevisionRole,
    SiblingsRole,
)

Index = QModelIndex | QPersistentModelIndex

MARGIN_X = 14.0
MARGIN_Y = 6.0
PAD = 10.0
GAP = 4.0
CACHE_SIZE = 400

FINISH_WORDS = {
    "length": ("Reached the reply length limit.", False),
    "cancelled": ("Stopped.", False),
    "error": ("The engine stopped during this reply; the text so far is kept.", True),
    "interrupted": ("Interrupted (the app or engine stopped); the text so far is kept.", True),
}


@dataclass
class Hit:
    rect: QRectF
    action: str
    payload: object = None


@dataclass
class Layout:
    """Where everything of one message goes, relative to the row's top-left corner."""

    height: float
    bubble: QRectF
    header: tuple[QRectF, str]
    body: tuple[QPointF, QTextDocument]
    reasoning: tuple[QPointF, QTextDocument] | None = None
    toggle: tuple[QRectF, str] | None = None
    codes: list[markdown.CodeBlock] = field(default_factory=list)
    status: tuple[QRectF, str, bool] | None = None
    links: list[tuple[QRectF, str]] = field(default_factory=list)
    stats: tuple[QRectF, str] | None = None
    hits: list[Hit] = field(default_factory=list)


def stats_text(msg: Message) -> str:
    """"42.0 tok/s · TTFT 85 ms · 128 tokens · stop" from what was stored with a reply."""
    parts: list[str] = []
    if msg.tokens_per_s:
        parts.append(f"{msg.tokens_per_s:.1f} tok/s")
    if msg.ttft_ms is not None:
        parts.append(f"TTFT {msg.ttft_ms:.0f} ms")
    if msg.completion_tokens:
        parts.append(f"{msg.completion_tokens} tokens")
    if msg.finish_reason:
        parts.append(msg.finish_reason)
    return " · ".join(parts)


class MessageDelegate(QStyledItemDelegate):
    """Draws messages as bubbles with Markdown bodies; emits `action` for clicked links."""

    action = Signal(str, str, object)  # action, message id, payload

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self._cache: OrderedDict[tuple, Layout] = OrderedDict()
        self.last_layout_ms = 0.0

    # -- layout ---------------------------------------------------------------------
    def _width(self) -> float:
        return float(max(self._view.viewport().width(), 200))

    def layout_for(self, index: Index) -> Layout:
        msg: Message = index.data(MessageRole)
        siblings: tuple[int, int] = index.data(SiblingsRole)
        expanded: bool = index.data(ExpandedRole)
        width = self._width()
        key = (msg.id, index.data(RevisionRole), width, expanded, siblings)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        started = time.perf_counter()
        made = self._make_layout(msg, siblings, expanded, width)
        self.last_layout_ms = (time.perf_counter() - started) * 1000.0
        self._cache[key] = made
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return made

    def _make_layout(self, msg: Message, siblings: tuple[int, int], expanded: bool,
                     width: float) -> Layout:
        font = QFont(self._view.font())
        small = QFont(font)
        small.setPointSizeF(max(font.pointSizeF() * 0.88, 6.0))
        fm_small = QFontMetricsF(small)
        palette = self._view.palette()
        user = msg.role == "user"
        outer = width - 2 * MARGIN_X
        bubble_w = outer * 0.8 if user else outer
        inner_w = bubble_w - 2 * PAD
        x0 = MARGIN_X + (outer - bubble_w if user else 0.0)
        line = fm_small.height()
        y = MARGIN_Y + PAD
        header_text = "You" if user else (msg.model or "Assistant")
        header = (QRectF(x0 + PAD, y, inner_w, line), header_text)
        y += line + GAP
        hits: list[Hit] = []
        reasoning = toggle = None
        if msg.reasoning and not user:
            words = len(msg.reasoning.split())
            label = ("▾ Reasoning" if expanded else "▸ Reasoning") + f" · {words} words"
            r = QRectF(x0 + PAD, y, fm_small.horizontalAdvance(label) + 4, line)
            toggle = (r, label)
            hits.append(Hit(r, "toggle_reasoning"))
            y += line + GAP
            if expanded:
                doc = markdown.render_plain(msg.reasoning, inner_w - 12, small)
                reasoning = (QPointF(x0 + PAD + 12, y), doc)
                y += doc.size().height() + GAP
        code_bg = palette.color(QPalette.ColorRole.AlternateBase)
        if user:
            body_doc = markdown.render_plain(msg.content, inner_w, font)
        else:
            text = msg.content or ("…" if msg.streaming else "")
            body_doc = markdown.render(text, inner_w, font, code_bg)
        body_pos = QPointF(x0 + PAD, y)
        codes: list[markdown.CodeBlock] = []
        for block in markdown.code_blocks(body_doc):
            rect = block.rect.translated(body_pos)
            codes.append(markdown.CodeBlock(rect, block.language, block.text))
            label_w = fm_small.horizontalAdvance("Copy") + 8
            hits.append(Hit(QRectF(rect.right() - label_w, rect.top(), label_w,
                                   markdown.CODE_HEADER), "copy_code", block.text))
        y += body_doc.size().height() + GAP
        status = None
        if msg.streaming:
            status = (QRectF(x0 + PAD, y, inner_w, line), "Generating…", False)
        elif msg.finish_reason in FINISH_WORDS:
            words, bad = FINISH_WORDS[msg.finish_reason]
            status = (QRectF(x0 + PAD, y, inner_w, line), words, bad)
        if status:
            y += line + GAP
        links: list[tuple[QRectF, str]] = []
        stats = None
        if not msg.streaming:
            x = x0 + PAD
            items: list[tuple[str, str]] = [("Copy", "copy")]
            items.append(("Edit", "edit") if user else ("Regenerate", "regenerate"))
            pos, count = siblings
            if count > 1:
                items += [("‹", "prev"), (f"{pos}/{count}", ""), ("›", "next")]
            for label, act in items:
                w = fm_small.horizontalAdvance(label) + 10
                r = QRectF(x, y, w, line)
                links.append((r, label))
                if act and not (act == "prev" and pos <= 1) and not (act == "next" and pos >= count):
                    hits.append(Hit(r, act))
                x += w + 6
            if not user:
                text = stats_text(msg)
                if text:
                    w = fm_small.horizontalAdvance(text) + 4
                    stats = (QRectF(max(x + 8, x0 + bubble_w - PAD - w), y, w, line), text)
            y += line
        y += PAD
        bubble = QRectF(x0, MARGIN_Y, bubble_w, y - MARGIN_Y)
        return Layout(height=y + MARGIN_Y, bubble=bubble, header=header,
                      body=(body_pos, body_doc), reasoning=reasoning, toggle=toggle,
                      codes=codes, status=status, links=links, stats=stats, hits=hits)

    # -- Qt delegate interface ------------------------------------------------------
    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(int(self._width()), int(self.layout_for(index).height + 0.5))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        lay = self.layout_for(index)
        msg: Message = index.data(MessageRole)
        pal = option.palette
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(QPointF(option.rect.topLeft()))
        clip = QRectF(0, 0, option.rect.width(), option.rect.height())
        painter.setClipRect(clip)
        if msg.role == "user":
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(pal.color(QPalette.ColorRole.AlternateBase))
            painter.drawRoundedRect(lay.bubble, 10, 10)
        small = QFont(option.font)
        small.setPointSizeF(max(option.font.pointSizeF() * 0.88, 6.0))
        muted = pal.color(QPalette.ColorRole.PlaceholderText)
        link = pal.color(QPalette.ColorRole.Link)
        painter.setFont(small)
        bold = QFont(small)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(muted)
        painter.drawText(lay.header[0], Qt.AlignmentFlag.AlignLeft, lay.header[1])
        painter.setFont(small)
        if lay.toggle:
            painter.setPen(link)
            painter.drawText(lay.toggle[0], Qt.AlignmentFlag.AlignLeft, lay.toggle[1])
        if lay.reasoning:
            pos, doc = lay.reasoning
            painter.setPen(QColor(muted))
            painter.drawLine(QPointF(pos.x() - 7, pos.y()),
                             QPointF(pos.x() - 7, pos.y() + doc.size().height()))
            self._draw_doc(painter, doc, pos, clip, muted)
        self._draw_doc(painter, lay.body[1], lay.body[0], clip, pal.color(QPalette.ColorRole.Text))
        painter.setFont(small)
        for code in lay.codes:
            head = QRectF(code.rect.left() + 6, code.rect.top() + 2, code.rect.width() - 12,
                          markdown.CODE_HEADER - 4)
            painter.setPen(muted)
            painter.drawText(head, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             code.language or "code")
            painter.setPen(link)
            painter.drawText(head, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             "Copy")
        if lay.status:
            rect, words, bad = lay.status
            painter.setPen(QColor("#c62828") if bad else muted)
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft, words)
        actionable = {(h.rect.x(), h.rect.y()) for h in lay.hits}
        for rect, label in lay.links:
            painter.setPen(link if (rect.x(), rect.y()) in actionable else muted)
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft, label)
        if lay.stats:
            painter.setPen(muted)
            painter.drawText(lay.stats[0], Qt.AlignmentFlag.AlignRight, lay.stats[1])
        painter.restore()

    @staticmethod
    def _draw_doc(painter: QPainter, doc: QTextDocument, pos: QPointF, clip: QRectF,
                  color: QColor) -> None:
        from PySide6.QtGui import QAbstractTextDocumentLayout

        painter.save()
        painter.translate(pos)
        ctx = QAbstractTextDocumentLayout.PaintContext()
        ctx.palette.setColor(QPalette.ColorRole.Text, color)
        visible = painter.clipBoundingRect()
        ctx.clip = visible if not visible.isEmpty() else clip.translated(-pos)
        doc.documentLayout().draw(painter, ctx)
        painter.restore()

    def editorEvent(self, event: QEvent, model: object, option: QStyleOptionViewItem,
                    index: Index) -> bool:
        if event.type() != QEvent.Type.MouseButtonRelease or not isinstance(event, QMouseEvent) \
                or event.button() != Qt.MouseButton.LeftButton:
            return False
        local = event.position() - QPointF(option.rect.topLeft())
        hit = self.hit_at(index, local)
        if hit is None:
            return False
        self.action.emit(hit.action, index.data(MessageRole).id, hit.payload)
        return True

    def hit_at(self, index: Index, local: QPointF) -> Hit | None:
        """The link under a point of a row (row coordinates), links in Markdown included."""
        lay = self.layout_for(index)
        for hit in lay.hits:
            if hit.rect.contains(local):
                return hit
        pos, doc = lay.body
        anchor = doc.documentLayout().anchorAt(local - pos)
        if anchor:
            return Hit(QRectF(), "link", anchor)
        return None
