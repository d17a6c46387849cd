"""Documents on the chat page (offscreen, real history, real Gemma host): attached through
the page and by a drop, bad files refused with their sentence, the question answered with
citations whose markers and sources open the passage viewer on the right text, and a file
that vanished before the next question reported with the question kept."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from spark_desktop.history import HistoryStore
from spark_desktop.host import ModelHost
from spark_desktop.inference_settings import LoadSettings
from spark_desktop.ui.chat import ChatPage
from tests.fixtures.pdf import write_pdf
from tests.host_fixtures import GEMMA, gemma_host
from tests.test_documents import ANSWER, QUESTION, filler_lines
from tests.test_ui_chat_page import chat_page, make_page, wait_reply

LOAD = LoadSettings(n_ctx=1024, n_batch=512, n_ubatch=512, flash_attn="off", threads=1)


@pytest.fixture(scope="module")
def host(test_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelHost]:
    with gemma_host(test_model, tmp_path_factory.mktemp("host"), LOAD) as held:
        yield held


def chips(page: ChatPage) -> list[str]:
    return [chip.text() for chip in page.attachments.bar.chips]


def drop(page: ChatPage, *paths: Path) -> None:
    """Files dropped on the page, as a file manager drops them."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    at, action = QPointF(200, 200), Qt.DropAction.CopyAction
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(at.toPoint(), action, mime, buttons, keys)
    QApplication.sendEvent(page, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(page, QDropEvent(at, action, mime, buttons, keys))


def hit_point(page: ChatPage, row: int, action: str, payload: object) -> QPoint:
    """Where on the view's viewport the link `action` (payload) of a row is."""
    index = page.model.index(row, 0)
    page.view.scrollTo(index)
    lay = page.view.message_delegate.layout_for(index)
    (hit,) = [h for h in lay.hits if h.action == action and h.payload == payload]
    return page.view.visualRect(index).topLeft() + hit.rect.center().toPoint()


def anchor_point(page: ChatPage, row: int, anchor: str) -> QPoint | None:
    """Where in a reply's text the link to `anchor` is drawn (None if nowhere)."""
    index = page.model.index(row, 0)
    page.view.scrollTo(index)
    lay = page.view.message_delegate.layout_for(index)
    for pos, doc in lay.body:
        size = doc.size()
        for y in range(2, int(size.height()), 3):
            for x in range(1, int(size.width()), 2):
                if doc.documentLayout().anchorAt(QPointF(x, y)) == anchor:
                    return page.view.visualRect(index).topLeft() + (pos + QPointF(x, y)).toPoint()
    return None


def test_markers_and_sources_open_the_passage_in_its_file(qtbot: QtBot, store: HistoryStore,
                                                          tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    lines = filler_lines(40)
    lines[19] = ANSWER
    note.write_text("\n".join(lines) + "\n")
    passage = "\n".join(lines[17:22])
    citation = {"n": 1, "file": str(note), "location": "lines 18-22", "page": None,
                "first_line": 18, "last_line": 22, "unit": "line", "text": passage}
    conv = store.create_conversation("Vault", extra={"documents": [str(note)]})
    store.add_message(conv.id, "user", QUESTION, extra={"documents": [str(note)]})
    store.add_message(conv.id, "assistant", "The heron Pemberwick [1]. Not this one: [7].",
                      finish_reason="stop", extra={"mode": "retrieved", "citations": [citation]})
    page = chat_page(qtbot, store)
    page.resize(1000, 700)
    page.show()
    page.open_conversation(conv.id)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2)
    assert chips(page) == ["note.txt  ✕"]
    user_lay = page.view.message_delegate.layout_for(page.model.index(0, 0))
    assert [text for _, text, _ in user_lay.sources] == ["Attached: note.txt"]
    lay = page.view.message_delegate.layout_for(page.model.index(1, 0))
    assert [(text, link) for _, text, link in lay.sources] == [
        ("Sources (retrieved passages):", False), ("[1] note.txt, lines 18-22", True)]
    assert anchor_point(page, 1, "cite:7") is None  # no passage 7: plain text

    marker = anchor_point(page, 1, "cite:1")
    assert marker is not None
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton, pos=marker)
    view = page.passage_view
    assert view is not None and view.isVisible()
    qtbot.waitUntil(lambda: view.loaded)
    assert view.context is not None and view.context.state == "found"
    assert view.context.passage == passage
    assert view.context.before.split("\n") == lines[5:17]  # twelve lines either side
    assert view.context.after.split("\n") == lines[22:34]
    assert "note.txt" in view.name.text() and view.location.text() == "lines 18-22"
    assert ANSWER in view.text.toPlainText() and not view.note.isVisibleTo(view)
    assert view.open_button.isEnabled()

    # The file changed, then vanished: the stored passage, and a line saying so.
    note.write_text("Something else entirely.\n")
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=hit_point(page, 1, "citation", 1))
    changed = page.passage_view
    assert changed is not view and changed is not None
    qtbot.waitUntil(lambda: changed.loaded)
    assert changed.context is not None and changed.context.state == "changed"
    assert "changed since this reply" in changed.note.text()
    assert changed.text.toPlainText().strip() == passage
    note.unlink()
    page.open_citation(page.model.message(1).id, 1)
    gone = page.passage_view
    assert gone is not None
    qtbot.waitUntil(lambda: gone.loaded)
    assert "not there any more" in gone.note.text() and not gone.open_button.isEnabled()
    assert ANSWER in gone.text.toPlainText()


