"""Settings → Language, applied at once, without a restart.

The pages set their texts once, when they are built, so a new language installs its
translators and then builds the window's pages again: the sidebar, menus and status bar
are re-worded, each page built so far is dropped (the one on screen is built again now,
the others when next opened), and the Chat page is replaced by a fresh one that reopens
the conversation it showed, with the composer's unsent text. The services, the model
host, the downloads and the history stay as they are. A page that is working waits: the
Chat page while a reply streams, the Server page while the server runs.
"""

from __future__ import annotations

import importlib
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer
from PySide6.QtWidgets import QMenu, QScrollArea

from spark_desktop.ui import i18n
from spark_desktop.ui.i18n import Translations


class LanguageSwitch(QObject):
    """Follows the settings' `language` for `window` (a MainWindow)."""

    def __init__(self, window: Any, translations: Translations) -> None:
        super().__init__(window)
        self.window = window
        self.translations = translations
        window.services.settings_changed.connect(self._settings_changed)

    def _settings_changed(self, settings: Any) -> None:
        if i18n.resolve(settings.language) != self.translations.language:
            # later: the combo that made the change belongs to a page about to be rebuilt
            QTimer.singleShot(0, self, lambda: self.apply(settings.language))

    def apply(self, choice: str) -> str:
        """Use the language of settings value `choice` in the whole window; returns the
        language now in use."""
        language = self.translations.apply(choice)
        window = self.window
        _reword_frame(window)
        for name in list(window.pages):
            if name != "chat":
                self._rebuild_page(name)
        if window.chat is not None:
            self._rebuild_chat()
        return language

    def _rebuild_page(self, name: str) -> None:
        window = self.window
        page = window.pages.get(name)
        if page is None:  # rebuilt already
            return
        if name == "server" and getattr(page, "server", None) is not None:
            # serving: rebuilt once the server stops
            _when(page.running_changed, lambda running: not running,
                  lambda: self._rebuild_page(name))
            return
        scroll = page.findChild(QScrollArea)
        offset = scroll.verticalScrollBar().value() if scroll is not None else 0
        del window.pages[name]
        page.setParent(None)
        page.deleteLater()
        if window.current_page() == name:
            fresh = window.page(name)
            scroll = fresh.findChild(QScrollArea)
            if scroll is not None:  # Settings: stay where the language was chosen
                QTimer.singleShot(0, fresh, lambda: scroll.verticalScrollBar().setValue(offset))

    def _rebuild_chat(self) -> None:
        """A fresh Chat page showing the same conversation and unsent text (after the
        reply that is streaming, if one is)."""
        window = self.window
        old = window.chat
        if old is None:  # released meanwhile (the lock): it comes back in the new language
            return
        if old.busy:  # after the reply, once the page is done with its end
            _when(old.busy_changed, lambda busy: not busy,
                  lambda: QTimer.singleShot(0, self, self._rebuild_chat))
            return
        conversation = old.conversation.id if old.conversation is not None else None
        draft, model_id = old.composer.text(), old.model_id
        window.release_chat()

        def restore() -> None:  # the new page is built (a piece per turn) and its history open
            chat = window.chat
            if chat is None:
                return
            if model_id is not None:
                chat.choose_model(model_id)
            if conversation is not None:
                chat.open_conversation(conversation)
            chat.composer.set_text(draft)

        window._build_chat(importlib.import_module("spark_desktop.ui.chat"), restore)


def _reword_frame(window: Any) -> None:
    """The sidebar, menus, status bar and the chat's placeholder in the new language."""
    from spark_desktop.ui.main_window import PAGES, TITLES

    for row, name in enumerate((*PAGES, "welcome")):
        window.sidebar.item(row).setText(window.tr(TITLES[name]))
    window.sidebar.setAccessibleName(QCoreApplication.translate("MainWindow", "Pages"))
    old = window.menuBar()
    for menu in old.findChildren(QMenu):
        for action in menu.actions():
            if action.parent() is window:
                action.deleteLater()
        menu.deleteLater()
    old.clear()
    window._build_menus()
    window.refresh_icons()
    window.chat_note.setText(QCoreApplication.translate("MainWindow",
                                                        "Opening your conversations…"))
    window._show_models()
    window._machine_ready()


def _when(signal: Any, ready: Any, action: Any) -> None:
    """Call `action()` once, at the first emission of `signal` whose arguments `ready`
    accepts."""
    def check(*args: object) -> None:
        if ready(*args):
            signal.disconnect(check)
            action()
    signal.connect(check)
