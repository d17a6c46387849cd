"""Variants of one repository (hub.Variant) with their fit badge and predicted speed.

The fit estimate of each variant arrives later (its header is read over the network),
so a row holds the variant and, once known, the estimate or the reason it is unknown.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from spark_desktop.ui.fitview import Badge, badge, decode_speed_text
from spark_desktop.ui.format import human_bytes
from spark_desktop.ui.models.table import Column, Index, ValueTableModel
from spark_desktop.ui.theme import badge_colour

translate = QCoreApplication.translate


@dataclass(frozen=True)
class VariantRow:
    variant: Any                 # hub.Variant
    estimate: Any = None         # fit.FitEstimate once known
    problem: str | None = None   # why the estimate is unknown (header unreadable, offline…)
    where: str = "this machine"  # the estimate's target in words (fitview.target_label)

    @property
    def badge(self) -> Badge | None:
        if self.estimate is not None:
            return badge(self.estimate)
        return None


def _fit_text(row: VariantRow) -> str:
    if row.estimate is not None:
        b = row.badge
        return f"{b.text} — {b.reason}"  # type: ignore[union-attr]
    if row.problem:
        return translate("VariantsModel", "unknown")
    return translate("VariantsModel", "checking…") if row.variant.complete \
        else translate("VariantsModel", "incomplete")


def _fit_tip(row: VariantRow) -> str | None:
    if row.estimate is not None:
        return translate("VariantsModel", "On {target}: {reason}").format(
            target=row.where, reason=row.badge.reason)  # type: ignore[union-attr]
    if not row.variant.complete:
        return translate("VariantsModel",
                         "Some parts of this split model are missing on the Hub.")
    return row.problem


FIT_COLUMN = 2
SPEED_COLUMN = 3
DOWNLOAD_COLUMN = 4


class VariantsModel(ValueTableModel):
    columns = (
        Column(QT_TRANSLATE_NOOP("Columns", "Quant"), lambda r: r.variant.quant),
        Column(QT_TRANSLATE_NOOP("Columns", "Size"),
               lambda r: human_bytes(r.variant.size), key=lambda r: r.variant.size,
               right=True, tooltip=lambda r: "\n".join(f.path for f in r.variant.files)),
        Column(QT_TRANSLATE_NOOP("Columns", "Fit"), _fit_text, tooltip=_fit_tip),
        Column(QT_TRANSLATE_NOOP("Columns", "Speed"),
               lambda r: decode_speed_text(r.estimate), right=True,
               tooltip=lambda r: translate("VariantsModel", "Predicted decode speed on {target}")
               .format(target=r.where)),
        Column("", lambda r: ""),
    )

    def set_variants(self, variants: tuple[Any, ...]) -> None:
        self.set_values([VariantRow(v) for v in variants])

    def set_estimate(self, name: str, estimate: Any = None, problem: str | None = None,
                     where: str = "this machine") -> None:
        """Attach the fit estimate (or the reason it is unknown) to the variant `name`;
        `where` names the target it was made for."""
        for row, value in enumerate(self._rows):
            if variant_key(value.variant) == name:
                self._rows[row] = replace(value, estimate=estimate, problem=problem,
                                          where=where)
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))
                return

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and index.column() == SPEED_COLUMN \
                and role == Qt.ItemDataRole.FontRole:  # the predicted speed stands out
            font = QFont()
            font.setBold(True)
            return font
        if index.isValid() and index.column() == FIT_COLUMN and role in (
                Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.DecorationRole):
            b = self._rows[index.row()].badge
            if b is None:
                return None
            colour = QColor(badge_colour(b.colour))
            return QBrush(colour) if role == Qt.ItemDataRole.ForegroundRole else colour
        return super().data(index, role)


def variant_key(variant: Any) -> str:
    """A variant's identity within its repository (folder and file name)."""
    return f"{variant.folder}/{variant.name}"
