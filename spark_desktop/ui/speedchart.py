"""A small line chart of predicted decode speed against the context already used.

Drawn with QPainter (no chart library): the app shows how generation slows as a
conversation grows, from an empty context to the whole context chosen.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from spark_desktop.ui.format import decimal, grouped

LINE = "#4c8cdc"


def _tokens(n: int) -> str:
    return f"{n / 1024:.0f}k" if n >= 1024 else str(n)


class SpeedChart(QWidget):
    """Decode tokens/s (y) against tokens in the context (x)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: tuple[tuple[int, float], ...] = ()
        self.setMinimumHeight(90)
        self.setAccessibleName(self.tr("Predicted generation speed as the context fills"))

    def sizeHint(self) -> QSize:
        return QSize(360, 110)

    def set_points(self, points: Sequence[tuple[int, float]]) -> None:
        """(depth in tokens, decode tokens/s), depths rising."""
        self.points = tuple(points)
        first, last = (self.points[0], self.points[-1]) if self.points else ((0, 0), (0, 0))
        self.setToolTip(self.tr("Predicted generation speed: {empty} tok/s with an empty "
                                "context, {full} tok/s with {tokens} tokens in it.").format(
            empty=decimal(first[1], 1), full=decimal(last[1], 1), tokens=grouped(last[0])))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        if len(self.points) < 2:
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = p.fontMetrics()
        pad_l = metrics.horizontalAdvance("000.0") + 6
        pad_b = metrics.height() + 4
        area = QRectF(pad_l, 4, self.width() - pad_l - 8, self.height() - pad_b - 8)
        top = max(v for _, v in self.points) * 1.1 or 1.0
        right = self.points[-1][0] or 1

        def at(depth: int, tps: float) -> QPointF:
            return QPointF(area.left() + area.width() * depth / right,
                           area.bottom() - area.height() * tps / top)

        text_pen = QPen(self.palette().windowText().color())
        p.setPen(text_pen)
        p.drawLine(area.bottomLeft(), area.bottomRight())
        p.drawLine(area.bottomLeft(), area.topLeft())
        path = QPainterPath(at(*self.points[0]))
        for depth, tps in self.points[1:]:
            path.lineTo(at(depth, tps))
        p.strokePath(path, QPen(QColor(LINE), 2))
        p.setPen(text_pen)
        ends = [self.points[0], self.points[-1]]
        if abs(at(*ends[0]).y() - at(*ends[1]).y()) < metrics.height():
            ends.pop()  # a flat line: one label, not two drawn over each other
        for depth, tps in ends:
            point = at(depth, tps)
            label = decimal(tps, 1)
            p.drawText(QRectF(0, point.y() - metrics.height() / 2, pad_l - 4, metrics.height()),
                       int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), label)
        baseline = area.bottom() + 4
        p.drawText(QRectF(area.left(), baseline, area.width(), metrics.height()),
                   int(Qt.AlignmentFlag.AlignLeft), "0")
        p.drawText(QRectF(area.left(), baseline, area.width(), metrics.height()),
                   int(Qt.AlignmentFlag.AlignHCenter), self.tr("tok/s as the context fills"))
        p.drawText(QRectF(area.left(), baseline, area.width(), metrics.height()),
                   int(Qt.AlignmentFlag.AlignRight), _tokens(right))
        p.end()

