"""The GUI over the model host, with both real test models (Gemma 3 270M and
SmolLM2-135M-Instruct), offscreen: two models loaded through My Models, two chats
answering at once on different models, the status bar listing both, a load refused
for memory in words, and the Server page serving the official openai client."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from spark_desktop.history import HistoryStore
from spark_desktop.host import HostSettings, ModelHost, ledger
from spark_desktop.ui.bridges import HistoryBridge
from spark_desktop.ui.chat import ChatPage
from spark_desktop.ui.host_bridge import HostBridge
from spark_desktop.ui.main_window import MainWindow
from spark_desktop.ui.services import Services
from tests.fixtures.real_model import smollm2_path
from tests.host_fixtures import GEMMA, SMOL, link_models, small_load

pytestmark = pytest.mark.slow
GIB = 1024 ** 3


@pytest.fixture
def library_models(isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, ...]:
    """Both test models in this test's models folder, as the library lists them."""
    from spark_desktop import library

    monkeypatch.setenv("SPARK_DESKTOP_MODELS_DIR",
                       str(link_models(isolated_dirs / "test-models")))
    return tuple(library.scan())


def make_host(models: tuple[Any, ...], pool: int = 64 * GIB) -> ModelHost:
    return ModelHost(HostSettings(pool_bytes=pool, idle_unload_s=None,
                                  load_options=small_load()), scan=lambda: models)


@pytest.fixture
def window(qtbot: QtBot, library_models: tuple[Any, ...]) -> Iterator[MainWindow]:
    """The app's window over a host of the two test models (a 64 GiB pool)."""
    host = make_host(library_models)
    services = Services(host=HostBridge(host=host))
    win = MainWindow(services)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.chat is not None and bool(services.models), timeout=30_000)
    try:
        yield win
    finally:
        win.close()
        host.close()


def load_in_my_models(qtbot: QtBot, window: MainWindow, model_id: str) -> None:
    """Select the model in My Models and load it (as the load dialog's OK does)."""
    page = window.page("models")
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=30_000)
    row = next(r for r in range(2) if page.model.value(r).name == model_id)
    page.table.selectRow(row)
    with qtbot.waitSignal(window.services.host.loaded, timeout=120_000):
        page.start_load(page.selected(), small_load())


def short_replies(page: ChatPage, max_tokens: int) -> None:
    page.panel.temperature.setValue(0.0)
    page.panel.max_tokens.setValue(max_tokens)


def test_two_models_two_chats_at_once_and_the_status_bar_lists_both(
        qtbot: QtBot, window: MainWindow) -> None:
    host = window.services.host
    load_in_my_models(qtbot, window, SMOL)
    load_in_my_models(qtbot, window, GEMMA)
    qtbot.waitUntil(lambda: [e.id for e in host.entries] == [GEMMA, SMOL], timeout=30_000)
    assert window.model_label.text() == "2 model(s) loaded"
    memory = window.memory_label.text()
    for entry in host.entries:
        assert entry.memory > 0 and entry.id in memory
    assert memory.endswith(f" of {human(host.pool)} in use") and host.pool == 64 * GIB

    first = window.chat
    second = ChatPage(window.services.history, host)  # a second chat page, same host
    qtbot.addWidget(second)
    first.choose_model(GEMMA)
    second.choose_model(SMOL)
    assert first.model_picker.currentData() == GEMMA
    assert second.model_picker.currentData() == SMOL
    for page in (first, second):
        short_replies(page, 40)
    replies: list[Any] = []
    first.reply_finished.connect(replies.append)
    second.reply_finished.connect(replies.append)
    first.send("Write a list of ten colours.")
    second.send("Write a list of ten animals.")
    # both models answer at the same time: each holds a lease while the other does
    qtbot.waitUntil(lambda: all(e.busy for e in host.host.loaded()), timeout=60_000)
    qtbot.waitUntil(lambda: len(replies) == 2 and not first.busy and not second.busy,
                    timeout=120_000)
    by_model = {r.model: r for r in replies}
    assert set(by_model) == {GEMMA, SMOL}
    for reply in replies:
        assert reply.finish_reason in ("stop", "length") and reply.content.strip()
    answered = {r.model_id for r in host.recent()}
    assert answered == {GEMMA, SMOL}


