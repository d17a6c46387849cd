"""The conversations column: a search box (search as you type over every message and
title) above a list of conversations, pinned first; right click to rename, pin, delete.
It reads and changes them through the app's HistoryBridge; opening one is the page's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
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
    QInputDialog,
    QLineEdit,
    QListView,
    QMenu,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.history.records import Conversation, SearchHit
from spark_desktop.history.search import MARK_END, MARK_START
from spark_desktop.ui.bridges import HistoryBridge, error_text
from spark_desktop.ui.icon import decorate

LIST_SIZE = 300
SEARCH_LIMIT = 50
Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()
ConversationIdRole = Qt.ItemDataRole.UserRole + 1
MessageIdRole = Qt.ItemDataRole.UserRole + 2
PinnedRole = Qt.ItemDataRole.UserRole + 3
translate = QCoreApplication.translate


@dataclass(frozen=True)
class Entry:
    """One line of the list: a conversation, or a search hit inside one."""

    conversation_id: str
    title: str
    detail: str
    pinned: bool = False
    message_id: str | None = None


def entry_for_conversation(conv: Conversation) -> Entry:
    when = conv.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
    return Entry(conv.id, conv.title or translate("ChatPage", "New chat"), when, conv.pinned)


def entry_for_hit(hit: SearchHit) -> Entry:
    snippet = " ".join(hit.snippet.replace(MARK_START, "").replace(MARK_END, "").split())
    return Entry(hit.conversation_id, hit.title or translate("ChatPage", "New chat"), snippet,
                 False, hit.message_id)


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
    """Lists, searches, renames, pins and deletes conversations (a rename or delete after
    asking); emits what the page must act on."""

    open_requested = Signal(str, object)     # conversation id, message id (search hit) or None
    new_requested = Signal()
    search_changed = Signal(str)             # debounced text ("" = back to the list)
    delete_requested = Signal(str)           # confirmed; the page decides (see delete())
    saved = Signal(object)                   # a Conversation renamed or (un)pinned
    failed = Signal(str)                     # a history call failed, in words

    def __init__(self, history: HistoryBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history = history
        self._current: str | None = None
        self._search_seq = 0
        self.new_button = QPushButton(self.tr("New chat"))
        self.new_button.setToolTip(self.tr("Start a new conversation (Ctrl+N)"))
        decorate(self.new_button, "new")
        self.search = QLineEdit()
        self.search.setObjectName("chatSearch")
        self.search.setPlaceholderText(self.tr("Search all chats (Ctrl+K)"))
        self.search.setAccessibleName(self.tr("Search all chats"))
        self.search.setClearButtonEnabled(True)
        self.model = ConversationListModel(self)
        self.view = QListView()
        self.view.setObjectName("conversationList")
        self.view.setAccessibleName(self.tr("Conversations"))
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
        self.search_changed.connect(self._search)
        self.new_button.clicked.connect(self.new_requested)
        self.view.activated.connect(self._activated)
        self.view.clicked.connect(self._activated)
        self.view.customContextMenuRequested.connect(self._menu)

    def searching(self) -> bool:
        return bool(self.search.text().strip())

    # -- history --------------------------------------------------------------------------
    def refresh(self) -> None:
        """Reload the list (unless a search is showing)."""
        if not self.searching():
            self._history(lambda store: store.list_conversations(LIST_SIZE), self._listed)

    def rename(self, conversation_id: str, title: str) -> None:
        self._history(lambda store: store.rename(conversation_id, title), self._saved)

    def set_pinned(self, conversation_id: str, pinned: bool) -> None:
        self._history(lambda store: store.set_pinned(conversation_id, pinned), self._saved)

    def delete(self, conversation_id: str) -> None:
        self._history(lambda store: store.delete_conversation(conversation_id),
                      lambda _r: self.refresh())

    def _history(self, op: Any, on_done: Any) -> None:
        self.history.run(op, on_done, lambda exc: self.failed.emit(error_text(exc)), parent=self)

    def _listed(self, conversations: list[Conversation]) -> None:
        if not self.searching():
            self.model.set_entries([entry_for_conversation(c) for c in conversations])
            self.select(self._current)

    def _saved(self, conv: Conversation) -> None:
        self.saved.emit(conv)
        self.refresh()

    def _search(self, query: str) -> None:
        self._search_seq += 1
        seq = self._search_seq
        if not query:
            self.refresh()
            return

        def found(hits: list[SearchHit]) -> None:
            if seq == self._search_seq:
                self.model.set_entries([entry_for_hit(h) for h in hits])

        self._history(lambda store: store.search(query, SEARCH_LIMIT), found)

    # -- selection and menu -------------------------------------------------------------
    def select(self, conversation_id: str | None) -> None:
        """Mark the conversation shown (kept across reloads of the list)."""
        self._current = conversation_id
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
        menu.addAction(self.tr("Rename…"), lambda: self._ask_rename(conv_id))
        menu.addAction(self.tr("Unpin") if pinned else self.tr("Pin to top"),
                       lambda: self.set_pinned(conv_id, not pinned))
        menu.addSeparator()
        menu.addAction(self.tr("Delete…"), lambda: self._ask_delete(conv_id))
        menu.popup(self.view.viewport().mapToGlobal(pos))

    def _ask_rename(self, conversation_id: str) -> None:
        row = self.model.row_of(conversation_id)
        current = self.model.entries()[row].title if row >= 0 else ""
        title, ok = QInputDialog.getText(self, self.tr("Rename conversation"), self.tr("Title"),
                                         text=current)
        if ok and title.strip():
            self.rename(conversation_id, title)

    def _ask_delete(self, conversation_id: str) -> None:
        answer = QMessageBox.question(
            self, self.tr("Delete conversation"),
            self.tr("Delete this conversation and all its messages? This cannot be undone."))
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_requested.emit(conversation_id)
