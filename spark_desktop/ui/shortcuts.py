"""Help → Keyboard shortcuts: every key of the window in one list, in the window's
language, with the keys written the platform's way."""

from __future__ import annotations

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

#: (keys, what they do): the window's shortcuts and the keys of its widgets, in English.
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Ctrl+1", QT_TRANSLATE_NOOP("Shortcuts", "Go to Chat")),
    ("Ctrl+2", QT_TRANSLATE_NOOP("Shortcuts", "Go to Discover")),
    ("Ctrl+3", QT_TRANSLATE_NOOP("Shortcuts", "Go to Downloads")),
    ("Ctrl+4", QT_TRANSLATE_NOOP("Shortcuts", "Go to My Models")),
    ("Ctrl+5", QT_TRANSLATE_NOOP("Shortcuts", "Go to Compare")),
    ("Ctrl+6", QT_TRANSLATE_NOOP("Shortcuts", "Go to Server")),
    ("Ctrl+7", QT_TRANSLATE_NOOP("Shortcuts", "Go to Settings")),
    ("Ctrl+L", QT_TRANSLATE_NOOP("Shortcuts", "Lock the window (with a passphrase set)")),
    ("Ctrl+N", QT_TRANSLATE_NOOP("Shortcuts", "Start a new chat")),
    ("Ctrl+K", QT_TRANSLATE_NOOP("Shortcuts", "Search all chats")),
    ("Ctrl+E", QT_TRANSLATE_NOOP("Shortcuts", "Edit your last message")),
    ("Ctrl+R", QT_TRANSLATE_NOOP("Shortcuts", "Regenerate the last reply")),
    ("Ctrl+Shift+C", QT_TRANSLATE_NOOP("Shortcuts", "Copy the last reply")),
    ("Enter", QT_TRANSLATE_NOOP("Shortcuts", "Send the message (in the message box)")),
    ("Shift+Enter", QT_TRANSLATE_NOOP("Shortcuts", "New line in the message box")),
    ("Esc", QT_TRANSLATE_NOOP("Shortcuts", "Stop the reply, or stop editing a message")),
    ("Tab", QT_TRANSLATE_NOOP("Shortcuts", "Move to the next control")),
    ("Shift+Tab", QT_TRANSLATE_NOOP("Shortcuts", "Move to the previous control")),
    ("Menu", QT_TRANSLATE_NOOP("Shortcuts", "Rename, pin or delete the selected chat")),
    ("F1", QT_TRANSLATE_NOOP("Shortcuts", "Show this list of shortcuts")),
    ("Ctrl+Q", QT_TRANSLATE_NOOP("Shortcuts", "Quit")),
)


def native_keys(keys: str) -> str:
    """"Ctrl+N" as this platform writes it (and translated, e.g. "Esc" stays "Esc")."""
    return QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText) or keys


class ShortcutsDialog(QDialog):
    """A read-only table of the shortcuts; Esc or Close closes it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Keyboard shortcuts"))
        self.resize(520, 520)
        intro = QLabel(self.tr("Everything in Spark Desktop can be reached with the keyboard."))
        intro.setWordWrap(True)
        self.table = QTableWidget(len(SHORTCUTS), 2)
        self.table.setHorizontalHeaderLabels([self.tr("Keys"), self.tr("Action")])
        self.table.setAccessibleName(self.tr("Keyboard shortcuts"))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        for row, (keys, action) in enumerate(SHORTCUTS):
            self.table.setItem(row, 0, QTableWidgetItem(native_keys(keys)))
            self.table.setItem(row, 1, QTableWidgetItem(
                QCoreApplication.translate("Shortcuts", action)))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
