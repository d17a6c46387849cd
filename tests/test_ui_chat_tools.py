"""Tools in the chat page (offscreen) with the real SmolLM2 in a real model host, the real
history and an in-test toolbox: the bar, a required call's approval card, Allow, the
result and the reply in the view and the history, a reload; Stop while the card waits;
Deny from the keyboard; and a real MCP server's tool (tests/mcp_servers/calc.py) end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from spark_desktop.history import HistoryStore
from spark_desktop.host import ModelHost
from spark_desktop.ui.bridges import HistoryBridge
from spark_desktop.ui.chat import ChatPage
from spark_desktop.ui.chat.message_delegate import shown_text
from spark_desktop.ui.host_bridge import HostBridge
from tests.fixtures.real_model import smollm2_path
from tests.host_fixtures import SMOL, small_load, smol_host
from tests.test_chat_tools import ASK, AddBox

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelHost]:
    """A model host over a models folder holding SmolLM2, loaded."""
    with smol_host(tmp_path_factory.mktemp("host")) as held:
        yield held


def tools_page(qtbot: QtBot, store: HistoryStore, host: ModelHost, box: AddBox) -> ChatPage:
    page = ChatPage(HistoryBridge(store), HostBridge(host=host))
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.model_id == SMOL)
    page.resize(1000, 700)
    page.show()
    page.panel.temperature.setValue(0.0)
    page.panel.max_tokens.setValue(40)
    page.set_toolbox(box)
    return page


def roles(page: ChatPage) -> list[str]:
    return [page.model.message(r).role for r in range(page.model.rowCount())]


def test_a_required_call_is_approved_in_the_card_and_kept_in_history(
        qtbot: QtBot, store: HistoryStore, host: ModelHost) -> None:
    box = AddBox()
    page = tools_page(qtbot, store, host, box)
    bar, card = page.tools.bar, page.tools.card
    qtbot.waitUntil(lambda: bar.count.text().startswith("1 tool"))  # counted off the GUI thread
    assert bar.isVisible()
    # SmolLM2's template knows no tools: they are off until the person turns them on
    assert not bar.enabled.isChecked() and not bar.required.isEnabled()
    bar.enabled.setChecked(True)
    assert bar.required.isEnabled()
    bar.required.setChecked(True)
    page.send(ASK)
    qtbot.waitUntil(card.isVisible, timeout=120_000)
    assert "add" in card.title.text() and page.busy
    args = json.loads(card.arguments.text())
    assert set(args) == {"a", "b"} and box.calls == []  # nothing runs before the answer
    assert roles(page) == ["user", "assistant"]
    assert shown_text(page.model.message(1)).startswith("→ Called add {")
    with qtbot.waitSignal(page.reply_finished, timeout=120_000) as done:
        qtbot.mouseClick(card.allow, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not page.busy)
    assert not card.isVisible() and box.calls == [args]
    assert roles(page) == ["user", "assistant", "tool", "assistant"]
    result = page.model.message(2)
    assert result.content == json.dumps(args["a"] + args["b"])
    reply = done.args[0]
    assert page.model.message(3).id == reply.id and reply.content.strip()
    assert page.conversation is not None
    stored = store.active_path(page.conversation.id)
    assert [m.id for m in stored] == [page.model.message(r).id for r in range(4)]
    assert json.loads(stored[1].extra["tool_calls"][0]["arguments"]) == args
    assert stored[2].extra["tool_call_id"] == stored[1].extra["tool_calls"][0]["id"]
    assert store.get_conversation(page.conversation.id).extra["tools"] == \
        {"enabled": True, "choice": "required"}
    # another page opens the conversation: the exchange and the chat's tool settings return
    other = tools_page(qtbot, store, host, AddBox())
    assert not other.tools.bar.enabled.isChecked()
    other.open_conversation(page.conversation.id)
    qtbot.waitUntil(lambda: other.model.rowCount() == 4)
    assert roles(other) == ["user", "assistant", "tool", "assistant"]
    assert shown_text(other.model.message(1)) == shown_text(page.model.message(1))
    assert other.tools.bar.enabled.isChecked() and other.tools.bar.required.isChecked()


def test_stop_while_the_card_waits_ends_the_turn(qtbot: QtBot, store: HistoryStore,
                                                  host: ModelHost) -> None:
    box = AddBox()
    page = tools_page(qtbot, store, host, box)
    page.tools.bar.set_settings({"enabled": True, "choice": "required"})
    page.send(ASK)
    card = page.tools.card
    qtbot.waitUntil(card.isVisible, timeout=120_000)
    with qtbot.waitSignal(page.reply_finished, timeout=30_000) as done:
        page.stop()
    assert not card.isVisible()
    qtbot.waitUntil(lambda: not page.busy)
    reply = done.args[0]
    assert reply.finish_reason == "cancelled" and reply.extra["tool_calls"]
    assert box.calls == [] and roles(page) == ["user", "assistant"]
    assert store.get_message(reply.id).finish_reason == "cancelled"
    # the page is free again: a plain question gets a plain reply
    page.tools.bar.set_settings({"enabled": False, "choice": "auto"})
    page.panel.max_tokens.setValue(4)
    with qtbot.waitSignal(page.reply_finished, timeout=120_000):
        page.send("Say hi.")
    qtbot.waitUntil(lambda: not page.busy)
    assert roles(page) == ["user", "assistant", "user", "assistant"]


def test_the_card_answers_from_the_keyboard(qtbot: QtBot, store: HistoryStore,
                                            host: ModelHost) -> None:
    page = tools_page(qtbot, store, host, AddBox())
    card = page.tools.card
    page.tools.bar.set_settings({"enabled": True, "choice": "required"})
    page.send(ASK)
    qtbot.waitUntil(card.isVisible, timeout=120_000)
    assert card.allow.focusPolicy() == Qt.FocusPolicy.StrongFocus
    with qtbot.waitSignal(page.reply_finished, timeout=120_000):
        qtbot.keyClick(card.deny, Qt.Key.Key_Space)  # Tab reaches it; Space presses it
    qtbot.waitUntil(lambda: not page.busy)
    result = page.model.message(2)
    assert result.role == "tool" and result.extra.get("is_error") is True


def test_an_mcp_servers_tool_is_called_from_the_chat(qtbot: QtBot, store: HistoryStore,
                                                      host: ModelHost) -> None:
    """End to end: the calc MCP server over stdio → McpToolBox → SmolLM2's required call
    → Allow in the card → the server's answer in the view and the history."""
    from spark_desktop.mcp import McpHub
    from spark_desktop.mcp.config import from_document
    from spark_desktop.mcp.toolbox import McpToolBox
    from tests.mcp_servers import CALC

    class AddOnly(McpToolBox):
        """Only calc's `add`: a forced call of a 135M model may otherwise pick `crash`."""

        def tools(self) -> list[Any]:
            return [t for t in super().tools() if t.name.endswith("__add")]

    hub = McpHub(from_document({"mcpServers": {"calc": CALC}}), connect_timeout=30)
    try:
        page = tools_page(qtbot, store, host, AddOnly(hub))  # type: ignore[arg-type]
        qtbot.waitUntil(lambda: page.tools.bar.count.text().startswith("1 tool"),
                        timeout=60_000)  # the server started off the GUI thread
        page.tools.bar.set_settings({"enabled": True, "choice": "required"})
        page.send(ASK)
        card = page.tools.card
        qtbot.waitUntil(card.isVisible, timeout=120_000)
        assert card.call.name == "calc__add"
        args = json.loads(card.arguments.text())
        with qtbot.waitSignal(page.reply_finished, timeout=120_000):
            qtbot.mouseClick(card.allow, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not page.busy)
        assert roles(page) == ["user", "assistant", "tool", "assistant"]
        total = args["a"] + args["b"]
        expected = str(int(total) if total == int(total) else total)  # as calc answers
        assert page.model.message(2).content == expected
        assert page.conversation is not None
        stored = store.active_path(page.conversation.id)
        assert stored[2].content == expected and stored[2].extra["name"] == "calc__add"
    finally:
        hub.close()


