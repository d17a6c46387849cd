"""Settings → MCP servers, offscreen with a real stdio MCP server: invalid JSON is refused
with the reason and the text kept; Check servers lists the server's tools without blocking;
an always-allowed tool can be revoked."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from spark_desktop import paths
from spark_desktop.mcp.config import load
from spark_desktop.mcp.toolbox import McpToolBox
from spark_desktop.ui.pages.mcp_settings import McpSettingsBox
from spark_desktop.ui.services import Services
from tests.mcp_servers import CALC
from tests.test_mcp_hub import calc_processes


@pytest.fixture
def services() -> Iterator[Services]:
    services = Services()
    yield services
    services.shutdown()
    assert calc_processes() == []  # the window's shutdown ends the MCP servers


def shown_box(qtbot, services: Services) -> McpSettingsBox:
    box = McpSettingsBox(services)
    qtbot.addWidget(box)
    box.show()
    qtbot.waitUntil(lambda: box.editor.toPlainText().strip() != "", timeout=5000)
    return box


def test_invalid_json_is_refused_and_the_text_kept(qtbot, services: Services) -> None:
    box = shown_box(qtbot, services)
    assert json.loads(box.editor.toPlainText()) == {"mcpServers": {}}
    assert services._mcp is not None and services.mcp.statuses() == ()  # nothing connected
    broken = '{"mcpServers": {"calc": {"command": "python", "args": "-m calc"}}}'
    box.editor.setPlainText(broken)
    box.save_button.click()
    assert box.error_label.isVisibleTo(box)
    assert 'MCP server "calc": "args" must be a list of strings' in box.error_label.text()
    assert box.editor.toPlainText() == broken
    assert not paths.mcp_config_path().exists()
    box.editor.setPlainText('{"mcpServers": {')
    box.save_button.click()
    assert "not valid JSON" in box.error_label.text()
    assert box.editor.toPlainText() == '{"mcpServers": {'


def test_check_servers_lists_the_tools_and_revoke_saves(qtbot, services: Services) -> None:
    paths.mcp_config_path().write_text(json.dumps(
        {"mcpServers": {"calc": {**CALC, "alwaysAllow": ["add", "echo"]},
                        "missing": {"command": "no-such-mcp-server-command"}}}, indent=1))
    box = shown_box(qtbot, services)
    assert '"alwaysAllow"' in box.editor.toPlainText()
    assert [box.allowed.item(i).text() for i in range(box.allowed.count())] == [
        "calc: add", "calc: echo"]
    box.check_button.click()
    assert not box.check_button.isEnabled()  # the connection runs off the GUI thread
    qtbot.waitUntil(box.check_button.isEnabled, timeout=60000)
    assert box.status_label.text() == "1 of 2 servers ready."
    calc, missing = (box.servers.topLevelItem(i) for i in range(2))
    assert calc.text(0) == "calc" and calc.text(1) == "Ready: 7 tools"
    tools = {calc.child(i).text(0): calc.child(i).text(1) for i in range(calc.childCount())}
    assert tools["add"] == "Add two numbers and return the sum."
    assert set(tools) == {"add", "echo", "env", "header", "fail", "crash", "slow"}
    assert missing.text(1) == "Failed" and "was not found" in missing.child(0).text(1)

    box.allowed.setCurrentRow(0)
    box.revoke_button.click()
    qtbot.waitUntil(lambda: box.status_label.text() == "Saved.", timeout=5000)
    assert load().server("calc").always_allow == ("echo",)
    assert [box.allowed.item(i).text() for i in range(box.allowed.count())] == ["calc: echo"]
    assert json.loads(box.editor.toPlainText())["mcpServers"]["calc"]["alwaysAllow"] == ["echo"]

    chat_tools = McpToolBox(services.mcp)  # a chat's "always allow" shows here too
    chat_tools.tools()
    chat_tools.allow_always("calc__slow")
    qtbot.waitUntil(lambda: box.allowed.count() == 2, timeout=5000)
    assert box.allowed.item(1).text() == "calc: slow"
    assert "slow" in json.loads(box.editor.toPlainText())["mcpServers"]["calc"]["alwaysAllow"]
