"""The card that asks the person before a tool runs: which tool, with which arguments, and
Allow / Always allow / Deny. The turn waits on its own thread meanwhile; the card only
hands the answer back (`answered`), so the GUI never waits."""

from __future__ import annotations

import json

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from spark_desktop.chat.tool_loop import call_arguments
from spark_desktop.engine.events import ToolCall


def pretty_arguments(arguments: str) -> str:
    """A call's arguments indented, one per line (the text as it came if it is no object)."""
    try:
        return json.dumps(json.loads(arguments or "{}"), indent=2, ensure_ascii=False)
    except ValueError:
        return arguments


def call_line(name: str, arguments: str) -> str:
    """A call in one line, for the message list: Called add {"a": 2, "b": 3}."""
    args = json.dumps(call_arguments(arguments), ensure_ascii=False)
    return QCoreApplication.translate("ApprovalCard", "Called {tool} {arguments}").format(
        tool=name, arguments=args)


class ApprovalCard(QFrame):
    """`answered(decision)`: "once", "always" or "deny", clicked or chosen by keyboard."""

    answered = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="approvalCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.arguments = QLabel()
        self.arguments.setTextFormat(Qt.TextFormat.PlainText)
        self.arguments.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.arguments.setWordWrap(True)
        self.arguments.setProperty("role", "mono")
        self.allow = QPushButton(self.tr("&Allow"))
        self.always = QPushButton(self.tr("Al&ways allow"))
        self.deny = QPushButton(self.tr("&Deny"))
        row = QHBoxLayout()
        row.addStretch(1)
        # bound methods, not lambdas holding the card: no reference cycle through Qt
        for button, answer in ((self.allow, self._allow), (self.always, self._always),
                               (self.deny, self._deny)):
            button.setAutoDefault(True)
            button.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            button.clicked.connect(answer)
            row.addWidget(button)
        column = QVBoxLayout(self)
        column.setContentsMargins(12, 8, 12, 8)
        column.addWidget(self.title)
        column.addWidget(self.arguments)
        column.addLayout(row)
        self.setAccessibleName(self.tr("Tool call waiting for approval"))
        self.hide()

    def show_call(self, call: ToolCall) -> None:
        """Ask about `call`; the focus goes to Allow, so Enter allows and Tab moves on."""
        self.call = call
        self.title.setText(self.tr("The model wants to call the tool “{tool}”. Run it?")
                           .format(tool=call.name))
        self.arguments.setText(pretty_arguments(call.arguments))
        self.show()
        self.allow.setFocus()

    def _allow(self) -> None:
        self._answer("once")

    def _always(self) -> None:
        self._answer("always")

    def _deny(self) -> None:
        self._answer("deny")

    def _answer(self, decision: str) -> None:
        self.hide()
        self.answered.emit(decision)
