"""The conversations column: a search box (search as you type over every message and
title) above a list of conversations, pinned first; right click to rename, pin, delete."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.history.records import Conversation, SearchHit
from spark_desktop.history.search import MARK_END, MARK_START

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
ConversationIdRole = Qt.ItemDataRole.UserRole + 1
MessageIdRole = Qt.ItemDataRole.UserRole + 2
PinnedRole = Qt.ItemDataRole.UserRole + 3


@dataclass(frozen=True)
class Entry:
    """One line of the list: a conversation, or a search hit inside one."""

    conversation_id: str
    title: str
    detail: str
    pinned: bool = False
    message_id: str | None = None


def entry_for_conversation(conv: Conversation) -> Entry:
    return Entry(conv.id, conv.title or "New chat", conv.updated_at.astimezone().strftime(
        "%Y-%m-%d %H:%M"), conv.pinned)


def entry_for_hit(hit: SearchHit) -> Entry:
    snippet = " ".join(hit.snippet.replace(MARK_START, "").replace(MARK_END, "").split())
    return Entry(hit.conversation_id, hit.title or "New chat", snippet, False, hit.message_id)


class ConversationListModel(QAbstractListModel):
    """Conversations (or search hits): title on the first line, date or snippet below."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._entries: list[Entry] = []

    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        entry = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            pin = "📌 " if entry.pinned else ""
            return f"{pin}{entry.title}\n{entry.detail}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.title
        if role == ConversationIdRole:
            return entry.conversation_id
        if role == MessageIdRole:
            return entry.message_id
        if role == PinnedRole:
            return entry.pinned
        return None

    def set_entries(self, entries: list[Entry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entries(self) -> tuple[Entry, ...]:
        return tuple(self._entries)

    def row_of(self, conversation_id: str) -> int:
        return next((i for i, e in enumerate(self._entries)
                     if e.conversation_id == conversation_id and e.message_id is None), -1)


class ConversationList(QWidget):
    """Emits what the person asked for; the page does the (threaded) work."""

    open_requested = Signal(str, object)     # conversation id, message id (search hit) or None
    new_requested = Signal()
    search_changed = Signal(str)             # debounced text ("" = back to the list)
    rename_requested = Signal(str)
    pin_requested = Signal(str, bool)
    delete_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.new_button = QPushButton("New chat")
        self.new_button.setToolTip("Start a new conversation (Ctrl+N)")
        self.search = QLineEdit()
        self.search.setObjectName("chatSearch")
        self.search.setPlaceholderText("Search all chats (Ctrl+K)")
        self.search.setClearButtonEnabled(True)
        self.model = ConversationListModel(self)
        self.view = QListView()
        self.view.setObjectName("conversationList")
        self.view.setModel(self.model)
        self.view.setUniformItemSizes(True)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setWordWrap(False)
        self.view.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 4, 8)
        layout.addWidget(self.new_button)
        layout.addWidget(self.search)
        layout.addWidget(self.view, 1)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(lambda: self.search_changed.emit(self.search.text().strip()))
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.new_button.clicked.connect(self.new_requested)
        self.view.activated.connect(self._activated)
        self.view.clicked.connect(self._activated)
        self.view.customContextMenuRequested.connect(self._menu)

    def searching(self) -> bool:
        return bool(self.search.text().strip())

    def select(self, conversation_id: str | None) -> None:
        row = self.model.row_of(conversation_id) if conversation_id else -1
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row, 0))
        else:
            self.view.clearSelection()

    def _activated(self, index: QModelIndex) -> None:
        self.open_requested.emit(index.data(ConversationIdRole), index.data(MessageIdRole))

    def _menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        if not index.isValid():
            return
        conv_id = index.data(ConversationIdRole)
        pinned = bool(index.data(PinnedRole))
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self.rename_requested.emit(conv_id))
        menu.addAction("Unpin" if pinned else "Pin to top",
                       lambda: self.pin_requested.emit(conv_id, not pinned))
        menu.addSeparator()
        menu.addAction("Delete…", lambda: self.delete_requested.emit(conv_id))
        menu.popup(self.view.viewport().mapToGlobal(pos))
