"""Settings → Privacy and 'Delete all my data', with real files, a real keyring backend and
real Qt widgets (offscreen)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keyring
import pytest

from spark_desktop import paths
from spark_desktop.history import HistoryStore
from spark_desktop.history import keys as history_keys
from spark_desktop.history.keys import KeySource
from spark_desktop.privacy import delete_all_data


def _history(keys: KeySource | None | str = "app") -> None:
    with HistoryStore.open(keys=keys) as store:  # type: ignore[arg-type]
        store.add_message(store.create_conversation().id, "user", "private words")


def _gguf_repo(cache: Path, name: str) -> Path:
    repo = cache / f"models--org--{name}"
    snapshot = repo / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    (snapshot / "model.gguf").write_bytes(b"GGUF")
    return repo


@pytest.mark.parametrize("include_models", [False, True])
def test_delete_all_my_data_removes_history_key_logs_and_settings(include_models: bool) -> None:
    _history()
    (record,) = history_keys.read_records(paths.database_path())
    assert keyring.get_password(history_keys.KEYRING_SERVICE, record.keyring_user)
    (paths.log_dir() / "engine.log").write_text("log")
    paths.settings_path().write_text("{}")
    imported = paths.imports_dir()
    imported.mkdir()
    (imported / "mine.gguf").write_bytes(b"GGUF")
    ours = _gguf_repo(paths.models_dir(), "ours")
    other = paths.models_dir() / "models--org--not-gguf"
    other.mkdir()
    (other / "weights.safetensors").write_bytes(b"x")

    removed = delete_all_data(include_models=include_models)

    assert paths.database_path() in removed
    left = sorted(p.name for p in paths.data_dir().iterdir())
    assert left == ([] if include_models else ["imports"])
    assert keyring.get_password(history_keys.KEYRING_SERVICE, record.keyring_user) is None
    assert ours.exists() is not include_models
    assert other.exists()  # another tool's model in a shared cache is not ours to delete


def test_privacy_box_says_whether_the_history_is_encrypted(qtbot) -> None:
    from spark_desktop.ui.pages.privacy import PrivacyBox

    box = PrivacyBox()
    qtbot.addWidget(box)
    qtbot.waitUntil(lambda: "Checking" not in box.status.text())
    assert "will be encrypted" in box.status.text()
    _history(keys=None)
    box.refresh()
    qtbot.waitUntil(lambda: "NOT encrypted" in box.status.text())
    assert "spark-desktop history encrypt" in box.status.text()


def test_settings_page_shows_the_privacy_box(qtbot) -> None:
    from spark_desktop.ui.pages.settings import SettingsPage
    from spark_desktop.ui.services import Services

    services = Services()
    page = SettingsPage(services)
    qtbot.addWidget(page)
    _history()
    page.privacy.refresh()
    qtbot.waitUntil(lambda: "system keyring" in page.privacy.status.text())
    from PySide6.QtWidgets import QLabel

    texts = [label.text() for label in page.privacy.findChildren(QLabel)]
    assert any("no telemetry" in text and "Offline mode" in text for text in texts)


def test_passphrase_prompt_at_start_accepts_only_the_right_passphrase(
        qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    from spark_desktop.ui.pages.privacy import PassphraseDialog

    monkeypatch.setattr(history_keys, "_session", {})
    _history(keys=KeySource(passphrase="open sesame"))
    database = paths.database_path()
    assert history_keys.needs_passphrase(database)
    dialog = PassphraseDialog(database)
    qtbot.addWidget(dialog)
    dialog.field.setText("close sesame")
    dialog.check()
    qtbot.waitUntil(lambda: "does not unlock" in dialog.problem.text(), timeout=15000)
    assert not dialog.result()
    dialog.field.setText("open sesame")
    dialog.check()
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted, timeout=15000)
    assert dialog.field.text() == ""
    assert not history_keys.needs_passphrase(database)
    with HistoryStore.open() as store:  # the app's key source now has the passphrase
        assert store.search("private")


def _answer_dialogs(qtbot, fill, until=None) -> None:
    """Answer the next modal dialogs as a person would: `fill(dialog)` for our dialogs,
    OK for the closing message box; stop after it, or once `until()` holds."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    def step() -> None:
        if until is not None and until():
            return
        modal = QApplication.activeModalWidget()
        if isinstance(modal, QMessageBox):
            modal.accept()  # the closing message: done
            return
        if modal is not None and hasattr(modal, "check") and modal.isVisible():
            fill(modal)
        QTimer.singleShot(50, step)

    QTimer.singleShot(50, step)


