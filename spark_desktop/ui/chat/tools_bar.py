"""Tools in the chat page: the bar beside the composer (use tools, must call one, how many
there are), the approval card, and what a turn's tool events do to the message list.

The page gets a toolbox from the window (`ChatPage.set_toolbox`); without one, or while
it offers no tools, the bar stays hidden. A chat remembers its choice in
Conversation.extra["tools"]; a chat that never chose offers tools only when its model's
template renders them (the engine's generic format works for any model, so the person may
still switch them on).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QWidget

from spark_desktop.chat import (
    ApprovalNeeded,
    ReplyStarted,
    ToolAnswered,
    ToolCallsSaved,
    ToolLimitReached,
    TurnFinished,
)
from spark_desktop.chat.tool_loop import tool_settings_of
from spark_desktop.chat.toolbox import ToolBox
from spark_desktop.history.records import Conversation
from spark_desktop.ui.bridges import error_text, run_async
from spark_desktop.ui.chat.approval_card import ApprovalCard


class ToolsBar(QWidget):
    """`changed()` when the person switches tools on or off or asks for a forced call."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="toolsBar")
        self.enabled = QCheckBox(self.tr("Use &tools"))
        self.enabled.setToolTip(self.tr("Offer the model the tools of the configured MCP "
                                        "servers; each call asks you first."))
        self.required = QCheckBox(self.tr("&Must call a tool"))
        self.required.setToolTip(self.tr("The next reply must be a tool call (its JSON is "
                                          "enforced, so even a small model makes a valid one)."))
        self.count = QLabel()
        self.count.setProperty("role", "muted")
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 2, 12, 0)
        for widget in (self.enabled, self.required, self.count):
            row.addWidget(widget)
        row.addStretch(1)
        self.enabled.toggled.connect(self._toggled)
        self.required.toggled.connect(self.changed)

    def settings(self) -> dict[str, Any]:
        """As Conversation.extra["tools"] keeps them."""
        return {"enabled": self.enabled.isChecked(),
                "choice": "required" if self.required.isChecked() else "auto"}

    def set_settings(self, settings: Mapping[str, Any]) -> None:
        """Show a chat's settings (no `changed`: nothing was changed by the person)."""
        for box, on in ((self.enabled, bool(settings.get("enabled"))),
                        (self.required, settings.get("choice") == "required")):
            box.blockSignals(True)
            box.setChecked(on)
            box.blockSignals(False)
        self.required.setEnabled(self.enabled.isChecked() and self.enabled.isEnabled())

    def set_count(self, count: int) -> None:
        self.count.setText(self.tr("%n tool(s) available", "", count) if count
                           else self.tr("No tools available"))
        self.enabled.setEnabled(count > 0)
        self.required.setEnabled(count > 0 and self.enabled.isChecked())

    def _toggled(self, on: bool) -> None:
        self.required.setEnabled(on)
        self.changed.emit()


class ChatTools(QObject):
    """The page's tools: its toolbox, the bar, the approval card, and the tool events."""

    def __init__(self, page: QObject) -> None:
        super().__init__(page)
        self.toolbox: ToolBox | None = None
        self.bar = ToolsBar()
        self.bar.hide()
        self.card = ApprovalCard()
        self.card.answered.connect(self._answered)
        self.bar.changed.connect(self._changed)

    @property
    def page(self) -> Any:
        """The ChatPage, as the Qt parent (a Python reference back would make a cycle, and
        the collector might then delete the page on whichever thread it runs on)."""
        return self.parent()

    def set_toolbox(self, toolbox: ToolBox | None) -> None:
        self.toolbox = toolbox
        self.refresh()
        self.show_settings(self.page.conversation)

    def refresh(self) -> None:
        """Count the tools the box offers now, off the GUI thread (an MCP box starts its
        servers for it)."""
        box = self.toolbox
        if box is None:
            self.bar.hide()
            return

        def counted(count: int) -> None:  # no tools configured: no bar
            if shiboken6.isValid(self.bar) and box is self.toolbox:
                self.bar.set_count(count)
                self.bar.setVisible(count > 0)

        def failed(exc: BaseException) -> None:
            if shiboken6.isValid(self.bar) and box is self.toolbox:
                self.bar.set_count(0)
                self.bar.count.setText(error_text(exc))
                self.bar.show()

        # no parent: a page closed while counting would delete the call under its thread
        run_async(lambda: len(box.tools()), counted, failed)

    def show_settings(self, conversation: Conversation | None) -> None:
        """A chat's own choice, or the default for its model."""
        if conversation is not None and "tools" in conversation.extra:
            self.bar.set_settings(tool_settings_of(conversation.extra))
            return
        entry = self.page.host.entry(self.page.model_id)
        self.bar.set_settings({"enabled": bool(entry is not None and entry.template_tools),
                               "choice": "auto"})

    def turn_settings(self) -> dict[str, Any]:
        """What a TurnRequest carries (nothing without a toolbox: the chat's choice stays)."""
        if self.toolbox is None:
            return {}
        return {"tools": self.bar.settings(), "toolbox": self.toolbox}

    def handle(self, event: object) -> bool:
        """Show a tool event of the running turn; False for the events the page handles."""
        page, session = self.page, self.page.session
        if isinstance(event, ApprovalNeeded):
            if session.waiting is event:  # not stopped meanwhile
                self.card.show_call(event.call)
        elif isinstance(event, ToolCallsSaved):
            page.model.flush()
            page.model.replace(event.reply)
        elif isinstance(event, ToolAnswered):
            if session.shows(event.message.conversation_id):
                page.model.append(event.message)
        elif isinstance(event, ReplyStarted):
            if session.shows(event.reply.conversation_id):
                page.model.append(event.reply)
                page.view.scroll_to_end()
        elif isinstance(event, ToolLimitReached):
            page.banner.show_text(self.tr(
                "The model called tools {rounds} times in this reply; it answers now without "
                "them.").format(rounds=event.rounds), reload=False)
        else:
            if isinstance(event, TurnFinished):  # also how a stop hides the card
                self.card.hide()
                self.refresh()
            return False
        return True

    def _answered(self, decision: str) -> None:
        self.page.session.answer(decision)

    def _changed(self) -> None:
        """Keep the person's choice with the chat at once (and with each turn)."""
        conv, settings = self.page.conversation, self.bar.settings()
        if conv is None:
            return

        def save(store: Any) -> Conversation:
            extra = store.get_conversation(conv.id).extra
            return store.update_conversation(conv.id, extra={**extra, "tools": settings})

        self.page._history(save, self.page._conversation_saved)
