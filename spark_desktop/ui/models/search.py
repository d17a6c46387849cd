"""Search results of the Hub (hub.SearchResult), one row per repository."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QModelIndex, Qt

from spark_desktop.ui.format import human_count, human_date, human_params
from spark_desktop.ui.models.table import Column, Index, ValueTableModel

translate = QCoreApplication.translate


class SearchResultsModel(ValueTableModel):
    columns = (
        Column(QT_TRANSLATE_NOOP("Columns", "Model"), lambda r: r.repo),
        Column(QT_TRANSLATE_NOOP("Columns", "Downloads"),
               lambda r: human_count(r.downloads), key=lambda r: r.downloads,
               right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Likes"),
               lambda r: human_count(r.likes), key=lambda r: r.likes, right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Updated"), lambda r: human_date(r.updated),
               key=lambda r: r.updated.timestamp() if r.updated else 0),
        Column(QT_TRANSLATE_NOOP("Columns", "Parameters"),
               lambda r: human_params(r.parameters), key=lambda r: r.parameters or 0,
               right=True, tooltip=lambda r: r.architecture),
        Column(QT_TRANSLATE_NOOP("Columns", "Access"),
               lambda r: translate("SearchResultsModel", "gated") if r.gated
               else translate("SearchResultsModel", "open"),
               tooltip=lambda r: translate(
                   "SearchResultsModel", "Accept the licence on the Hub and log in to download")
               if r.gated else None),
    )

    def append(self, results: tuple[Any, ...]) -> None:
        """Add the next page of results below the ones shown."""
        if not results:
            return
        start = len(self._rows)
        self.beginInsertRows(QModelIndex(), start, start + len(results) - 1)
        self._rows.extend(results)
        self.endInsertRows()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.FontRole and index.isValid() and index.column() == 0:
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        return super().data(index, role)
