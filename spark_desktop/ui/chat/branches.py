"""The branch switcher of a chat page: which messages have other versions (looked up in
batches as rows come on screen) and showing another version with the branch below it.

A mixin of ChatPage (ui/chat/page.py), apart from the conversation and turn logic; it
uses the page's `session` (chat.ChatSession), `model` (MessageListModel),
`conversation`, `_history()` and `open_conversation()`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from spark_desktop.chat import Siblings


class Branches:
    """Siblings of the messages shown, and switching between them."""

    session: Any
    model: Any
    conversation: Any
    _unshown_siblings: set[str]
    _siblings_timer: Any

    def _history(self, op: Any, on_done: Any = None) -> None: ...

    def open_conversation(self, conversation_id: str, message_id: str | None = None) -> None: ...

    def switch_sibling(self, message_id: str, step: int) -> None:
        """Show the previous (-1) or next (+1) version of a message and the branch below it."""
        op = self.session.switch_op(message_id, step)
        if op is not None:
            self._history(op, self.open_conversation)

    def _message_shown(self, message_id: str) -> None:
        """Rows on screen get their branch switcher: siblings are looked up in batches."""
        self._unshown_siblings.add(message_id)
        if not self._siblings_timer.isActive():
            self._siblings_timer.start()

    def _look_up_siblings(self, ids: Iterable[str] | None = None) -> None:
        if ids is None:
            ids, self._unshown_siblings = self._unshown_siblings, set()
        shown = [i for i in ids if self.model.row_of(i) >= 0]
        if self.conversation is not None and shown:
            self._history(self.session.siblings_op(shown), self._siblings_loaded)

    def _siblings_loaded(self, siblings: Siblings) -> None:
        for msg_id, (pos, count) in siblings.items():
            self.model.set_siblings(msg_id, pos, count)