def _plain_history(conversations: int, messages: int) -> set[str]:
    """A plaintext history (as an older version wrote it); its message ids."""
    ids = set()
    with HistoryStore.open(keys=None) as store:
        for c in range(conversations):
            conv = store.create_conversation(f"chat {c} about walruses")
            ids.update(store.add_message(conv.id, "user", f"note {c}.{i} otters").id
                       for i in range(messages))
    return ids


def _every_message(store: HistoryStore) -> set[str]:
    return {m.id for conv in store.iter_conversations() for m in store.all_messages(conv.id)}


def test_encrypting_from_settings_runs_now_with_progress_while_the_gui_runs(qtbot) -> None:
    import time

    from PySide6.QtCore import QTimer

    from spark_desktop.history.encryption import encryption_status
    from spark_desktop.ui.bridges import HistoryBridge
    from spark_desktop.ui.pages.privacy import PrivacyBox

    ids = _plain_history(6, 60)
    history = HistoryBridge()  # the app's history thread, holding the store open
    assert history.runner.call(lambda store: len(store.search("walruses"))) == 6
    box = PrivacyBox(history)
    qtbot.addWidget(box)
    qtbot.waitUntil(lambda: box.encrypt_button.isVisibleTo(box))
    events: list[tuple[str, float, int]] = []
    box.progressed.connect(lambda percent: events.append(("progress", time.monotonic(),
                                                          percent)))
    ticker = QTimer(interval=5)
    ticker.timeout.connect(lambda: events.append(("tick", time.monotonic(), 0)))
    ticker.start()
    found: list[object] = []  # a history call made meanwhile waits, then reads the new file

    def ask_meanwhile(_percent: int) -> None:
        box.progressed.disconnect(ask_meanwhile)
        history.run(lambda store: len(_every_message(store)), found.append, found.append)

    box.progressed.connect(ask_meanwhile)

    _answer_dialogs(qtbot, lambda _dialog: None)
    box.encrypt_button.click()
    ticker.stop()

    percents = [value for kind, _, value in events if kind == "progress"]
    assert percents == sorted(percents) and percents[-1] == 100 and len(set(percents)) >= 5
    first = next(t for kind, t, v in events if kind == "progress")
    last = next(t for kind, t, v in events if kind == "progress" and v == 100)
    assert any(kind == "tick" and first < t < last for kind, t, _ in events)
    state = encryption_status(paths.database_path())
    assert state.encrypted and state.kind == "keyring"
    assert not paths.database_path().read_bytes().startswith(b"SQLite format 3")
    qtbot.waitUntil(lambda: bool(found))
    assert found == [len(ids)]
    assert history.runner.call(_every_message) == ids
    history.shutdown()
    with HistoryStore.open() as store:
        assert _every_message(store) == ids
        assert len(store.search("otters", limit=500)) > 0
    qtbot.waitUntil(lambda: "system keyring" in box.status.text())
    assert not box.encrypt_button.isVisibleTo(box)


def test_encryption_asked_while_another_process_holds_the_history_waits_for_the_next_start(
        qtbot) -> None:
    from spark_desktop.history.encryption import encryption_status
    from spark_desktop.ui.pages.privacy import PrivacyBox, prepare_history, start_needs

    ids = _plain_history(2, 5)
    box = PrivacyBox()
    qtbot.addWidget(box)
    qtbot.waitUntil(lambda: box.encrypt_button.isVisibleTo(box))
    with HistoryStore.open(keys=None):  # like a CLI chat in another process
        _answer_dialogs(qtbot, lambda _dialog: None)
        box.encrypt_button.click()
    assert "next start" in box.request_note.text()
    assert not encryption_status(paths.database_path()).encrypted

    _answer_dialogs(qtbot, lambda _dialog: None)
    assert prepare_history(start_needs())
    assert encryption_status(paths.database_path()).kind == "keyring"
    with HistoryStore.open() as store:
        assert _every_message(store) == ids
    assert prepare_history(start_needs())  # done once: nothing asked the second time