def test_a_load_that_does_not_fit_beside_the_others_is_refused_in_words(
        qtbot: QtBot, library_models: tuple[Any, ...]) -> None:
    smol = smollm2_path()
    room = ledger.estimated(smol, small_load().resolved(), 64 * GIB).total
    host = make_host(library_models, pool=room + 32 * 1024 ** 2)  # SmolLM2 and a little more
    services = Services(host=HostBridge(host=host))
    window = MainWindow(services)
    qtbot.addWidget(window)
    try:
        load_in_my_models(qtbot, window, SMOL)
        page = window.page("models")
        row = next(r for r in range(2) if page.model.value(r).name == GEMMA)
        page.table.selectRow(row)
        with qtbot.waitSignal(services.host.load_failed, timeout=60_000) as refused:
            page.start_load(page.selected(), small_load())
        assert refused.args[0] == GEMMA
        text = page.state.text()
        assert text.startswith(f"{GEMMA} did not load: {GEMMA} needs about ")
        assert f"memory pool is free beside {SMOL}" in text and "Unload a model" in text
        assert [e.id for e in services.host.entries] == [SMOL]  # the loaded one is kept
        assert window.model_label.text() == "1 model(s) loaded"
    finally:
        window.close()
        host.close()


def test_the_server_page_serves_the_openai_client_with_keys_and_logs_requests(
        qtbot: QtBot, window: MainWindow) -> None:
    import openai

    from spark_desktop.host import discovery

    load_in_my_models(qtbot, window, SMOL)
    window.show_page("server")
    page = window.page("server")
    page.port.setValue(free_port())
    with qtbot.waitSignal(page.running_changed, timeout=30_000):
        page.toggle.click()
    assert page.running and page.url == f"http://127.0.0.1:{page.port.value()}"
    assert "no key" in page.status.text()
    assert discovery.running() is not None  # the app is now the machine's host
    assert SMOL in page.models.text()

    client = openai.OpenAI(base_url=f"{page.url}/v1", api_key="unused", max_retries=0)
    reply = client.chat.completions.create(
        model=SMOL, messages=[{"role": "user", "content": "Say hi."}], max_tokens=8,
        temperature=0)
    assert reply.choices[0].message.content and reply.usage.completion_tokens > 0
    qtbot.waitUntil(lambda: page.log.rowCount() >= 1, timeout=10_000)
    cells = [page.log.item(0, c).text() for c in range(6)]
    assert cells[0] == SMOL and cells[3] == str(reply.usage.completion_tokens)
    assert float(cells[4]) > 0  # tokens/s

    # a key: the server restarts to require keys; without the key the client is refused
    with qtbot.waitSignal(page.running_changed, timeout=30_000,
                          check_params_cb=lambda running: running):
        key = page.add_key("alice")
    assert page.running and "key required" in page.status.text()
    assert page.keys.item(0).text().startswith("alice")
    with pytest.raises(openai.AuthenticationError):
        client.models.list()
    keyed = openai.OpenAI(base_url=f"{page.url}/v1", api_key=key, max_retries=0)
    assert SMOL in {m.id for m in keyed.models.list()}
    # revoked (one key stays, so the server keeps requiring keys without a restart)
    other = page.add_key("bob")
    page.revoke("alice")
    with pytest.raises(openai.AuthenticationError):
        keyed.models.list()
    bobs = openai.OpenAI(base_url=f"{page.url}/v1", api_key=other, max_retries=0)
    assert bobs.models.list().data

    # saving API conversations: off by default, then on for the running server's next request
    assert not page.save_history.isChecked()
    page.save_history.setChecked(True)
    asked = bobs.chat.completions.create(
        model=SMOL, messages=[{"role": "user", "content": "Kept by the API."}], max_tokens=4,
        temperature=0)
    convs = window.services.history.runner.call(lambda store: [
        (c.tags, [m.content for m in store.all_messages(c.id)])
        for c in store.list_conversations()])
    assert (("api", "api-key:bob"), ["Kept by the API.", asked.choices[0].message.content]) \
        in convs
    assert not any("Say hi." in texts for _tags, texts in convs)  # asked while it was off

    with qtbot.waitSignal(page.running_changed, timeout=30_000):
        page.toggle.click()
    assert not page.running and discovery.running() is None


