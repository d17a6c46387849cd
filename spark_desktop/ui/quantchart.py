"""A repository's quantizations as a picture: file size (x) against predicted decode speed (y),
with the target's fit limit drawn as a vertical line.

Drawn with QPainter like speedchart.py. The size axis is logarithmic, so a 2 GB and a 60 GB
file and a 120 GB limit all find room. Points that fit at the chosen context are filled
discs; those that do not are hollow rings in the "does not fit" colour.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QWidget

from spark_desktop.ui.format import human_bytes
from spark_desktop.ui.theme import GREEN, RED, badge_colour

if TYPE_CHECKING:
    from spark_desktop.compare.spec import SpecRow

RADIUS = 5.0


@dataclass(frozen=True)
class ChartPoint:
    label: str        # the quantization, written beside the point
    size: int         # file size in bytes (x)
    decode_tps: float  # predicted decode tokens/s (y)
    fits: bool


def chart_points(rows: Sequence[SpecRow], by_model: bool = False
                 ) -> tuple[tuple[ChartPoint, ...], int | None]:
    """The points of spec-sheet rows that have figures (labelled by quantization, or by
    model with `by_model`), and the fit limit in file bytes (the median of the rows' limits:
    quantizations of one model share everything but their weights); None without figures."""
    judged = [r for r in rows if r.file_size and r.decode_tps is not None and r.fits is not None]
    points = tuple(sorted((ChartPoint(r.model if by_model else r.quantization or "?",
                                      r.file_size or 0, r.decode_tps or 0, bool(r.fits))
                           for r in judged), key=lambda p: p.size))
    limits = [r.size_limit for r in judged if r.size_limit is not None]
    return points, int(statistics.median(limits)) if limits else None


class QuantChart(QWidget):
    """Predicted decode tok/s (y) against file size (x, logarithmic) with the fit limit."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.points: tuple[ChartPoint, ...] = ()
        self.limit: int | None = None
        self.setMinimumHeight(160)

    def sizeHint(self) -> QSize:
        return QSize(520, 220)

    def set_rows(self, rows: Sequence[SpecRow], by_model: bool = False) -> None:
        """Show these spec-sheet rows (compare.spec.SpecRow), labelled by quantization (by
        model with `by_model`); rows without figures are left out."""
        self.points, self.limit = chart_points(rows, by_model)
        self.setAccessibleName(self.tr("Size against predicted speed of {n} quantizations")
                               .format(n=len(self.points)))
        self.update()

    # -- geometry (also what the tests read) -------------------------------------------
    def _area(self) -> QRectF:
        metrics = self.fontMetrics()
        pad_l = metrics.horizontalAdvance("0000.0") + 8
        pad_b = 2 * metrics.height() + 6
        return QRectF(pad_l, metrics.height() + 6, self.width() - pad_l - 12,
                      self.height() - pad_b - metrics.height() - 10)

    def _x_range(self) -> tuple[float, float]:
        sizes = [p.size for p in self.points] + ([self.limit] if self.limit and
                                                 self.limit > 0 else [])
        lo, hi = math.log10(min(sizes)), math.log10(max(sizes))
        margin = max(0.15, (hi - lo) * 0.08)
        return lo - margin, hi + margin

    def _top(self) -> float:
        return max(p.decode_tps for p in self.points) * 1.15 or 1.0

    def x_of(self, size: float) -> float:
        area, (lo, hi) = self._area(), self._x_range()
        return area.left() + area.width() * (math.log10(size) - lo) / (hi - lo)

    def plotted(self) -> list[tuple[QPointF, ChartPoint]]:
        """Where each point is drawn, in widget pixels."""
        if not self.points:
            return []
        area, top = self._area(), self._top()
        return [(QPointF(self.x_of(p.size), area.bottom() - area.height() * p.decode_tps / top),
                 p) for p in self.points]

    def limit_x(self) -> float | None:
        """Where the fit limit's line is drawn (None: no limit, or nothing could fit)."""
        if not self.points or self.limit is None or self.limit <= 0:
            return None
        return self.x_of(self.limit)

    # -- painting ---------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = self.palette().windowText().color()
        metrics = p.fontMetrics()
        if not self.points:
            p.setPen(text)
            p.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter),
                       self.tr("No figures yet: add quantizations of a repository."))
            p.end()
            return
        area = self._area()
        p.setPen(QPen(text))
        p.drawLine(area.bottomLeft(), area.bottomRight())
        p.drawLine(area.bottomLeft(), area.topLeft())
        top = self._top()
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for value in (0.0, top / 1.15):
            y = area.bottom() - area.height() * value / top
            p.drawText(QRectF(0, y - metrics.height() / 2, area.left() - 4, metrics.height()),
                       int(right), f"{value:.0f}")
        below = area.bottom() + 4
        lo, hi = self._x_range()
        p.drawText(QRectF(area.left(), below, area.width(), metrics.height()),
                   int(Qt.AlignmentFlag.AlignLeft), human_bytes(int(10 ** lo)))
        p.drawText(QRectF(area.left(), below, area.width(), metrics.height()),
                   int(Qt.AlignmentFlag.AlignRight), human_bytes(int(10 ** hi)))
        p.drawText(QRectF(area.left(), below + metrics.height(), area.width(),
                          metrics.height()), int(Qt.AlignmentFlag.AlignHCenter),
                   self.tr("file size (log scale) → predicted tok/s writing ↑"))
        red, green = QColor(badge_colour(RED)), QColor(badge_colour(GREEN))
        x = self.limit_x()
        if x is not None:
            p.setPen(QPen(red, 2, Qt.PenStyle.DashLine))
            p.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))
            p.setPen(red)
            label = self.tr("fits up to {size}").format(size=human_bytes(self.limit or 0))
            width = metrics.horizontalAdvance(label) + 4
            left = x - width - 4 if x + width + 4 > self.width() else x + 4
            p.drawText(QRectF(left, area.top() - metrics.height() - 2, width,
                              metrics.height()), int(Qt.AlignmentFlag.AlignLeft), label)
        elif self.limit is not None:
            p.setPen(red)
            p.drawText(QRectF(area.left() + 4, area.top() - metrics.height() - 2,
                              area.width(), metrics.height()), int(Qt.AlignmentFlag.AlignLeft),
                       self.tr("Not even the smallest file fits at this context."))
        for centre, point in self.plotted():
            if point.fits:
                p.setPen(QPen(green, 1))
                p.setBrush(QBrush(green))
            else:
                p.setPen(QPen(red, 2))
                p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(centre, RADIUS, RADIUS)
            p.setPen(text)
            p.drawText(QPointF(centre.x() + RADIUS + 2, centre.y() - RADIUS), point.label)
        p.end()
