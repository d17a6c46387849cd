"""The chat's Qt item model, delegate and Markdown rendering, on a real history database."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor, QFont, QTextDocument
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from spark_desktop.history import HistoryStore
from spark_desktop.ui.chat import markdown
from spark_desktop.ui.chat.composer import Composer
from spark_desktop.ui.chat.message_model import (
    ExpandedRole,
    IdRole,
    MessageListModel,
    MessageRole,
    RevisionRole,
    SiblingsRole,
)
from spark_desktop.ui.chat.message_view import MessageView
from tests.fixtures.conversations import long_conversation


@pytest.fixture
def long_chat(store: HistoryStore) -> str:
    return long_conversation(store, 5000)


def test_a_5000_message_conversation_loads_page_by_page(qtbot: QtBot, store: HistoryStore,
                                                          long_chat: str) -> None:
    model = MessageListModel()
    model.set_page(store.messages_page(long_chat, limit=60))
    assert model.rowCount() == 60 and model.has_older()
    last = model.index(59, 0)
    assert last.data(IdRole) == f"{4999:012d}" + "m" * 20
    assert last.data(MessageRole).role == "assistant"
    assert "item 4999" in last.data(Qt.ItemDataRole.DisplayRole)
    assert last.data(SiblingsRole) == (1, 1) and last.data(ExpandedRole) is False
    assert not model.canFetchMore(QModelIndex())  # Qt fetches when the last row shows:
    model.fetchMore(QModelIndex())                # in a chat only the view's top arms it
    model.arm_fetch()
    assert model.canFetchMore(QModelIndex())
    with qtbot.waitSignal(model.older_requested):
        model.fetchMore(QModelIndex())
    assert not model.canFetchMore(QModelIndex())  # one page at a time
    pages = 1
    while model.has_older():
        with qtbot.waitSignal(model.rowsInserted) as inserted:
            added = model.prepend_page(store.messages_page(long_chat,
                                                           before_id=model.oldest().id,
                                                           limit=500))
        assert inserted.args[1] == 0 and inserted.args[2] == added - 1
        pages += 1
    assert model.rowCount() == 5000 and pages == 1 + 10
    model.arm_fetch()
    assert not model.canFetchMore(QModelIndex())  # nothing older left
    assert [model.message(r).depth for r in range(5000)] == list(range(5000))
    # a page of another conversation (a late answer after switching) is ignored
    other = dataclasses.replace(store.messages_page(long_chat, limit=5),
                                conversation_id="elsewhere")
    assert model.prepend_page(other) == 0


def test_streamed_deltas_are_coalesced_into_one_update(qtbot: QtBot, store: HistoryStore,
                                                         long_chat: str) -> None:
    model = MessageListModel()
    model.set_page(store.messages_page(long_chat, limit=20))
    writer = store.begin_stream(long_chat, model="m")
    model.append(writer.message)
    row = model.rowCount() - 1
    assert model.index(row, 0).data(MessageRole).streaming
    changes: list[int] = []
    model.dataChanged.connect(lambda top, _bottom, _roles: changes.append(top.row()))
    for i in range(200):
        model.stream(writer.message_id, text=f"t{i} ")
    model.stream(writer.message_id, reasoning="thinking")
    assert changes == []  # nothing repaints per token
    with qtbot.waitSignal(model.flushed, timeout=2000):
        pass
    assert changes == [row]
    msg = model.index(row, 0).data(MessageRole)
    assert msg.content == "".join(f"t{i} " for i in range(200)) and msg.reasoning == "thinking"
    revision = model.index(row, 0).data(RevisionRole)
    saved = writer.finish("stop", completion_tokens=200)
    model.replace(saved)
    assert model.index(row, 0).data(RevisionRole) == revision + 1
    assert model.message(row).finish_reason == "stop" and not model.message(row).streaming
    assert model.rowCount() == 21


def test_truncate_and_siblings(store: HistoryStore, long_chat: str) -> None:
    model = MessageListModel()
    model.set_page(store.messages_page(long_chat, limit=10))
    keep = model.message(5)
    model.truncate_after(keep.id)
    assert model.rowCount() == 6 and model.message(5).id == keep.id
    model.set_siblings(keep.id, 2, 3)
    assert model.index(5, 0).data(SiblingsRole) == (2, 3)
    model.toggle_reasoning(5)
    assert model.index(5, 0).data(ExpandedRole) is True
    model.truncate_after(None)
    assert model.rowCount() == 0


def test_the_view_asks_for_older_pages_only_near_the_top(qtbot: QtBot, store: HistoryStore,
                                                          long_chat: str) -> None:
    model = MessageListModel()
    model.set_page(store.messages_page(long_chat, limit=60))
    view = MessageView(model)
    qtbot.addWidget(view)
    view.resize(700, 600)
    view.show()
    qtbot.waitUntil(lambda: view.verticalScrollBar().value() > 0)
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())  # opens at the newest message
    wanted: list[bool] = []
    model.older_requested.connect(lambda: wanted.append(True))
    bar.setValue(bar.maximum() // 2)
    assert wanted == []
    bar.setValue(0)
    assert wanted == [True]
    top_before = model.message(0).id
    model.prepend_page(store.messages_page(long_chat, before_id=top_before, limit=60))
    qtbot.waitUntil(lambda: bar.value() > 0)  # the row that was on top stays in view
    assert model.rowCount() == 120
    bar.setValue(0)
    assert wanted == [True, True]  # the next page is asked for once the last one arrived


def test_clicking_copy_under_a_message_copies_it(qtbot: QtBot, store: HistoryStore,
                                                  long_chat: str) -> None:
    model = MessageListModel()
    model.set_page(store.messages_page(long_chat, limit=4))
    view = MessageView(model)
    qtbot.addWidget(view)
    view.resize(700, 900)
    view.show()
    qtbot.waitExposed(view)
    index = model.index(3, 0)
    view.scrollTo(index)
    layout = view.message_delegate.layout_for(index)
    copy = next(h for h in layout.hits if h.action == "copy")
    code = next(h for h in layout.hits if h.action == "copy_code")
    actions: list[tuple[str, str, object]] = []
    view.message_delegate.action.connect(lambda *a: actions.append(a))
    top = view.visualRect(index).topLeft()
    for hit in (copy, code):
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                         pos=top + hit.rect.center().toPoint())
    assert actions == [("copy", index.data(IdRole), None),
                       ("copy_code", index.data(IdRole), "print(4999)")]


def test_markdown_is_rendered_safely(qapp: QApplication) -> None:
    text = ("# Title\n<script>alert(1)</script> <b>bold?</b>\n\n"
            "![tracker](http://evil.example/t.png) ![local](/etc/hostname)\n\n"
            "```python\ndef f():\n    return 1\n```\n\nafter")
    doc = markdown.render(text, 500, QFont(), QColor("lightgray"))
    plain = doc.toPlainText()
    assert "<script>alert(1)</script>" in plain and "<b>bold?</b>" in plain
    assert "[image: http://evil.example/t.png]" in plain and "[image: /etc/hostname]" in plain
    assert "<img" not in doc.toHtml()
    blocks = markdown.code_blocks(doc)
    assert [(b.language, b.text) for b in blocks] == [("python", "def f():\n    return 1")]
    assert blocks[0].rect.height() > markdown.CODE_HEADER
    assert isinstance(doc, QTextDocument) and doc.size().width() <= 500


def test_enter_sends_and_shift_enter_adds_a_line(qtbot: QtBot) -> None:
    composer = Composer()
    qtbot.addWidget(composer)
    sent: list[str] = []
    composer.send_requested.connect(sent.append)
    qtbot.keyClicks(composer.edit, "hello")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(composer.edit, "world")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == ["hello\nworld"] and composer.text() == ""
    composer.set_busy(True)
    stops: list[bool] = []
    composer.stop_requested.connect(lambda: stops.append(True))
    qtbot.mouseClick(composer.button, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert stops == [True] and composer.button.text() == "Stop"
    qtbot.keyClicks(composer.edit, "next")
    qtbot.keyClick(composer.edit, Qt.Key.Key_Return)
    assert sent == ["hello\nworld"]  # no second send while busy; the text stays
    assert composer.text() == "next"


def test_qt_calls_keep_none_and_bools_alive(qtbot: QtBot) -> None:
    """shiboken6 6.12 drops a reference to None/True/False on calls like QLabel.setText; on
    Python 3.11 that ends in "Fatal Python error: none_dealloc" after enough repaints,
    which is why pyproject.toml keeps PySide6 below 6.12 there."""
    import sys

    from PySide6.QtWidgets import QLabel

    label = QLabel()
    qtbot.addWidget(label)
    before = [sys.getrefcount(obj) for obj in (None, True, False)]
    for _ in range(1000):
        label.setText("x")
        label.setVisible(False)
    after = [sys.getrefcount(obj) for obj in (None, True, False)]
    assert all(a >= b - 10 for a, b in zip(after, before)), (before, after)
