"""The Qt item model of one branch of a conversation, oldest message first.

Only pages are held: opening a conversation loads its newest page, and Qt's paging
protocol brings older ones: the view arms it when scrolled near the top, then
`canFetchMore` / `fetchMore` ask (`older_requested`) for the page above, which the
page reads off the GUI thread and hands to `prepend_page`. (Qt's own automatic
fetching fires when the *last* row is visible, which in a chat is always: hence the
arming.) A reply being generated is updated in
place: deltas are buffered and applied at most every `flush_interval_ms`, so a model
producing hundreds of tokens per second costs one repaint per interval, not per token.
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from spark_desktop.history.records import Message, MessagePage

Index = QModelIndex | QPersistentModelIndex
_ROOT = QModelIndex()

MessageRole = Qt.ItemDataRole.UserRole + 1     # the Message (live text merged in)
RevisionRole = Qt.ItemDataRole.UserRole + 2    # bumps on every change: key for render caches
SiblingsRole = Qt.ItemDataRole.UserRole + 3    # (position 1-based, count) among its siblings
ExpandedRole = Qt.ItemDataRole.UserRole + 4    # reasoning shown (True) or folded (False)
IdRole = Qt.ItemDataRole.UserRole + 5


class MessageListModel(QAbstractListModel):
    """Rows are the messages of one branch; row count grows as older pages are loaded."""

    flushed = Signal(int)  # row whose streamed text was just applied
    older_requested = Signal()  # fetchMore: load the page above the oldest row

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Message] = []
        self._revision: dict[str, int] = {}
        self._siblings: dict[str, tuple[int, int]] = {}
        self._expanded: set[str] = set()
        self._has_older = False
        self._armed = False
        self._fetching = False
        self._conversation_id: str | None = None
        self._pending: dict[str, tuple[list[str], list[str]]] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(40)
        self._timer.timeout.connect(self.flush)

    # -- Qt model interface ---------------------------------------------------------
    def rowCount(self, parent: Index = _ROOT) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        msg = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return msg.content
        if role == MessageRole:
            return msg
        if role == IdRole:
            return msg.id
        if role == RevisionRole:
            return self._revision.get(msg.id, 0)
        if role == SiblingsRole:
            return self._siblings.get(msg.id, (1, 1))
        if role == ExpandedRole:
            return msg.id in self._expanded
        if role == Qt.ItemDataRole.ToolTipRole:
            return msg.created_at.strftime("%Y-%m-%d %H:%M")
        return None

    def canFetchMore(self, parent: Index = _ROOT) -> bool:
        return not parent.isValid() and self._has_older and self._armed and not self._fetching

    def fetchMore(self, parent: Index = _ROOT) -> None:
        if self.canFetchMore(parent):
            self._fetching, self._armed = True, False
            self.older_requested.emit()

    def arm_fetch(self) -> None:
        """The view is near the top: the next fetchMore may load older messages."""
        self._armed = True

    def fetch_failed(self) -> None:
        """The older page could not be read: allow another try."""
        self._fetching = False

    def flags(self, index: Index) -> Qt.ItemFlag:
        return Qt.ItemFlag.ItemIsEnabled if index.isValid() else Qt.ItemFlag.NoItemFlags

    # -- pages ----------------------------------------------------------------------
    @property
    def conversation_id(self) -> str | None:
        return self._conversation_id

    def has_older(self) -> bool:
        """True while older messages of this branch exist that are not loaded yet."""
        return self._has_older

    def oldest(self) -> Message | None:
        return self._rows[0] if self._rows else None

    def set_page(self, page: MessagePage) -> None:
        """Show a branch from its newest page (replaces everything)."""
        self._timer.stop()
        self.beginResetModel()
        self._conversation_id = page.conversation_id
        self._rows = list(page.messages)
        self._has_older = page.has_older
        self._armed = self._fetching = False
        self._revision.clear()
        self._pending.clear()
        self._siblings.clear()
        self.endResetModel()

    def clear(self) -> None:
        self._timer.stop()
        self.beginResetModel()
        self._conversation_id = None
        self._rows = []
        self._has_older = self._armed = self._fetching = False
        self._pending.clear()
        self.endResetModel()

    def prepend_page(self, page: MessagePage) -> int:
        """Put an older page above the loaded rows; returns how many rows were added."""
        if page.conversation_id != self._conversation_id:
            return 0
        known = {m.id for m in self._rows}
        older = [m for m in page.messages if m.id not in known]
        self._has_older = page.has_older
        self._fetching = False
        if older:
            self.beginInsertRows(QModelIndex(), 0, len(older) - 1)
            self._rows[:0] = older
            self.endInsertRows()
        return len(older)

    # -- rows -----------------------------------------------------------------------
    def message(self, row: int) -> Message:
        return self._rows[row]

    def messages(self) -> tuple[Message, ...]:
        return tuple(self._rows)

    def row_of(self, message_id: str) -> int:
        """Row of a message, or -1 (newest rows are searched first: they change most)."""
        for row in range(len(self._rows) - 1, -1, -1):
            if self._rows[row].id == message_id:
                return row
        return -1

    def append(self, message: Message) -> None:
        """A new message at the end of the branch (sent, or a reply that starts)."""
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(message)
        self.endInsertRows()

    def truncate_after(self, message_id: str | None) -> None:
        """Drop the rows after `message_id` (a new branch starts there); None drops all."""
        keep = self.row_of(message_id) + 1 if message_id is not None else 0
        if message_id is not None and keep == 0:
            return
        if keep < len(self._rows):
            self.beginRemoveRows(QModelIndex(), keep, len(self._rows) - 1)
            for msg in self._rows[keep:]:
                self._pending.pop(msg.id, None)
            del self._rows[keep:]
            self.endRemoveRows()

    def replace(self, message: Message) -> None:
        """Put the stored version of a message in place (pending deltas are dropped)."""
        row = self.row_of(message.id)
        if row < 0:
            return
        self._pending.pop(message.id, None)
        self._rows[row] = message
        self._changed(row)

    def set_siblings(self, message_id: str, position: int, count: int) -> None:
        self._siblings[message_id] = (position, count)
        row = self.row_of(message_id)
        if row >= 0:
            self._changed(row)

    def toggle_reasoning(self, row: int) -> None:
        msg_id = self._rows[row].id
        self._expanded.symmetric_difference_update({msg_id})
        self._changed(row)

    # -- streaming ------------------------------------------------------------------
    @property
    def flush_interval_ms(self) -> int:
        return self._timer.interval()

    def set_flush_interval_ms(self, ms: int) -> None:
        """The view widens the interval when a repaint gets expensive (very long replies)."""
        self._timer.setInterval(max(16, min(int(ms), 500)))

    def stream(self, message_id: str, text: str = "", reasoning: str = "") -> None:
        """Buffer a delta; it is applied on the next flush (at most one per interval)."""
        texts, thoughts = self._pending.setdefault(message_id, ([], []))
        if text:
            texts.append(text)
        if reasoning:
            thoughts.append(reasoning)
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Apply buffered deltas now (also called before a reply's final state lands)."""
        self._timer.stop()
        pending, self._pending = self._pending, {}
        for msg_id, (texts, thoughts) in pending.items():
            row = self.row_of(msg_id)
            if row < 0 or not (texts or thoughts):
                continue
            msg = self._rows[row]
            self._rows[row] = dataclasses.replace(
                msg, content=msg.content + "".join(texts),
                reasoning=msg.reasoning + "".join(thoughts))
            self._changed(row)
            self.flushed.emit(row)

    def _changed(self, row: int) -> None:
        msg_id = self._rows[row].id
        self._revision[msg_id] = self._revision.get(msg_id, 0) + 1
        idx = self.index(row, 0)
        self.dataChanged.emit(idx, idx, [])

