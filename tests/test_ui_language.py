"""Settings → Language in the real window: choosing 简体中文 rewords the window at once
(sidebar, menus, the page on screen) without losing the open conversation or the text
being typed; choosing English again brings English back."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from spark_desktop import settings
from spark_desktop.ui.app import create_window
from spark_desktop.ui.main_window import MainWindow
from tests.test_ui_i18n import CJK, _visible_texts, english_texts


@pytest.fixture
def english_window(qtbot) -> MainWindow:
    settings.save(settings.Settings(language="en"))
    window = create_window(QApplication.instance())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.chat is not None, timeout=30000)
    # no models here: once the library is scanned, the window shows Get started
    qtbot.waitUntil(lambda: window.current_page() == "welcome", timeout=30000)
    yield window
    window.translations.apply("en")  # the other tests see English


def _choose(page, language: str) -> None:
    page.language.setCurrentIndex(page.language.findData(language))


def test_choosing_chinese_rewords_the_window_and_keeps_the_chat(
        qtbot, english_window: MainWindow) -> None:
    window = english_window

    def write(store) -> object:  # through the window's history thread, as the pages do
        conv = store.create_conversation("Zebra safari")
        store.add_message(conv.id, "user", "Where do zebras live?")
        return conv

    conv = window.services.history.runner.submit(write).result(timeout=10)
    chat = window.chat
    chat.refresh_conversations()
    chat.open_conversation(conv.id)
    qtbot.waitUntil(lambda: chat.model.rowCount() == 1)
    chat.composer.set_text("And what about stripes")
    window.show_page("settings")
    page = window.page("settings")
    assert window.sidebar.item(0).text() == "Chat" and page.language.currentData() == "en"

    _choose(page, "zh_CN")
    qtbot.waitUntil(lambda: window.chat not in (None, chat), timeout=10000)
    assert window.translations.language == "zh_CN"
    assert settings.load().language == "zh_CN"  # saved: the next start is Chinese too
    assert window.sidebar.item(0).text() == "对话"
    menus = [a.text() for a in window.menuBar().actions()]
    assert len(menus) == 3 and all(CJK.search(m) for m in menus[1:])  # View, Help
    assert window.current_page() == "settings"
    fresh = window.page("settings")
    assert fresh is not page and fresh.isVisible()
    assert english_texts(_visible_texts(fresh)) == []
    assert fresh.language.currentData() == "zh_CN"

    new_chat = window.chat
    qtbot.waitUntil(lambda: new_chat.conversation is not None and new_chat.model.rowCount() == 1
                    and new_chat.composer.text() != "")
    assert new_chat.conversation.id == conv.id
    assert new_chat.model.message(0).content == "Where do zebras live?"
    assert new_chat.composer.text() == "And what about stripes"
    assert CJK.search(new_chat.composer.button.text())

    _choose(fresh, "en")
    qtbot.waitUntil(lambda: window.translations.language == "en", timeout=10000)
    qtbot.waitUntil(lambda: window.chat not in (None, new_chat), timeout=10000)
    assert window.sidebar.item(0).text() == "Chat"
    assert window.page("settings").privacy.title() == "Privacy"
    assert [a.text() for a in window.menuBar().actions()][1:] == ["&View", "&Help"]
    assert len(window.menuBar().actions()) == 3  # the old menus are gone, not hidden


def test_a_choice_that_resolves_to_the_language_in_use_rebuilds_nothing(
        qtbot, english_window: MainWindow, monkeypatch) -> None:
    """"Same as the system" on an English system keeps the pages as they are."""
    from PySide6.QtCore import QLocale

    monkeypatch.setattr(QLocale, "system", lambda: QLocale("en_US"))
    window = english_window
    window.show_page("settings")
    page, chat = window.page("settings"), window.chat
    _choose(page, "system")
    qtbot.wait(100)
    assert settings.load().language == "system"
    assert window.page("settings") is page and window.chat is chat


def test_a_serving_server_page_is_reworded_once_the_server_stops(
        qtbot, english_window: MainWindow) -> None:
    """Rebuilding the Server page would stop the server: it keeps its page (and its
    language) while serving, and is built again in the new language when it stops."""
    from tests.test_rpc import free_port

    window = english_window
    window.show_page("server")
    server = window.page("server")
    qtbot.waitUntil(lambda: window.services.host.host is not None, timeout=30000)
    server.port.setValue(free_port())
    server.start()
    qtbot.waitUntil(lambda: server.running, timeout=30000)

    window.language.apply("zh_CN")  # what choosing 简体中文 in Settings does
    assert window.sidebar.item(0).text() == "对话"
    assert window.page("server") is server and server.running
    server.stop()
    qtbot.waitUntil(lambda: window.pages.get("server") is not server, timeout=30000)
    fresh = window.page("server")
    qtbot.waitUntil(fresh.isVisible)  # shown in the page's slot, as the page on screen
    assert not fresh.running
    assert CJK.search(fresh.toggle.text()) and CJK.search(fresh.status.text())
