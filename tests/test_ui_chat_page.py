"""The chat page with the real history store and a real model host holding the real test
model (offscreen)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from spark_desktop.history import HistoryStore
from spark_desktop.host import ModelHost
from spark_desktop.inference_settings import SamplingSettings
from spark_desktop.ui.bridges import HistoryBridge
from spark_desktop.ui.chat import ChatPage
from spark_desktop.ui.chat.page import PAGE_SIZE
from spark_desktop.ui.host_bridge import HostBridge
from tests.conftest import chat_options
from tests.fixtures.conversations import long_conversation
from tests.host_fixtures import GEMMA, gemma_host

OPTIONS = chat_options()


@pytest.fixture(scope="module")
def host(test_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelHost]:
    """A model host holding the test model, shared by one module's tests."""
    with gemma_host(test_model, tmp_path_factory.mktemp("host"), OPTIONS) as held:
        yield held


def worker_pid(host: ModelHost) -> int:
    return host._models[GEMMA].client.worker_pid or 0  # a test kills it


def chat_page(qtbot: QtBot, store: HistoryStore | None, host: ModelHost | None = None
              ) -> ChatPage:
    """The page as the window builds it: over the app's history and host bridges (here
    over the test's store, or the default one for None, and the test's host; without
    one, a bridge that never starts a host)."""
    history = HistoryBridge(store)
    page = ChatPage(history, HostBridge(host=host))
    qtbot.addWidget(page)
    return page


def make_page(qtbot: QtBot, store: HistoryStore, host: ModelHost,
              max_tokens: int = 6) -> ChatPage:
    page = chat_page(qtbot, store, host)
    qtbot.waitUntil(lambda: page.model_id == GEMMA)  # the loaded model is chosen
    page.resize(1000, 700)
    page.show()
    page.panel.temperature.setValue(0.0)
    page.panel.repeat_penalty.setValue(1.0)
    page.panel.max_tokens.setValue(max_tokens)
    return page


def wait_reply(qtbot: QtBot, page: ChatPage, timeout: int = 120_000) -> object:
    with qtbot.waitSignal(page.reply_finished, timeout=timeout) as blocker:
        pass
    qtbot.waitUntil(lambda: not page.busy, timeout=timeout)
    return blocker.args[0]


@pytest.mark.slow
def test_send_streams_the_reply_into_the_view_and_saves_it(qtbot: QtBot, store: HistoryStore,
                                                             host: ModelHost) -> None:
    page = make_page(qtbot, store, host)
    with qtbot.waitSignal(page.reply_finished, timeout=120_000) as done:
        page.send("Name a colour.")
        assert page.busy and page.composer.button.text() == "Stop"
    qtbot.waitUntil(lambda: not page.busy)
    reply = done.args[0]
    assert reply.finish_reason in ("stop", "length") and reply.content
    assert [page.model.message(r).role for r in range(page.model.rowCount())] == \
        ["user", "assistant"]
    assert page.model.message(1).content == reply.content
    assert store.get_message(reply.id).content == reply.content
    assert page.conversation is not None and page.conversation.title == "Name a colour."
    qtbot.waitUntil(lambda: page.conversations.model.rowCount() == 1)
    assert page.context_meter.value() == reply.prompt_tokens + reply.completion_tokens
    assert page.context_meter.maximum() == 1024
    # a second window onto the same database shows the conversation
    other = chat_page(qtbot, store, host)
    qtbot.waitUntil(lambda: other.conversations.model.rowCount() == 1)
    other.open_conversation(page.conversation.id)
    qtbot.waitUntil(lambda: other.model.rowCount() == 2)
    assert other.model.message(1).content == reply.content


@pytest.mark.slow
def test_stop_keeps_the_partial_reply(qtbot: QtBot, store: HistoryStore, host: ModelHost) -> None:
    page = make_page(qtbot, store, host, max_tokens=300)
    page.send("Count from one to two hundred, one number per line.")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2 and bool(page.model.message(1).content),
                    timeout=120_000)
    with qtbot.waitSignal(page.reply_finished, timeout=30_000) as done:
        page.stop()
    qtbot.waitUntil(lambda: not page.busy)
    reply = done.args[0]
    assert reply.finish_reason == "cancelled" and reply.content
    assert reply.completion_tokens < 300
    assert store.get_message(reply.id).finish_reason == "cancelled"
    assert page.model.message(1).finish_reason == "cancelled"


@pytest.mark.slow
def test_regenerate_and_edit_make_branches_the_switcher_can_show(
        qtbot: QtBot, store: HistoryStore, host: ModelHost) -> None:
    page = make_page(qtbot, store, host, max_tokens=3)
    page.send("Say yes.")
    first = wait_reply(qtbot, page)
    page.regenerate(first.id)
    second = wait_reply(qtbot, page)
    assert second.id != first.id and second.parent_id == first.parent_id
    qtbot.waitUntil(lambda: page.model.index(1, 0).data(page_roles()["siblings"]) == (2, 2))
    page.switch_sibling(second.id, -1)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2 and page.model.message(1).id == first.id)
    qtbot.waitUntil(lambda: page.model.index(1, 0).data(page_roles()["siblings"]) == (1, 2))
    # edit the question: a sibling user message with its own reply
    question = page.model.message(0)
    page.edit(question.id)
    assert page.composer.text() == "Say yes." and page.edit_note.isVisibleTo(page)
    page.send("Say no.")
    third = wait_reply(qtbot, page)
    rows = [page.model.message(r) for r in range(page.model.rowCount())]
    assert [m.content for m in rows][:1] == ["Say no."] and rows[1].id == third.id
    assert [m.id for m in store.siblings(rows[0].id)] == [question.id, rows[0].id]
    qtbot.waitUntil(lambda: page.model.index(0, 0).data(page_roles()["siblings"]) == (2, 2))


