"""The list of messages: a QListView (only visible rows are painted), kept at the bottom
while a reply streams, fetching older pages (Qt's fetchMore) when scrolled near the top.
Clicks that only concern the view (copy, show reasoning, open a link) are handled here."""

from __future__ import annotations

import time

from PySide6.QtCore import QModelIndex, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QMouseEvent, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QFrame, QListView, QWidget

from spark_desktop.ui.chat import citations
from spark_desktop.ui.chat.message_delegate import MessageDelegate
from spark_desktop.ui.chat.message_model import MessageListModel

OLDER_THRESHOLD_PX = 300


class MessageView(QListView):
    """Shows a MessageListModel; near the top it calls the model's fetchMore.

    `message_action(action, message id)`: "regenerate", "edit", "prev" or "next" clicked;
    `citation_clicked(message id, n)`: a reply's [n] or its source n clicked.
    """

    message_action = Signal(str, str)
    citation_clicked = Signal(str, int)

    def __init__(self, model: MessageListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageView")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(False)
        self.setWordWrap(True)
        self.setMouseTracking(True)
        self.verticalScrollBar().setSingleStep(24)
        self.message_delegate = MessageDelegate(self)
        self.message_delegate.action.connect(self._action)
        self.setItemDelegate(self.message_delegate)
        self.setModel(model)
        self._model = model
        self._stick = True
        self._from_bottom: int | None = None
        self.last_paint_ms = 0.0
        self.last_paint_cpu_ms = 0.0
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._scrolled)
        bar.rangeChanged.connect(self._range_changed)
        model.dataChanged.connect(self._data_changed)
        model.modelReset.connect(self._reset)
        model.rowsAboutToBeInserted.connect(self._rows_about_to_be_inserted)

    # -- staying at the bottom ----------------------------------------------------------
    def scroll_to_end(self) -> None:
        self._stick = True
        self.scrollToBottom()
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _scrolled(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._stick = value >= bar.maximum() - 4
        if value < OLDER_THRESHOLD_PX and bar.maximum() > 0:
            self._model.arm_fetch()
            if self._model.canFetchMore(QModelIndex()):
                self._model.fetchMore(QModelIndex())

    def _range_changed(self, _lo: int, hi: int) -> None:
        bar = self.verticalScrollBar()
        if self._from_bottom is not None:
            bar.setValue(max(0, hi - self._from_bottom))
            self._from_bottom = None
        elif self._stick:
            bar.setValue(hi)

    def _reset(self) -> None:
        self.message_delegate.forget_shown()
        self._from_bottom = None
        self._stick = True
        QTimer.singleShot(0, self.scroll_to_end)

    def _rows_about_to_be_inserted(self, _parent: QModelIndex, first: int, _last: int) -> None:
        if first == 0 and self._model.rowCount() > 0:
            bar = self.verticalScrollBar()
            self._from_bottom = bar.maximum() - bar.value()

    def _data_changed(self, top: QModelIndex, bottom: QModelIndex, _roles: object = None) -> None:
        # Rows change height as text streams in: relayout (cached rows cost a dict look-up).
        for row in range(top.row(), bottom.row() + 1):
            self.message_delegate.sizeHintChanged.emit(self._model.index(row, 0))

    # -- paint cost feeds the streaming interval ----------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        started, cpu = time.perf_counter(), time.thread_time()
        super().paintEvent(event)
        self.last_paint_ms = (time.perf_counter() - started) * 1000.0
        self.last_paint_cpu_ms = (time.thread_time() - cpu) * 1000.0
        # a long reply costs more per repaint: repaint less often instead of stalling input
        cost = self.last_paint_ms + self.message_delegate.last_layout_ms
        self._model.set_flush_interval_ms(max(40, int(cost * 4)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        stick = self._stick
        super().resizeEvent(event)
        if stick:
            QTimer.singleShot(0, self.scroll_to_end)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        pos = event.position().toPoint()
        index = self.indexAt(pos)
        hit = None
        if index.isValid():
            rect = self.visualRect(index)
            hit = self.message_delegate.hit_at(index, (pos - rect.topLeft()).toPointF())
        self.viewport().setCursor(Qt.CursorShape.PointingHandCursor if hit
                                  else Qt.CursorShape.ArrowCursor)

    def _action(self, action: str, message_id: str, payload: object) -> None:
        row = self._model.row_of(message_id)
        if row < 0:
            return
        if action == "copy":
            QGuiApplication.clipboard().setText(self._model.message(row).content)
        elif action == "copy_code":
            QGuiApplication.clipboard().setText(str(payload))
        elif action == "toggle_reasoning":
            self._model.toggle_reasoning(row)
        elif action == "citation":
            self.citation_clicked.emit(message_id, int(str(payload)))
        elif action == "link":
            url = QUrl(str(payload))
            n = citations.number_of(str(payload))
            if n is not None:
                self.citation_clicked.emit(message_id, n)
            elif url.scheme() in ("http", "https", "mailto"):
                QDesktopServices.openUrl(url)
        else:
            self.message_action.emit(action, message_id)
