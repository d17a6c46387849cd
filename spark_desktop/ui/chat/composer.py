"""Where a message is typed: Enter sends, Shift+Enter starts a new line; Send turns
into Stop while a reply is being generated."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from spark_desktop.ui.icon import decorate


class ComposerEdit(QPlainTextEdit):
    """A text box that submits on Enter and adds a line on Shift+Enter."""

    submitted = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.submitted.emit()
            return
        if enter:
            self.insertPlainText("\n")
            return
        super().keyPressEvent(event)


class Composer(QWidget):
    """`send_requested(text)` on Enter or Send; `stop_requested` on Stop. The Attach
    button's menu is the page's (ui.chat.attachments)."""

    send_requested = Signal(str)
    stop_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.edit = ComposerEdit()
        self.edit.setObjectName("composer")
        self.edit.setPlaceholderText(
            self.tr("Message the model — Enter sends, Shift+Enter adds a line"))
        self.edit.setAccessibleName(self.tr("Message"))
        self.edit.setTabChangesFocus(True)
        self.edit.setMaximumHeight(110)
        self.edit.setMinimumHeight(56)
        self.button = QPushButton(self.tr("Send"))
        self.button.setObjectName("sendButton")
        decorate(self.button, "send", "on_accent")
        self.button.setDefault(False)
        self.button.setAutoDefault(False)
        self.attach_button = QPushButton(self.tr("Attach…"))
        self.attach_button.setObjectName("attachButton")
        self.attach_button.setToolTip(self.tr("Attach documents to this chat (or drop files "
                                              "on it): the answers cite them"))
        self.attach_button.setAutoDefault(False)
        side = QVBoxLayout()
        side.addStretch(1)
        side.addWidget(self.attach_button)
        side.addWidget(self.button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 12, 10)
        layout.addWidget(self.edit, 1)
        layout.addLayout(side)
        self._busy = False
        self.edit.submitted.connect(self._submit)
        self.button.clicked.connect(self._clicked)

    @property
    def busy(self) -> bool:
        return self._busy

    def set_busy(self, busy: bool) -> None:
        """While busy the button stops the reply; typing the next message stays possible."""
        self._busy = busy
        self.button.setText(self.tr("Stop") if busy else self.tr("Send"))
        decorate(self.button, "stop" if busy else "send", "on_accent")
        self.button.setToolTip(self.tr("Stop the reply (Esc)") if busy
                               else self.tr("Send (Enter)"))

    def text(self) -> str:
        return self.edit.toPlainText()

    def set_text(self, text: str) -> None:
        self.edit.setPlainText(text)
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)

    def _clicked(self) -> None:
        if self._busy:
            self.stop_requested.emit()
        else:
            self._submit()

    def _submit(self) -> None:
        text = self.edit.toPlainText().strip()
        if self._busy or not text:
            return
        self.edit.clear()
        self.send_requested.emit(text)
