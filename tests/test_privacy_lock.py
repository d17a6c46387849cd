"""The app lock while a reply streams, with the real test model in a real model host and
real Qt widgets (offscreen): the reply stops as Stop would stop it, its text is saved, no
conversation text stays in any widget or item model while locked, and unlocking shows the
conversation with the partial reply."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from spark_desktop.history import HistoryStore
from spark_desktop.history import keys as history_keys
from spark_desktop.history.keys import KeySource
from spark_desktop.host import ModelHost
from tests.host_fixtures import GEMMA, gemma_host, small_load
from tests.test_privacy import _chat_open, _texts_anywhere

pytestmark = pytest.mark.slow
PASSPHRASE = "lock me mid-stream"
MARKER = "quokka5521"


@pytest.fixture(scope="module")
def host(test_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelHost]:
    """A model host holding the real test model (one thread: the machine is shared)."""
    with gemma_host(test_model, tmp_path_factory.mktemp("host"), small_load()) as held:
        yield held


def test_locking_mid_reply_stops_and_saves_it_and_unlocking_shows_it(
        qtbot: QtBot, host: ModelHost, test_model: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from spark_desktop import paths
    from spark_desktop.ui.host_bridge import HostBridge
    from spark_desktop.ui.main_window import MainWindow
    from spark_desktop.ui.services import Services

    # The window's library holds the model too, so it opens on Chat (not the first-run
    # page, which would ask the Hub for its suggestions).
    (paths.models_dir() / test_model.name).symlink_to(test_model)
    monkeypatch.setattr(history_keys, "_session", {})
    HistoryStore.open(keys=KeySource(passphrase=PASSPHRASE)).close()
    history_keys.remember_passphrase(PASSPHRASE)
    window = MainWindow(Services(host=HostBridge(host=host)))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: _chat_open(window), timeout=30000)
    window.show_page("chat")
    chat = window.chat
    qtbot.waitUntil(lambda: chat.model_id == GEMMA, timeout=15000)
    chat.panel.temperature.setValue(0.0)
    chat.panel.max_tokens.setValue(400)
    chat.send(f"{MARKER}: count from one to two hundred, one number per line.")
    qtbot.waitUntil(lambda: chat.model.rowCount() == 2
                    and len(chat.model.message(1).content) >= 12, timeout=120000)
    shown_before = chat.model.message(1).content
    reply_id = chat.model.message(1).id
    qtbot.waitUntil(lambda: window.lock.available, timeout=15000)

    with qtbot.waitSignal(window.chat_released, timeout=30000):
        assert chat.busy
        assert window.lock.lock()
        assert window.lock.locked and window.chat is None  # the lock screen shows at once
    texts = _texts_anywhere(window)
    assert not any(MARKER in text for text in texts)
    assert not any(shown_before in text for text in texts)

    with HistoryStore.open(keys=KeySource(passphrase=PASSPHRASE, use_keyring=False)) as store:
        saved = store.get_message(reply_id)  # a second connection, as the CLI would read it
    assert saved.finish_reason == "cancelled"
    assert saved.content.startswith(shown_before)
    assert saved.completion_tokens is not None and saved.completion_tokens < 400
    assert not any(saved.content in text for text in _texts_anywhere(window))

    screen = window.lock.screen
    screen.field.setText(PASSPHRASE)
    screen.button.click()
    qtbot.waitUntil(lambda: not window.lock.locked, timeout=15000)
    qtbot.waitUntil(lambda: _chat_open(window) and window.chat.model.rowCount() == 2,
                    timeout=30000)
    shown = window.chat.model.message(1)
    assert shown.id == reply_id and shown.finish_reason == "cancelled"
    assert shown.content == saved.content
    assert MARKER in window.chat.model.message(0).content
    assert not window.chat.busy
    window.close()