def page_roles() -> dict[str, int]:
    from spark_desktop.ui.chat.message_model import SiblingsRole

    return {"siblings": SiblingsRole}


def test_search_as_you_type_and_open_a_long_conversation_by_page(
        qtbot: QtBot, store: HistoryStore) -> None:
    long_id = long_conversation(store, 5000)
    short = store.create_conversation("Holiday plans")
    store.add_message(short.id, "user", "Where should we go for the zebra safari?")
    page = chat_page(qtbot, store)
    page.resize(1000, 700)
    page.show()
    qtbot.waitUntil(lambda: page.conversations.model.rowCount() == 2)
    qtbot.keyClicks(page.conversations.search, "zebra")
    qtbot.waitUntil(lambda: [e.conversation_id for e in page.conversations.model.entries()]
                    == [short.id])
    assert "zebra safari" in page.conversations.model.entries()[0].detail
    page.conversations.search.clear()
    qtbot.waitUntil(lambda: page.conversations.model.rowCount() == 2)
    page.open_conversation(long_id)
    qtbot.waitUntil(lambda: page.model.rowCount() == PAGE_SIZE)
    assert page.model.has_older() and page.title.text() == "Long chat"
    page.view.verticalScrollBar().setValue(0)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2 * PAGE_SIZE)
    # rename, pin, delete go through the history thread
    page.rename_conversation(short.id, "Safari")
    page.set_pinned(short.id, True)
    qtbot.waitUntil(lambda: page.conversations.model.entries()[0].title == "Safari"
                    and page.conversations.model.entries()[0].pinned)
    page.delete_conversation(short.id)
    qtbot.waitUntil(lambda: page.conversations.model.rowCount() == 1)
    page.new_chat()
    assert page.model.rowCount() == 0 and page.conversation is None


def test_a_long_title_is_elided_before_the_meter(qtbot: QtBot, store: HistoryStore) -> None:
    title = "Once upon a time, there was a little robot who wanted to see the wide blue sea"
    conversation = store.create_conversation(title)
    page = chat_page(qtbot, store)
    page.resize(900, 700)
    page.show()
    qtbot.waitExposed(page)
    page.open_conversation(conversation.id)
    qtbot.waitUntil(lambda: page.title.text() == title)
    label = page.title
    shown = label.shown_text()
    assert shown.endswith("…") and label.toolTip() == title
    assert label.fontMetrics().horizontalAdvance(shown) <= label.contentsRect().width()
    assert label.geometry().right() < page.context_meter.geometry().left()
    page.resize(1250, 700)  # wider: more of the title shows, still within its label
    qtbot.waitUntil(lambda: len(label.shown_text()) > len(shown))
    assert label.fontMetrics().horizontalAdvance(label.shown_text()) \
        <= label.contentsRect().width()
    page.new_chat()
    assert label.shown_text() == "New chat" and label.toolTip() == ""


@pytest.mark.slow
def test_a_killed_worker_keeps_the_partial_reply_and_reload_brings_the_model_back(
        qtbot: QtBot, store: HistoryStore, host: ModelHost) -> None:
    page = make_page(qtbot, store, host, max_tokens=300)
    try:
        assert page.context_meter.maximum() == 1024
        page.send("Tell me about rivers.")
        qtbot.waitUntil(lambda: page.model.rowCount() == 2 and bool(page.model.message(1).content),
                        timeout=120_000)
        with qtbot.waitSignal(page.reply_finished, timeout=60_000) as done:
            os.kill(worker_pid(host), signal.SIGKILL)
        qtbot.waitUntil(lambda: not page.busy and page.reload_button.isVisibleTo(page))
        partial = done.args[0]
        assert partial.finish_reason == "error" and partial.content
        assert partial.model == GEMMA
        assert store.get_message(partial.id).content == partial.content
        assert "stopped unexpectedly" in page.banner_text.text()
        qtbot.waitUntil(lambda: page.host.entries == ())  # the host dropped the dead model
        with qtbot.waitSignal(page.host.loaded, timeout=120_000):
            page.reload_button.click()
        assert not page.banner.isVisibleTo(page)
        page.panel.max_tokens.setValue(3)
        page.send("Thanks.")
        reply = wait_reply(qtbot, page)
        assert reply.finish_reason in ("stop", "length")
        path = store.active_path(partial.conversation_id)
        assert [m.id for m in path][1] == partial.id and path[1].content == partial.content
        assert [m.role for m in path] == ["user", "assistant", "user", "assistant"]
    finally:
        host.load(GEMMA)


def test_without_a_store_the_page_opens_the_default_history_off_thread(
        qtbot: QtBot, isolated_dirs: Path) -> None:
    from spark_desktop import paths, settings

    settings.save(settings.Settings(sampling=SamplingSettings(temperature=0.3)))
    with HistoryStore.open() as store:
        store.create_conversation("Kept from last time")
    page = chat_page(qtbot, None)
    qtbot.waitUntil(lambda: page.conversations.model.rowCount() == 1)
    opened = page.history.runner.store
    assert opened is not None and opened.path == paths.database_path()
    assert page.panel.temperature.value() == pytest.approx(0.3)  # the user's defaults
    page.history.shutdown()
