"""Small widgets shared by pages: the memory bar, a label that elides its text, a table of
records."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QAbstractItemModel, QEvent, QRectF, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import QHeaderView, QLabel, QSizePolicy, QTableView, QWidget

from spark_desktop.ui.format import human_bytes
from spark_desktop.ui.theme import RED


@dataclass(frozen=True)
class Segment:
    label: str
    size: int       # bytes
    colour: str


class MemoryBar(QWidget):
    """Stacked bar of what a load would take (weights, KV cache, compute…) against the pool.

    What is left of the pool is drawn as free space; beyond the pool the bar turns red.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.segments: tuple[Segment, ...] = ()
        self.pool = 0
        self.setMinimumHeight(26)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        return QSize(400, 26)

    def set_usage(self, segments: Sequence[Segment], pool: int) -> None:
        self.segments = tuple(segments)
        self.pool = pool
        used = self.used
        free = self.tr("Free: {free} of {pool}").format(
            free=human_bytes(max(pool - used, 0)), pool=human_bytes(pool))
        self.setToolTip("\n".join([*(f"{s.label}: {human_bytes(s.size)}"
                                      for s in self.segments), free]))
        self.update()

    @property
    def used(self) -> int:
        return sum(s.size for s in self.segments)

    @property
    def free(self) -> int:
        return max(self.pool - self.used, 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(self.palette().color(QPalette.ColorRole.Mid))
        painter.setBrush(self.palette().color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(rect, 4, 4)
        scale = max(self.pool, self.used, 1)
        x = rect.left() + 1
        width = rect.width() - 2
        painter.setPen(Qt.PenStyle.NoPen)
        for segment in self.segments:
            w = width * segment.size / scale
            painter.setBrush(QColor(segment.colour))
            painter.drawRect(QRectF(x, rect.top() + 1, w, rect.height() - 2))
            x += w
        if self.used > self.pool > 0:  # the part that does not fit
            limit = rect.left() + 1 + width * self.pool / scale
            painter.setPen(QColor(RED))
            painter.drawLine(int(limit), int(rect.top()), int(limit), int(rect.bottom()))
        painter.end()


class ElidedLabel(QLabel):
    """One line of plain text that ends in "…" when it is wider than the label, so a long
    title never runs under the widgets beside it. `text()` is the whole text (also the
    tooltip while elided); `shown_text()` is what is drawn."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text
        self._elide()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        return super().text()

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._elide()

    def _elide(self) -> None:
        width = self.contentsRect().width()
        shown = self.fontMetrics().elidedText(self._full, Qt.TextElideMode.ElideRight, width)
        if shown != super().text():
            super().setText(shown)
        self.setToolTip(self._full if shown != self._full else "")


def replace_images(doc: QTextDocument) -> None:
    """Turn each image into plain words "[image: address]" so nothing is ever loaded."""
    spots: list[tuple[int, int, str]] = []
    block = doc.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            frag = it.fragment()
            if frag.isValid() and frag.charFormat().isImageFormat():
                name = frag.charFormat().toImageFormat().name()
                spots.append((frag.position(), frag.length(), name))
            it += 1
        block = block.next()
    cursor = QTextCursor(doc)
    for pos, length, name in reversed(spots):
        cursor.setPosition(pos)
        cursor.setPosition(pos + length, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(f"[image: {name}]", QTextCharFormat())


def record_table(model: QAbstractItemModel, stretch: int = 0) -> QTableView:
    """A table of one record a row: no row numbers, whole rows selected, columns as wide as
    their contents except column `stretch`, which takes the width that is left."""
    table = QTableView()
    table.setModel(model)
    table.verticalHeader().hide()
    table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    return table
