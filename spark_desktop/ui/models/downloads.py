"""The download queue (hub.DownloadProgress values), one row per job, updated in place."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QModelIndex, Qt

from spark_desktop.ui.format import human_bytes, human_duration
from spark_desktop.ui.models.table import Column, Index, ValueTableModel

#: The role giving a row's progress as 0..1000 (for the progress-bar delegate).
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 10

_STATE_WORDS = {"queued": QT_TRANSLATE_NOOP("DownloadsModel", "Waiting"),
                "running": QT_TRANSLATE_NOOP("DownloadsModel", "Downloading"),
                "paused": QT_TRANSLATE_NOOP("DownloadsModel", "Paused"),
                "done": QT_TRANSLATE_NOOP("DownloadsModel", "Done"),
                "failed": QT_TRANSLATE_NOOP("DownloadsModel", "Failed"),
                "cancelled": QT_TRANSLATE_NOOP("DownloadsModel", "Cancelled")}
translate = QCoreApplication.translate


def state_of(p: Any) -> str:
    return getattr(p.state, "value", str(p.state))


def _status(p: Any) -> str:
    words = translate("DownloadsModel", _STATE_WORDS.get(state_of(p), state_of(p)))
    if state_of(p) == "failed" and p.error:
        return translate("DownloadsModel", "Failed: {error}").format(error=p.error)
    if state_of(p) == "done" and p.sha256_verified:
        return translate("DownloadsModel", "Done, checksum verified")
    return words


def _amount(p: Any) -> str:
    return translate("DownloadsModel", "{done} of {total}").format(
        done=human_bytes(p.bytes), total=human_bytes(p.total))


PROGRESS_COLUMN = 1
ACTIONS_COLUMN = 5


class DownloadsModel(ValueTableModel):
    columns = (
        Column(QT_TRANSLATE_NOOP("Columns", "Model"), lambda p: f"{p.repo} · {p.name}"),
        Column(QT_TRANSLATE_NOOP("Columns", "Progress"),
               _amount, key=lambda p: p.bytes / p.total if p.total else 0),
        Column(QT_TRANSLATE_NOOP("Columns", "Speed"),
               lambda p: f"{human_bytes(p.speed)}/s" if state_of(p) == "running"
               else "", key=lambda p: p.speed, right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Time left"),
               lambda p: human_duration(p.eta) if state_of(p) == "running" else "",
               key=lambda p: p.eta or 0, right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Status"), _status, tooltip=lambda p: p.error),
        Column("", lambda p: ""),
    )

    def update(self, progress: Any) -> int:
        """Insert or replace the row of this job; returns its row."""
        for row, value in enumerate(self._rows):
            if value.id == progress.id:
                self._rows[row] = progress
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.columns) - 1))
                return row
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(progress)
        self.endInsertRows()
        return row

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == PROGRESS_ROLE and index.isValid():
            p = self._rows[index.row()]
            return int(1000 * p.bytes / p.total) if p.total else 0
        return super().data(index, role)
