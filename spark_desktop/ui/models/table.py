"""A table model over a tuple of frozen values: one row per value, columns by function."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)

Index = QModelIndex | QPersistentModelIndex

#: The role that returns the row's value itself (a SearchResult, Variant, ...).
VALUE_ROLE = Qt.ItemDataRole.UserRole + 1
#: The role that returns a sortable key for a cell.
SORT_ROLE = Qt.ItemDataRole.UserRole + 2


class Column:
    """How one column shows a value: text, optional sort key, alignment, tooltip. The
    title is English, marked with QT_TRANSLATE_NOOP("Columns", ...) and translated when
    shown."""

    def __init__(self, title: str, text: Callable[[Any], str],
                 key: Callable[[Any], Any] | None = None, right: bool = False,
                 tooltip: Callable[[Any], str | None] | None = None) -> None:
        self.title = title
        self.text = text
        self.key = key or text
        self.right = right
        self.tooltip = tooltip


class ValueTableModel(QAbstractTableModel):
    columns: Sequence[Column] = ()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt idiom)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 (Qt idiom)
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return QCoreApplication.translate("Columns", self.columns[section].title)
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        value = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(value)
        if role == VALUE_ROLE:
            return value
        if role == SORT_ROLE:
            return column.key(value)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.right:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def set_values(self, values: Sequence[Any]) -> None:
        """Replace every row (a new search, a new scan)."""
        self.beginResetModel()
        self._rows = list(values)
        self.endResetModel()

    def value(self, row: int) -> Any:
        return self._rows[row]

    def values(self) -> tuple[Any, ...]:
        return tuple(self._rows)
