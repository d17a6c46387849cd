"""Downloads: each job with a progress bar, speed, time left, its actions, errors in words."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRectF, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.ui import theme
from spark_desktop.ui.icon import decorate
from spark_desktop.ui.models.downloads import (
    ACTIONS_COLUMN,
    PROGRESS_COLUMN,
    PROGRESS_ROLE,
    DownloadsModel,
    state_of,
)
from spark_desktop.ui.services import Services


class ProgressDelegate(QStyledItemDelegate):
    """Draws the Progress column as a rounded bar in the theme's colours with the amount
    as its text (a style sheet's progress bar does not fit a table cell)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        c = theme.colours()
        rect = QRectF(option.rect.adjusted(4, 7, -4, -7))
        done = min(max(int(index.data(PROGRESS_ROLE) or 0), 0), 1000) / 1000
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor(c.border))
        painter.setBrush(QColor(c.raised))
        painter.drawRoundedRect(rect, 6, 6)
        if done > 0:
            painter.setPen(Qt.PenStyle.NoPen)
            chunk = QColor(c.accent)
            chunk.setAlpha(90)  # a tint: the amount stays readable over it
            painter.setBrush(chunk)
            painter.drawRoundedRect(QRectF(rect.x(), rect.y(), rect.width() * done,
                                           rect.height()), 6, 6)
        painter.setPen(QColor(c.text))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter,
                         str(index.data(Qt.ItemDataRole.DisplayRole) or ""))
        painter.restore()


class JobActions(QWidget):
    """Pause / Resume / Retry / Cancel for one job; shows only what applies to its state."""

    def __init__(self, services: Services, job_id: str) -> None:
        super().__init__()
        self.job_id = job_id
        downloads = services.downloads
        row = QHBoxLayout(self)
        row.setContentsMargins(2, 0, 2, 0)
        self.pause = QPushButton(self.tr("Pause"), clicked=lambda: downloads.pause(job_id))
        self.resume = QPushButton(self.tr("Resume"), clicked=lambda: downloads.resume(job_id))
        self.retry = QPushButton(self.tr("Retry"), clicked=lambda: downloads.resume(job_id))
        self.cancel = QPushButton(self.tr("Cancel"), clicked=lambda: downloads.cancel(job_id))
        for b, name in ((self.pause, "pause"), (self.resume, "load"), (self.retry, "refresh"),
                        (self.cancel, "stop")):
            decorate(b, name)
            row.addWidget(b)

    def show_state(self, state: str) -> None:
        self.pause.setVisible(state in ("queued", "running"))
        self.resume.setVisible(state == "paused")
        self.retry.setVisible(state == "failed")
        self.cancel.setVisible(state in ("queued", "running", "paused", "failed"))


class DownloadsPage(QWidget):
    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.model = DownloadsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegateForColumn(PROGRESS_COLUMN, ProgressDelegate(self.table))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(36)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(PROGRESS_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(PROGRESS_COLUMN, 220)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(ACTIONS_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel(self.tr(
            "No downloads yet. Find a model in Discover and press Download."))
        self.empty.setProperty("role", "muted")
        self.error = QLabel("")
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        self.error.hide()
        title = QLabel(self.tr("Downloads"))
        title.setProperty("role", "title")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.error)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        self._actions: dict[str, JobActions] = {}
        services.downloads.changed.connect(self.show_progress)
        services.downloads.failed.connect(self.show_error)
        if services.downloads.queue is not None:  # built after the queue started
            for job in services.downloads.queue.jobs():
                self.show_progress(job)

    def show_progress(self, progress: Any) -> None:
        row = self.model.update(progress)
        self.empty.hide()
        actions = self._actions.get(progress.id)
        if actions is None:
            actions = JobActions(self.services, progress.id)
            self._actions[progress.id] = actions
            self.table.setIndexWidget(self.model.index(row, ACTIONS_COLUMN), actions)
            self.table.resizeColumnToContents(ACTIONS_COLUMN)
        actions.show_state(state_of(progress))
        if state_of(progress) == "failed":
            self.table.resizeRowToContents(row)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
