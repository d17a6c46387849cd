"""The leaderboard of the user's own votes (compare.rank over the history's votes)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


class LeaderboardView(QWidget):
    """A table, best model first; `refresh()` reads the votes on the history's thread."""

    changed = Signal(object)  # list of compare.Standing

    def __init__(self, history: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels([
            self.tr("Model"), self.tr("Rating"), self.tr("±"), self.tr("Votes"),
            self.tr("Wins–losses")])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # names are long
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        note = QLabel(self.tr("Bradley–Terry ratings of your own votes (1000 is average; ± is "
                              "one standard error)."), wordWrap=True)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.table, 1)

    def refresh(self) -> None:
        def op(store: Any) -> Any:
            from spark_desktop.compare import ballots, rank

            return rank(ballots(store.comparisons.votes()))

        self.history.run(op, self._show, parent=self)

    def _show(self, standings: list[Any]) -> None:
        self.table.setRowCount(len(standings))
        for row, s in enumerate(standings):
            cells = (s.model, f"{s.rating:.0f}", f"{s.error:.0f}", str(s.votes),
                     f"{s.wins:g}–{s.losses:g}")
            for col, text in enumerate(cells):
                self.table.setItem(row, col, QTableWidgetItem(text))
        self.changed.emit(standings)