def test_tools_are_on_by_default_for_a_template_that_renders_them(
        qtbot: QtBot, store: HistoryStore, tmp_path: Path) -> None:
    from spark_desktop import library
    from spark_desktop.host import HostSettings
    from tests.test_engine_tools import HERMES

    (tmp_path / "models").mkdir()
    (tmp_path / "models" / smollm2_path().name).symlink_to(smollm2_path())
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SPARK_DESKTOP_MODELS_DIR", str(tmp_path / "models"))
        models = library.scan()
    load = replace(small_load(), chat_template=HERMES)  # a Hermes-style template with tools
    with ModelHost(HostSettings(pool_bytes=64 * 1024 ** 3, idle_unload_s=None,
                                load_options=load), scan=lambda: models) as hermes:
        hermes.load(SMOL)
        (entry,) = hermes.loaded()
        assert entry.template_tools
        page = tools_page(qtbot, store, hermes, AddBox())
        assert page.tools.bar.enabled.isChecked()
        assert page.tools.bar.settings() == {"enabled": True, "choice": "auto"}
        # a chat that chose otherwise keeps its choice
        conv = store.create_conversation(extra={"tools": {"enabled": False, "choice": "auto"}})
        page.open_conversation(conv.id)
        qtbot.waitUntil(lambda: page.conversation is not None)
        assert not page.tools.bar.enabled.isChecked()


class NoTools(AddBox):
    def tools(self) -> list[Any]:
        return []


def test_a_toolbox_without_tools_shows_no_bar(qtbot: QtBot, store: HistoryStore,
                                             host: ModelHost) -> None:
    page = tools_page(qtbot, store, host, NoTools())  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: page.tools.bar.count.text() != "")
    assert not page.tools.bar.isVisible()
    page.set_toolbox(AddBox())  # servers configured later: the bar comes
    qtbot.waitUntil(page.tools.bar.isVisible)


def test_the_window_offers_the_mcp_servers_tools_to_its_chat(qtbot: QtBot) -> None:
    """The window hands its chat the MCP hub's toolbox (made off the GUI thread); with
    the calc server saved in Settings the chat's bar counts its tools."""
    from spark_desktop.mcp.config import from_document
    from spark_desktop.mcp.toolbox import McpToolBox
    from tests.fixtures.windows import open_window
    from tests.mcp_servers import CALC

    window = open_window(qtbot)
    qtbot.waitUntil(lambda: isinstance(window.chat.tools.toolbox, McpToolBox), timeout=30_000)
    bar = window.chat.tools.bar  # (the window shows another page: isHidden, not isVisible)
    qtbot.waitUntil(lambda: bar.count.text() != "")
    assert bar.isHidden()  # no servers yet
    window.services.mcp.save(from_document({"mcpServers": {"calc": CALC}}))
    qtbot.waitUntil(lambda: not bar.isHidden(), timeout=60_000)
    assert bar.count.text().startswith("7 tool")
