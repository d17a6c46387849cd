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
    QT_TRANSLATE_NOOP,
    QCoreApplication,
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
from spark_desktop.ui import theme
from spark_desktop.ui.chat import citations, markdown
from spark_desktop.ui.chat.approval_card import call_line
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
PIECE_CACHE_SIZE = 1500

translate = QCoreApplication.translate
FINISH_WORDS = {  # English, translated in the context "MessageDelegate" when laid out
    "length": (QT_TRANSLATE_NOOP("MessageDelegate", "Reached the reply length limit."), False),
    "cancelled": (QT_TRANSLATE_NOOP("MessageDelegate", "Stopped."), False),
    "error": (QT_TRANSLATE_NOOP(
        "MessageDelegate", "The engine stopped during this reply; the text so far is kept."),
        True),
    "interrupted": (QT_TRANSLATE_NOOP(
        "MessageDelegate", "Interrupted (the app or engine stopped); the text so far is kept."),
        True),
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
    body: list[tuple[QPointF, QTextDocument]]
    reasoning: tuple[QPointF, QTextDocument] | None = None
    toggle: tuple[QRectF, str] | None = None
    codes: list[markdown.CodeBlock] = field(default_factory=list)
    status: tuple[QRectF, str, bool] | None = None
    links: list[tuple[QRectF, str]] = field(default_factory=list)
    stats: tuple[QRectF, str] | None = None
    hits: list[Hit] = field(default_factory=list)
    sources: list[tuple[QRectF, str, bool]] = field(default_factory=list)  # (…, is a link)


def shown_text(msg: Message) -> str:
    """A reply's text, then a line for each tool it called (Called add {"a": 2})."""
    calls = msg.extra.get("tool_calls") if msg.role == "assistant" else None
    lines = [f"→ {call_line(c.get('name', ''), c.get('arguments', ''))}" for c in calls or ()]
    return "\n\n".join([msg.content, *lines] if msg.content else lines)


def stats_text(msg: Message) -> str:
    """The figures stored with a reply: 42.0 tok/s · TTFT 85 ms · 128 tokens · stop."""
    parts: list[str] = []
    if msg.tokens_per_s:
        parts.append(f"{msg.tokens_per_s:.1f} tok/s")
    if msg.ttft_ms is not None:
        parts.append(f"TTFT {msg.ttft_ms:.0f} ms")
    count = msg.completion_tokens  # (lupdate reads a plural's count only from a name)
    if count:
        parts.append(translate("MessageDelegate", "%n tokens", "", count))
    if msg.finish_reason:
        parts.append(msg.finish_reason)
    return " · ".join(parts)


class MessageDelegate(QStyledItemDelegate):
    """Draws messages as bubbles with Markdown bodies; emits `action` for clicked links."""

    action = Signal(str, str, object)  # action, message id, payload
    first_shown = Signal(str)          # a message painted for the first time (its id)

    def __init__(self, view: QAbstractItemView) -> None:
        super().__init__(view)
        self._view = view
        self._cache: OrderedDict[tuple, Layout] = OrderedDict()
        self._pieces: OrderedDict[tuple, tuple[QTextDocument, list[markdown.CodeBlock]]] = \
            OrderedDict()
        self.last_layout_ms = 0.0       # wall time of the last layout (load included)
        self.last_layout_cpu_ms = 0.0   # its CPU time (what our code costs)
        self._laid_out: set[str] = set()    # messages with a real layout (some revision)
        self._estimated: set[str] = set()   # messages whose size the view has as an estimate
        self._shown: set[str] = set()

    # -- layout ---------------------------------------------------------------------
    def forget_shown(self) -> None:
        """A new page replaced the rows: report each row again when it is first painted."""
        self._shown.clear()

    def clear_cache(self) -> None:
        """Forget every laid-out message (benchmarks measure cold opens with it)."""
        self._cache.clear()
        self._pieces.clear()
        self._laid_out.clear()
        self._estimated.clear()
        self._shown.clear()

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
        started, cpu = time.perf_counter(), time.thread_time()
        made = self._make_layout(msg, siblings, expanded, width)
        self._laid_out.add(msg.id)
        self.last_layout_ms = (time.perf_counter() - started) * 1000.0
        self.last_layout_cpu_ms = (time.thread_time() - cpu) * 1000.0
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
        bubble_w = outer * 0.8 if user else outer * 0.94
        inner_w = bubble_w - 2 * PAD
        x0 = MARGIN_X + (outer - bubble_w if user else 0.0)
        line = fm_small.height()
        y = MARGIN_Y + PAD
        header_text = self.tr("You") if user else (msg.model or self.tr("Assistant"))
        if msg.role == "tool":
            header_text = self.tr("Result of {tool}").format(tool=msg.extra.get("name", ""))
        header = (QRectF(x0 + PAD, y, inner_w, line), header_text)
        y += line + GAP
        hits: list[Hit] = []
        reasoning = toggle = None
        if msg.reasoning and not user:
            words = len(msg.reasoning.split())
            label = ("▾ " if expanded else "▸ ") + self.tr("Thinking · %n words", "", words)
            r = QRectF(x0 + PAD, y, fm_small.horizontalAdvance(label) + 4, line)
            toggle = (r, label)
            hits.append(Hit(r, "toggle_reasoning"))
            y += line + GAP
            if expanded:
                doc = markdown.render_plain(msg.reasoning, inner_w - 12, small)
                reasoning = (QPointF(x0 + PAD + 12, y), doc)
                y += doc.size().height() + GAP
        body: list[tuple[QPointF, QTextDocument]] = []
        codes: list[markdown.CodeBlock] = []
        for doc, blocks in self._body(msg, inner_w, font, palette):
            pos = QPointF(x0 + PAD, y)
            body.append((pos, doc))
            for block in blocks:
                rect = block.rect.translated(pos)
                codes.append(markdown.CodeBlock(rect, block.language, block.text))
                label_w = fm_small.horizontalAdvance(self.tr("Copy")) + 8
                hits.append(Hit(QRectF(rect.right() - label_w, rect.top(), label_w,
                                       markdown.CODE_HEADER), "copy_code", block.text))
            y += doc.size().height()
        y += GAP
        status = None
        if msg.streaming:
            status = (QRectF(x0 + PAD, y, inner_w, line), self.tr("Generating…"), False)
        elif msg.finish_reason in FINISH_WORDS:
            words, bad = FINISH_WORDS[msg.finish_reason]
            status = (QRectF(x0 + PAD, y, inner_w, line), self.tr(words), bad)
        if status:
            y += line + GAP
        sources, y = self._sources(msg, x0 + PAD, y, inner_w, fm_small, hits)
        links: list[tuple[QRectF, str]] = []
        stats = None
        if not msg.streaming:
            x = x0 + PAD
            items: list[tuple[str, str]] = [(self.tr("Copy"), "copy")]
            if msg.role != "tool":
                items.append((self.tr("Edit"), "edit") if user
                             else (self.tr("Regenerate"), "regenerate"))
            pos, count = siblings
            if count > 1:
                items += [("‹", "prev"), (f"{pos}/{count}", ""), ("›", "next")]
            for label, act in items:
                w = fm_small.horizontalAdvance(label) + 10
                r = QRectF(x, y, w, line)
                links.append((r, label))
                at_end = (act == "prev" and pos <= 1) or (act == "next" and pos >= count)
                if act and not at_end:
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
                      body=body, reasoning=reasoning, toggle=toggle,
                      codes=codes, status=status, links=links, stats=stats, hits=hits,
                      sources=sources)

    def _sources(self, msg: Message, x: float, y: float, width: float, fm: QFontMetricsF,
                 hits: list[Hit]) -> tuple[list[tuple[QRectF, str, bool]], float]:
        """A reply's sources, each opening its passage, or the documents a question was
        sent with; and the y below them."""
        lines: list[tuple[str, int | None]] = []
        if msg.role == "user":
            names = citations.document_names(msg.extra)
            if names:
                lines.append((self.tr("Attached: %1").replace("%1", ", ".join(names)), None))
        else:
            shown, more = citations.source_lines(msg.content, msg.extra)
            if shown:
                lines.append((self.tr("Sources (whole documents):")
                              if msg.extra.get("mode") == "whole"
                              else self.tr("Sources (retrieved passages):"), None))
                lines += [(text, n) for n, text in shown]
                if more:
                    lines.append((self.tr("and %n more", "", more), None))
        out: list[tuple[QRectF, str, bool]] = []
        height = fm.height()
        for text, n in lines:
            text = fm.elidedText(text, Qt.TextElideMode.ElideMiddle, width)
            rect = QRectF(x, y, min(width, fm.horizontalAdvance(text) + 4) if n else width,
                          height)
            out.append((rect, text, n is not None))
            if n is not None:
                hits.append(Hit(rect, "citation", n))
            y += height
        return out, y + (GAP if out else 0.0)

    def _body(self, msg: Message, width: float, font: QFont, palette: QPalette
              ) -> list[tuple[QTextDocument, list[markdown.CodeBlock]]]:
        """The message text as laid-out pieces; pieces already seen come from the cache.
        Code is coloured in finished pieces only: the piece a reply is streaming into is
        re-laid out on every repaint, and lexing it each time would cost the GUI thread."""
        shown_json = markdown.formatted_json(msg.content) \
            if msg.extra.get("json") and not msg.streaming else None
        plain = msg.role in ("user", "tool")
        if plain:
            chunks = [msg.content]
        elif shown_json is not None:  # a reply under a JSON schema: indented, as code
            chunks = [shown_json]
        else:
            chunks = markdown.split_chunks(shown_text(msg) or ("…" if msg.streaming else ""))
        code_bg = palette.color(QPalette.ColorRole.AlternateBase)
        scheme = theme.colours()
        out = []
        numbers = {c["n"] for c in citations.citations(msg.extra)}
        if numbers and not plain:
            chunks = [citations.link_markers(chunk, numbers) for chunk in chunks]
        for i, chunk in enumerate(chunks):
            colours = None if msg.streaming and i == len(chunks) - 1 else scheme
            key = (plain, chunk, width, font.key(), colours, code_bg.rgba())
            piece = self._pieces.get(key)
            if piece is None:
                doc = markdown.render_plain(chunk, width, font) if plain \
                    else markdown.render(chunk, width, font, code_bg, colours)
                piece = (doc, markdown.code_blocks(doc))
                self._pieces[key] = piece
                while len(self._pieces) > PIECE_CACHE_SIZE:
                    self._pieces.popitem(last=False)
            else:
                self._pieces.move_to_end(key)
            out.append(piece)
        return out

    # -- Qt delegate interface ------------------------------------------------------
    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        """The real height once a message was laid out; before that (a freshly opened
        page, rows not yet on screen) an estimate from the text's length, so opening a
        conversation lays out only the rows that are shown."""
        msg: Message = index.data(MessageRole)
        if msg.id in self._laid_out:
            return QSize(int(self._width()), int(self.layout_for(index).height + 0.5))
        self._estimated.add(msg.id)
        return QSize(int(self._width()), int(self._estimate(msg, self._width())))

    def _estimate(self, msg: Message, width: float) -> float:
        fm = QFontMetricsF(self._view.font())
        inner = (width - 2 * MARGIN_X) * (0.8 if msg.role == "user" else 0.94) - 2 * PAD
        per_line = max(inner / max(fm.averageCharWidth(), 1.0), 10.0)
        lines = sum(max(1, -(-len(par) // int(per_line))) for par in msg.content.split("\n"))
        code = msg.content.count("```") // 2 * markdown.CODE_HEADER
        small = fm.height() * 0.9
        return 2 * (MARGIN_Y + PAD) + small * 2 + 3 * GAP + lines * fm.lineSpacing() + code

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        lay = self.layout_for(index)
        msg: Message = index.data(MessageRole)
        if msg.id in self._estimated:  # shown for the first time: give the view its real height
            self._estimated.discard(msg.id)
            self.sizeHintChanged.emit(index)
        if msg.id not in self._shown:
            self._shown.add(msg.id)
            self.first_shown.emit(msg.id)
        pal = option.palette
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.translate(QPointF(option.rect.topLeft()))
        clip = QRectF(0, 0, option.rect.width(), option.rect.height())
        painter.setClipRect(clip)
        scheme = theme.colours()
        if msg.role == "user":
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(scheme.user_bubble))
        else:
            painter.setPen(QColor(scheme.border))
            painter.setBrush(pal.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(lay.bubble.adjusted(0.5, 0.5, -0.5, -0.5), 12, 12)
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
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(pal.color(QPalette.ColorRole.AlternateBase))
        for code in lay.codes:
            painter.drawRoundedRect(code.rect.adjusted(-2, 0, 2, 4), 4, 4)
        # only the part of the row inside the viewport is drawn (a long reply is taller)
        visible = QRectF(self._view.viewport().rect()).translated(
            -QPointF(option.rect.topLeft())).intersected(clip)
        text_color = muted if msg.role == "tool" else pal.color(QPalette.ColorRole.Text)
        for pos, doc in lay.body:
            if pos.y() < visible.bottom() and pos.y() + doc.size().height() > visible.top():
                self._draw_doc(painter, doc, pos, visible, text_color)
        painter.setFont(small)
        for code in lay.codes:
            head = QRectF(code.rect.left() + 6, code.rect.top() + 2, code.rect.width() - 12,
                          markdown.CODE_HEADER - 4)
            painter.setPen(muted)
            painter.drawText(head, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             code.language or self.tr("code"))
            painter.setPen(link)
            painter.drawText(head, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             self.tr("Copy"))
        if lay.status:
            rect, words, bad = lay.status
            painter.setPen(QColor(scheme.red) if bad else muted)
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft, words)
        actionable = {(h.rect.x(), h.rect.y()) for h in lay.hits}
        for rect, label in lay.links:
            painter.setPen(link if (rect.x(), rect.y()) in actionable else muted)
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft, label)
        for rect, text, is_link in lay.sources:
            painter.setPen(link if is_link else muted)
            painter.drawText(rect, Qt.AlignmentFlag.AlignLeft, text)
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
        ctx.clip = clip.translated(-pos)
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
        for pos, doc in lay.body:
            anchor = doc.documentLayout().anchorAt(local - pos)
            if anchor:
                return Hit(QRectF(), "link", anchor)
        return None
