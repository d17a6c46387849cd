"""End to end through the real window: fake Hub search → variants with fit badges →
download (progress shown) → My Models → load the real test model → chat, streamed and
saved → a new window shows the conversation; Stop mid-stream; a killed worker shows the
reload path; delete a model. Real huggingface_hub, real downloads, real llama.cpp worker,
real SQLite, Qt offscreen."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton

from spark_desktop import settings
from spark_desktop.inference_settings import LoadSettings
from spark_desktop.ui.format import human_bytes
from spark_desktop.ui.models.downloads import ACTIONS_COLUMN
from spark_desktop.ui.models.variants import DOWNLOAD_COLUMN, FIT_COLUMN
from tests.fakehub import FakeHub, fake_hub  # noqa: F401  (fixture)
from tests.fixtures.windows import open_window

pytestmark = pytest.mark.slow

REPO = "test-org/gemma-3-270m-it-GGUF"
FILE = "gemma-3-270m-it-Q4_K_M.gguf"
CARD = (b"# Gemma 3 270M\n\nA *tiny* model.\n\n![banner](%s/banner.png)\n\n"
        b"<script>document.title='pwned'</script>\n")
DISPLAY = Qt.ItemDataRole.DisplayRole


def _start_long_reply(qtbot, chat, text: str) -> None:
    """Send `text` and return once the reply has started streaming."""
    qtbot.waitUntil(lambda: not chat.busy, timeout=15000)
    rows = chat.model.rowCount()
    chat.send(text)
    qtbot.waitUntil(lambda: chat.model.rowCount() == rows + 2
                    and chat.model.message(rows + 1).content != "", timeout=120000)


def _cell(model, row: int, column: int) -> str:
    return model.data(model.index(row, column), DISPLAY)


def test_search_download_load_chat_reload_delete(qtbot, fake_hub: FakeHub,  # noqa: F811
                                                 test_model: Path) -> None:
    fake_hub.add_repo(REPO, {FILE: test_model, "README.md": CARD % fake_hub.url.encode()},
                      downloads=1234, likes=56, tags=("gguf", "gemma3"),
                      gguf={"total": 268_098_176, "architecture": "gemma3",
                            "context_length": 32768})
    fake_hub.rate = 40e6  # bytes/s, so the download is seen in progress and can be paused
    settings.save(settings.Settings(load=LoadSettings(n_ctx=2048)))
    window = open_window(qtbot)

    # First run: no models yet.
    qtbot.waitUntil(lambda: window.current_page() == "welcome", timeout=15000)

    # Discover: search, results, the repository page with a safe card and fit badges.
    window.show_page("discover")
    discover = window.page("discover")
    qtbot.keyClicks(discover.query, "gemma")
    qtbot.waitUntil(lambda: discover.results.rowCount() == 1, timeout=15000)
    assert _cell(discover.results, 0, 0) == REPO
    assert _cell(discover.results, 0, 1) == "1.2k"
    discover.open_repo(REPO)
    repo_view = discover.repo_view
    qtbot.waitUntil(lambda: repo_view.variants.rowCount() == 1, timeout=15000)
    qtbot.waitUntil(lambda: "Gemma 3 270M" in repo_view.card.toPlainText(), timeout=15000)
    qtbot.waitUntil(lambda: _cell(repo_view.variants, 0, FIT_COLUMN) != "checking…",
                    timeout=30000)
    assert _cell(repo_view.variants, 0, 0) == "Q4_K_M"
    assert _cell(repo_view.variants, 0, FIT_COLUMN).startswith("fits — Needs ")
    assert _cell(repo_view.variants, 0, 3).endswith("tok/s")
    assert "[image: " in repo_view.card.toPlainText()  # shown as words, never fetched
    assert not any("banner.png" in call for call in fake_hub.api_calls)
    assert "pwned" not in window.windowTitle()

    # Download: progress is shown, then the model appears in My Models.
    downloads = window.page("downloads")
    seen: list[int] = []
    downloads.model.dataChanged.connect(
        lambda a, b: seen.append(downloads.model.data(a.siblingAtColumn(1), Qt.UserRole + 10)))
    button = repo_view.table.indexWidget(repo_view.variants.index(0, DOWNLOAD_COLUMN))
    assert isinstance(button, QPushButton)
    button.click()
    assert window.current_page() == "downloads"
    qtbot.waitUntil(lambda: downloads.model.rowCount() == 1, timeout=15000)
    job = downloads.model.value(0).id
    actions = downloads.table.indexWidget(downloads.model.index(0, ACTIONS_COLUMN))
    qtbot.waitUntil(lambda: any(0 < p < 1000 for p in seen), timeout=30000)
    actions.pause.click()  # pause mid-way, then resume from the partial file
    qtbot.waitUntil(lambda: _cell(downloads.model, 0, 4) == "Paused", timeout=30000)
    assert actions.resume.isVisibleTo(actions) and not actions.pause.isVisibleTo(actions)
    paused_at = downloads.model.value(0).bytes
    assert 0 < paused_at < downloads.model.value(0).total
    actions.resume.click()
    qtbot.waitUntil(lambda: "Done" in _cell(downloads.model, 0, 4), timeout=120000)
    assert downloads.model.value(0).id == job
    assert _cell(downloads.model, 0, 4) == "Done, checksum verified"
    assert any(0 < p < 1000 for p in seen), seen
    models_page = window.page("models")
    qtbot.waitUntil(lambda: models_page.model.rowCount() == 1, timeout=30000)

    # My Models: the load dialog's memory bar, then a real load.
    window.show_page("models")
    models_page.table.selectRow(0)
    models_page.request_load()
    qtbot.waitUntil(lambda: models_page.load_dialog is not None
                    and models_page.load_dialog.isVisible(), timeout=15000)
    dialog = models_page.load_dialog
    assert dialog.bar.used > 0 and dialog.bar.pool > dialog.bar.used
    dialog.accept()
    qtbot.waitUntil(lambda: window.state_label.text() == "loaded", timeout=120000)
    assert window.model_label.text() == "1 model(s) loaded"
    assert "gemma" in window.memory_label.text().lower()
    assert window.memory_label.text().endswith(
        f" of {human_bytes(window.services.host.pool)} in use")  # this machine's pool

    # Chat: Enter sends; the reply streams in and is saved.
    window.show_page("chat")
    chat = window.chat
    qtbot.waitUntil(lambda: chat.history.runner.store is not None, timeout=15000)
    flushes: list[int] = []
    chat.model.flushed.connect(flushes.append)
    finished: list = []
    chat.reply_finished.connect(finished.append)
    chat.settings_button.click()  # the conversation's sampling panel: keep replies short
    chat.panel.max_tokens.setValue(12)
    qtbot.keyClicks(chat.composer.edit, "Say hello in one short sentence.")
    qtbot.keyClick(chat.composer.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(finished) == 1, timeout=120000)
    reply = finished[0]
    assert reply.role == "assistant" and reply.content.strip(), chat.banner_text.text()
    assert reply.finish_reason in ("stop", "length")
    assert flushes, "the reply was not streamed into the view"
    shown = chat.model.message(chat.model.rowCount() - 1)
    assert shown.content == reply.content
    conversation_id = reply.conversation_id
    saved = chat.history.runner.call(  # the history's own thread, as the page's calls
        lambda store: store.messages_page(conversation_id, limit=10).messages)
    assert [m.role for m in saved] == ["user", "assistant"]
    assert saved[1].content == reply.content

    # Stop mid-stream (Esc): the partial reply is kept, marked cancelled.
    chat.panel.max_tokens.setValue(400)
    _start_long_reply(qtbot, chat, "Count from 1 to 400, one number per line.")
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(chat.composer.edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: len(finished) == 2, timeout=60000)
    assert finished[1].finish_reason == "cancelled" and finished[1].content.strip()

    # A worker killed mid-reply: the chat keeps the text and offers Reload; the status
    # bar says "not loaded"; Reload brings the model back.
    held = window.services.host.host._models  # the app's own host: kill its worker
    _start_long_reply(qtbot, chat, "Count from 400 down to 1, one number per line.")
    os.kill(next(iter(held.values())).client.worker_pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: len(finished) == 3, timeout=60000)
    assert finished[2].finish_reason == "error" and finished[2].content.strip()
    qtbot.waitUntil(lambda: window.state_label.text() == "not loaded", timeout=15000)
    assert chat.banner.isVisibleTo(chat) and chat.reload_button.isVisibleTo(chat)
    chat.reload_button.click()
    qtbot.waitUntil(lambda: window.state_label.text() == "loaded", timeout=120000)
    assert not chat.banner.isVisibleTo(chat)

    # Close; a new window shows the conversation.
    window.close()
    second = open_window(qtbot)
    assert second.current_page() == "chat"
    entries = second.chat.conversations.model
    qtbot.waitUntil(lambda: len(entries.entries()) == 1, timeout=15000)
    assert entries.entries()[0].conversation_id == conversation_id
    second.chat.open_conversation(conversation_id)
    qtbot.waitUntil(lambda: second.chat.model.rowCount() == 6, timeout=15000)
    texts = [second.chat.model.message(r).content for r in range(6)]
    assert texts[0] == "Say hello in one short sentence." and texts[1] == reply.content
    assert [second.chat.model.message(r).finish_reason for r in (1, 3, 5)] == \
        [reply.finish_reason, "cancelled", "error"]

    # Delete the model, with confirmation.
    second.show_page("models")
    page = second.page("models")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=30000)
    page.table.selectRow(0)
    page.request_delete()
    assert isinstance(page.confirm, QMessageBox) and page.confirm.isVisible()
    delete = next(b for b in page.confirm.buttons()
                  if page.confirm.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)
    delete.click()
    qtbot.waitUntil(lambda: page.model.rowCount() == 0, timeout=30000)
    assert "Deleted" in page.state.text()
    second.close()