def test_files_that_cannot_be_read_are_refused_with_their_sentence(
        qtbot: QtBot, store: HistoryStore, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(ANSWER + "\n")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Cat")
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as sparse:  # 65 MiB on paper, nothing on disk
        sparse.truncate(65 << 20)
    scan = write_pdf(tmp_path / "scan.pdf", [[], []])
    image = tmp_path / "photo.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    page = chat_page(qtbot, store)
    page.composer.set_text("My unsent question")
    drop(page, note)
    qtbot.waitUntil(lambda: chips(page) == ["note.txt  ✕"])
    for bad, words in ((broken, "cannot be read"), (huge, "MiB limit"),
                       (tmp_path / "gone.txt", "not there any more"), (scan, "scanned"),
                       (image, "not a format"), (tmp_path, "not a format")):
        with qtbot.waitSignal(page.attachments.refused, timeout=10_000) as refused:
            drop(page, bad)
        assert refused.args[0] == str(bad) and words in refused.args[1]
        assert page.banner_text.text() == refused.args[1] and page.banner.isVisibleTo(page)
        assert chips(page) == ["note.txt  ✕"]  # nothing else changed
    assert page.composer.text() == "My unsent question"
    assert page.session.documents == (str(note),)


def test_the_attach_menu_picks_a_collection_for_the_chat(qtbot: QtBot, store: HistoryStore,
                                                         tmp_path: Path) -> None:
    store.collections.create("Library", str(tmp_path))
    conv = store.create_conversation("Reading", extra={"preset": "Careful"})
    page = chat_page(qtbot, store)
    page.open_conversation(conv.id)
    qtbot.waitUntil(lambda: page.conversation is not None
                    and page.attachments.collections == ["Library"])
    page.attachments.menu.aboutToShow.emit()
    actions = {a.text(): a for a in page.attachments.menu.actions()}
    assert actions["No collection"].isChecked() and not actions["Library"].isChecked()
    actions["Library"].trigger()
    qtbot.waitUntil(lambda: store.get_conversation(conv.id).extra == {
        "preset": "Careful", "collection": "Library"})
    assert chips(page) == ["Collection: Library  ✕"] and page.session.collection == "Library"
    page.attachments.bar.chips[0].click()
    qtbot.waitUntil(lambda: store.get_conversation(conv.id).extra == {"preset": "Careful"})
    assert chips(page) == [] and page.session.collection is None

    # "Attach files…" opens a file dialog (not modal for the event loop) whose choice attaches.
    note = tmp_path / "note.md"
    note.write_text("# Notes\n" + ANSWER + "\n")
    page.attachments.menu.aboutToShow.emit()
    next(a for a in page.attachments.menu.actions() if a.text() == "Attach files…").trigger()
    dialog = page.findChild(QFileDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.filesSelected.emit([str(note)])
    qtbot.waitUntil(lambda: store.get_conversation(conv.id).extra == {
        "preset": "Careful", "documents": [str(note)]})
    assert chips(page) == ["note.md  ✕"]
    dialog.reject()


@pytest.mark.slow
def test_attach_drop_refuse_and_ask_whole_then_retrieved(
        qtbot: QtBot, store: HistoryStore, host: ModelHost, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Shopping list\n" + ANSWER + "\n")
    card = write_pdf(tmp_path / "card.pdf", [["Opening hours: nine to six."]])
    page = make_page(qtbot, store, host, max_tokens=6)
    page.attachments.attach([str(note)])
    qtbot.waitUntil(lambda: chips(page) == ["note.txt  ✕"])
    drop(page, card)
    qtbot.waitUntil(lambda: len(chips(page)) == 2)
    assert page.session.documents == (str(note), str(card))

    page.send(QUESTION)
    reply = wait_reply(qtbot, page)
    assert reply.finish_reason in ("stop", "length")
    assert reply.extra["mode"] == "whole"
    assert page.attachments.bar.status.text() == "Whole documents in the prompt (2 passages)"
    assert store.get_conversation(reply.conversation_id).extra["documents"] == \
        [str(note), str(card)]
    assert store.get_message(reply.parent_id).extra == {"documents": [str(note), str(card)]}
    row = page.model.row_of(reply.id)
    qtbot.mouseClick(page.view.viewport(), Qt.MouseButton.LeftButton,
                     pos=hit_point(page, row, "citation", 1))
    view = page.passage_view
    assert view is not None
    qtbot.waitUntil(lambda: view.loaded)
    assert view.context is not None and view.context.passage == "Shopping list\n" + ANSWER
    view.close()

    # Removing a chip, then a document too big for the context: retrieved passages.
    page.attachments.bar.chips[0].click()
    qtbot.waitUntil(lambda: chips(page) == ["card.pdf  ✕"])
    minutes = tmp_path / "minutes.txt"
    minutes.write_text("\n".join(filler_lines(90)) + "\n")
    handbook = write_pdf(tmp_path / "handbook.pdf",
                         [filler_lines(6, seed=1), filler_lines(2, seed=2) + [ANSWER]])
    page.attachments.attach([str(minutes), str(handbook)])
    qtbot.waitUntil(lambda: len(chips(page)) == 3)
    qtbot.waitUntil(lambda: set(store.get_conversation(reply.conversation_id)
                                .extra["documents"]) == {str(card), str(minutes), str(handbook)})
    page.send(QUESTION)
    retrieved = wait_reply(qtbot, page)
    assert retrieved.extra["mode"] == "retrieved"
    count = len(retrieved.extra["citations"])
    assert page.attachments.bar.status.text() == \
        f"Retrieved {count} passages for this question"
    holders = [c for c in retrieved.extra["citations"] if ANSWER in c["text"]]
    assert [(c["file"], c["page"]) for c in holders] == [(str(handbook.resolve()), 2)]
    assert store.documents.get(str(minutes.resolve())) is not None

    # The handbook vanishes before the next question: the turn says so, the question stays.
    os.remove(handbook)
    page.send("Where is the northern gate?")
    failed = wait_reply(qtbot, page)
    assert failed.finish_reason == "error"
    assert "not there any more" in page.banner_text.text() and str(handbook) in \
        page.banner_text.text()
    question = store.get_message(failed.parent_id)
    assert question.content == "Where is the northern gate?"
    assert page.model.message(page.model.row_of(question.id)).content == question.content
    assert page.attachments.bar.status.text() == ""
    assert page.model_id == GEMMA