def test_a_chat_whose_model_was_unloaded_says_so_and_reloads_it(
        qtbot: QtBot, window: MainWindow) -> None:
    host = window.services.host
    load_in_my_models(qtbot, window, SMOL)
    chat = window.chat
    qtbot.waitUntil(lambda: chat.model_id == SMOL)
    models = window.page("models")
    with qtbot.waitSignal(host.unloaded, timeout=30_000):
        models.unload_selected()  # SmolLM2 is the row selected
    assert host.entries == () and chat.model_picker.currentIndex() == -1
    assert window.state_label.text() == "not loaded"
    chat.send("Hello?")
    assert chat.composer.text() == "Hello?" and chat.reload_button.isVisibleTo(chat)
    assert chat.banner_text.text().startswith(f"{SMOL} is not loaded any more")
    with qtbot.waitSignal(host.loaded, timeout=120_000):
        chat.reload_button.click()
    assert not chat.banner.isVisibleTo(chat) and chat.model_picker.currentData() == SMOL


def test_closing_the_window_mid_reply_saves_it_cancelled(
        qtbot: QtBot, window: MainWindow) -> None:
    load_in_my_models(qtbot, window, SMOL)
    chat = window.chat
    short_replies(chat, 400)
    chat.send("Count from 1 to 400, one number per line.")
    qtbot.waitUntil(lambda: chat.model.rowCount() == 2 and bool(chat.model.message(1).content),
                    timeout=120_000)
    reply_id = chat.model.message(1).id
    window.close()  # stops the reply, waits for it, then closes the history
    with HistoryStore.open() as store:
        saved = store.get_message(reply_id)
    assert saved.finish_reason == "cancelled" and saved.content.strip()


def test_keep_serving_hides_the_window_and_serves_on_until_shut_down(
        qtbot: QtBot, window: MainWindow) -> None:
    import httpx
    from PySide6.QtWidgets import QApplication

    page = window.page("server")
    page.port.setValue(free_port())
    page.keep.setChecked(True)
    with qtbot.waitSignal(page.running_changed, timeout=30_000):
        page.start()
    url = page.url
    try:
        window.close()
        assert window.isHidden() and page.running
        assert httpx.get(f"{url}/health").json()["status"] == "ok"
    finally:
        QApplication.setQuitOnLastWindowClosed(True)
    window.shutdown()  # what quitting does (Ctrl-C or SIGTERM, see app.stop_on_signals)
    assert not page.running
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/health")


def test_an_app_started_second_attaches_to_the_running_host_and_chats_through_it(
        qtbot: QtBot, library_models: tuple[Any, ...], store: HistoryStore) -> None:
    from spark_desktop.host import discovery
    from spark_desktop.server import ApiServer, KeyRing, ServerConfig

    host = make_host(library_models)  # as `spark-desktop serve` holds it
    config = ServerConfig(port=0, keys=KeyRing(host_key=discovery.host_token()))
    with host, ApiServer(host, config, announce=True) as server:
        bridge = HostBridge()  # as the app's services make it
        with qtbot.waitSignal(bridge.ready, timeout=30_000):
            bridge.start()
        assert bridge.attached and bridge.url == server.url
        with qtbot.waitSignal(bridge.loaded, timeout=120_000):
            bridge.load(SMOL)
        assert [e.id for e in host.loaded()] == [SMOL]  # loaded once, in the serving host
        page = ChatPage(HistoryBridge(store), bridge)
        qtbot.addWidget(page)
        qtbot.waitUntil(lambda: page.model_id == SMOL)
        short_replies(page, 8)
        with qtbot.waitSignal(page.reply_finished, timeout=120_000) as finished:
            page.send("Say hi.")
        qtbot.waitUntil(lambda: not page.busy)
        reply = finished.args[0]
        assert reply.model == SMOL and reply.content.strip()
        assert reply.finish_reason in ("stop", "length")
        assert store.get_message(reply.id).content == reply.content
        assert [r.model_id for r in host.recent()] == [SMOL]  # answered by the serving host
        bridge.shutdown()
        assert host.loaded()  # the app leaving does not unload the serving host's models


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def human(n: int) -> str:
    from spark_desktop.ui.format import human_bytes

    return human_bytes(n)