def test_passphrase_chosen_at_start_replaces_the_keyring_key(
        qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    from spark_desktop.history.encryption import encryption_status, request_at_start
    from spark_desktop.ui.pages.privacy import prepare_history, start_needs

    monkeypatch.setattr(history_keys, "_session", {})
    _history()
    request_at_start(paths.database_path(), "passphrase")

    def fill(dialog) -> None:
        dialog.first.setText("a good passphrase")
        dialog.second.setText("a good passphrase")
        dialog.check()

    _answer_dialogs(qtbot, fill)
    assert prepare_history(start_needs())
    assert encryption_status(paths.database_path()).kind == "passphrase"
    with HistoryStore.open(keys=KeySource(passphrase="a good passphrase",
                                          use_keyring=False)) as store:
        assert store.search("private")


def test_without_a_keyring_a_new_history_gets_the_passphrase_chosen_in_settings(
        qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    from spark_desktop.history.encryption import encryption_status
    from spark_desktop.history.errors import NoKeyStoreError
    from spark_desktop.ui.pages.privacy import PrivacyBox, prepare_history, start_needs

    monkeypatch.setattr(history_keys, "_session", {})
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    with pytest.raises(NoKeyStoreError, match="Settings → Privacy"):
        _history()
    box = PrivacyBox()
    qtbot.addWidget(box)
    qtbot.waitUntil(lambda: box.passphrase_button.isVisibleTo(box))

    def fill(dialog) -> None:
        dialog.first.setText("no keyring here")
        dialog.second.setText("no keyring here")
        dialog.check()

    _answer_dialogs(qtbot, fill)
    box.passphrase_button.click()
    assert prepare_history(start_needs())  # nothing is left for the next start
    _history()  # the Chat page opening the history now
    assert encryption_status(paths.database_path()).kind == "passphrase"


def _texts_anywhere(window) -> list[str]:
    """Every text a widget or item model of the application holds right now."""
    from PySide6.QtCore import QAbstractItemModel, QEvent
    from PySide6.QtWidgets import QApplication

    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    texts = []
    for widget in QApplication.allWidgets():
        for getter in ("text", "toPlainText", "windowTitle", "placeholderText"):
            value = getattr(widget, getter, None)
            if callable(value):
                try:
                    texts.append(str(value()))
                except TypeError:
                    pass
    for model in window.findChildren(QAbstractItemModel):
        for row in range(model.rowCount()):
            texts.append(str(model.data(model.index(row, 0))))
    return texts


def test_app_lock_drops_every_conversation_text_until_the_passphrase_is_given(
        qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QApplication

    from spark_desktop.ui.app import create_window

    monkeypatch.setattr(history_keys, "_session", {})
    marker = "flamingo7342"
    with HistoryStore.open(keys=KeySource(passphrase="lock me up")) as store:
        conv = store.create_conversation()
        store.add_message(conv.id, "user", f"about {marker} please")
    history_keys.remember_passphrase("lock me up")
    window = create_window(QApplication.instance())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: _chat_open(window),
                    timeout=30000)
    window.show_page("chat")
    qtbot.waitUntil(lambda: len(window.chat.conversations.model.entries()) == 1,
                    timeout=15000)
    assert any(marker in text for text in _texts_anywhere(window))

    qtbot.waitUntil(lambda: window.lock.available, timeout=15000)
    assert window.lock.lock()
    assert window.chat is None and window.lock.locked
    assert not any(marker in text for text in _texts_anywhere(window))

    screen = window.lock.screen
    screen.field.setText("wrong words")
    screen.button.click()
    qtbot.waitUntil(lambda: "does not unlock" in screen.problem.text(), timeout=15000)
    assert window.lock.locked and window.chat is None
    screen.field.setText("lock me up")
    screen.button.click()
    qtbot.waitUntil(lambda: not window.lock.locked, timeout=15000)
    qtbot.waitUntil(lambda: _chat_open(window),
                    timeout=30000)
    qtbot.waitUntil(lambda: len(window.chat.conversations.model.entries()) == 1,
                    timeout=15000)

    window.lock.timer.setInterval(300)  # idle: locks by itself
    window.lock.timer.start()
    qtbot.waitUntil(lambda: window.lock.locked, timeout=15000)
    assert window.chat is None
    window.close()


def test_without_a_passphrase_the_window_does_not_lock(qtbot) -> None:
    from PySide6.QtWidgets import QApplication

    from spark_desktop.ui.app import create_window

    _history()  # keyring key: nothing to unlock with
    window = create_window(QApplication.instance())
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.chat is not None, timeout=30000)
    assert not window.lock.lock()
    assert window.chat is not None
    window.close()


def test_the_window_asks_for_the_passphrase_before_the_chat_opens_the_history(
        qtbot, monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QApplication

    from spark_desktop.ui.app import create_window

    monkeypatch.setattr(history_keys, "_session", {})
    with HistoryStore.open(keys=KeySource(passphrase="at the door")) as store:
        store.create_conversation("behind the door")
    answers = iter(["not it", "at the door"])

    def fill(dialog) -> None:
        if dialog.isEnabled() and dialog.problem.text() != "Checking…":
            dialog.field.setText(next(answers))
            dialog.check()

    window = create_window(QApplication.instance())
    _answer_dialogs(qtbot, fill, until=lambda: window.chat is not None)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)  # shown at once; the question comes over it
    qtbot.waitUntil(lambda: _chat_open(window),
                    timeout=60000)
    qtbot.waitUntil(lambda: len(window.chat.conversations.model.entries()) == 1,
                    timeout=15000)
    assert next(answers, None) is None  # the wrong one was refused, the right one taken
    window.close()


def _chat_open(window: Any) -> bool:
    """The chat page is built and the history runner has opened the store."""
    return window.chat is not None and window.services.history.runner.store is not None


def test_delete_all_command_asks_for_the_word_and_lists_what_it_deleted(
        capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from spark_desktop.cli import main

    _history()
    logs = paths.log_dir()
    (logs / "engine.log").write_text("log")
    ours = _gguf_repo(paths.models_dir(), "ours")
    monkeypatch.setattr("sys.stdin", io.StringIO("no thanks\n"))
    assert main(["delete-all"]) == 1
    out, err = capsys.readouterr()
    assert "Type 'delete'" in out and "Nothing was deleted" in err
    assert paths.database_path().exists() and logs.exists()

    monkeypatch.setattr("sys.stdin", io.StringIO("delete\n"))
    assert main(["delete-all"]) == 0
    out = capsys.readouterr().out
    assert f"deleted {paths.database_path()}" in out and f"deleted {logs}" in out
    assert not paths.database_path().exists() and not logs.exists()
    assert ours.exists()  # models are kept unless asked


def test_delete_all_command_with_models_and_yes_asks_nothing(
        capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from spark_desktop.cli import main

    _history()
    ours = _gguf_repo(paths.models_dir(), "ours")
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # nothing typed: never read
    assert main(["delete-all", "--models", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "Type" not in out and f"deleted {ours}" in out
    assert not ours.exists() and not paths.database_path().exists()
    assert main(["delete-all", "--yes"]) == 0
    assert "nothing to delete" in capsys.readouterr().out


def test_delete_all_command_refuses_while_a_host_runs(capsys) -> None:
    from spark_desktop.cli import main
    from spark_desktop.host import discovery

    _history()
    before = paths.database_path().read_bytes()
    discovery.announce("127.0.0.1", 8484)
    try:
        assert main(["delete-all", "--yes", "--models"]) == 2
    finally:
        discovery.withdraw()
    err = capsys.readouterr().err
    assert "server is running" in err and "Nothing was deleted" in err
    assert paths.database_path().read_bytes() == before
    assert main(["delete-all", "--yes"]) == 0  # once it stopped
    assert not paths.database_path().exists()
