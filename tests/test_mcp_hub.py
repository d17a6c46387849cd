"""The MCP hub and toolbox against a real MCP server (tests/mcp_servers/calc.py, written
with the official SDK), over stdio as a subprocess and over streamable HTTP with uvicorn."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator

import psutil
import pytest

from spark_desktop import paths
from spark_desktop.mcp import McpHub, McpTimeout, McpUnavailable
from spark_desktop.mcp.config import McpConfig, from_document, load
from spark_desktop.mcp.toolbox import McpToolBox
from tests.mcp_servers import CALC
from tests.mcp_servers.http import serve_calc

pytestmark = pytest.mark.slow  # each server is a Python process importing the SDK (~2 s)


def config(**servers: dict[str, object]) -> McpConfig:
    return from_document({"mcpServers": servers})


def calc_processes() -> list[psutil.Process]:
    """This test process's calc servers still running (a zombie counts: nobody reaped it)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "tests.mcp_servers.calc" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.ZombieProcess:
            found.append(child)
        except psutil.NoSuchProcess:
            pass
    return found


@pytest.fixture
def hub() -> Iterator[McpHub]:
    hub = McpHub(config(calc=CALC), connect_timeout=30)
    yield hub
    hub.close()


def test_stdio_server_lists_its_tools_and_answers(hub: McpHub) -> None:
    (status,) = hub.connect()
    assert (status.name, status.transport, status.state, status.error) == (
        "calc", "stdio", "ready", "")
    tools = {t.name: t for t in status.tools}
    assert set(tools) == {"add", "echo", "env", "header", "fail", "crash", "slow"}
    assert tools["add"].description == "Add two numbers and return the sum."
    assert set(tools["add"].input_schema["properties"]) == {"a", "b"}
    assert hub.call_tool("calc", "add", {"a": 2, "b": 40}).text == "42"
    assert hub.call_tool("calc", "echo", {"text": "héllo"}).text == "héllo"
    failed = hub.call_tool("calc", "fail", {})
    assert failed.is_error and "fail" in failed.text
    assert not hub.call_tool("calc", "add", {"a": 1, "b": 1}).is_error


def test_a_slow_tool_times_out_and_the_session_stays_usable(hub: McpHub) -> None:
    started = time.monotonic()
    with pytest.raises(McpTimeout, match='"slow" of the MCP server "calc" did not answer'):
        hub.call_tool("calc", "slow", {"seconds": 30}, timeout=0.5)
    assert time.monotonic() - started < 15
    assert hub.call_tool("calc", "add", {"a": 1, "b": 2}).text == "3"


def test_a_server_that_dies_is_started_again_at_the_next_call(hub: McpHub) -> None:
    hub.connect()
    (first,) = calc_processes()
    with pytest.raises(McpUnavailable, match='"calc" stopped during the call of "crash"'):
        hub.call_tool("calc", "crash", {})
    (status,) = hub.statuses()
    assert status.state == "idle" and "starts again" in status.error
    assert hub.call_tool("calc", "add", {"a": 5, "b": 6}).text == "11"
    (second,) = calc_processes()
    assert second.pid != first.pid


def test_a_server_that_dies_between_calls_is_noticed_and_restarted(hub: McpHub) -> None:
    hub.connect()
    (first,) = calc_processes()
    first.kill()
    deadline = time.monotonic() + 10
    while hub.statuses()[0].state == "ready":
        assert time.monotonic() < deadline, "the server's end went unnoticed"
        time.sleep(0.05)
    (status,) = hub.statuses()
    assert status.state == "idle" and '"calc" stopped' in status.error
    assert {t.name for t in hub.tools()} >= {"add"}  # connected again for the next turn
    assert hub.call_tool("calc", "add", {"a": 1, "b": 1}).text == "2"
    assert [p.pid for p in calc_processes()] != [first.pid]


def test_broken_servers_get_a_reason_and_do_not_stop_the_others() -> None:
    hub = McpHub(config(
        missing={"command": "no-such-mcp-server-command"},
        exits={**CALC, "args": [*CALC["args"], "--exit-at-once"]},
        off={**CALC, "disabled": True},
        calc=CALC))
    try:
        statuses = {s.name: s for s in hub.connect()}
        assert statuses["calc"].state == "ready"
        assert statuses["missing"].state == "failed"
        assert '"no-such-mcp-server-command" was not found' in statuses["missing"].error
        assert statuses["exits"].state == "failed"
        assert "stopped before it was ready" in statuses["exits"].error
        assert "refusing to start on purpose" in statuses["exits"].error  # its stderr
        assert statuses["off"].state == "off"
        assert {t.server for t in hub.tools()} == {"calc"}
        with pytest.raises(McpUnavailable, match="was not found"):
            hub.call_tool("missing", "add", {})
        with pytest.raises(McpUnavailable, match="no MCP server named"):
            hub.call_tool("ghost", "add", {})
    finally:
        hub.close()
    assert calc_processes() == []


def test_a_server_that_never_answers_times_out_and_is_stopped() -> None:
    hub = McpHub(config(mute={"command": sys.executable, "args": [
        "-c", "import time; time.sleep(60)  # tests.mcp_servers.calc stand-in"]}),
        connect_timeout=1)
    try:
        (status,) = hub.connect()
        assert status.state == "failed"
        assert "did not get ready within 1 seconds" in status.error
        assert calc_processes() == []
    finally:
        hub.close()


def test_close_leaves_no_child_process() -> None:
    hub = McpHub(config(calc=CALC, again=CALC))
    assert [s.state for s in hub.connect()] == ["ready", "ready"]
    children = calc_processes()
    assert len(children) == 2
    hub.close()
    assert calc_processes() == []
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in children)
    with pytest.raises(McpUnavailable, match="closed"):
        hub.call_tool("calc", "add", {"a": 1, "b": 2})


def test_configure_restarts_only_servers_whose_launch_changed(hub: McpHub) -> None:
    hub.connect()
    (before,) = calc_processes()
    hub.configure(config(calc={**CALC, "alwaysAllow": ["add"]}))
    assert hub.statuses()[0].state == "ready"
    assert [p.pid for p in calc_processes()] == [before.pid]
    assert hub.call_tool("calc", "env", {"name": "CALC_FLAVOUR"}).text == ""
    hub.configure(config(calc={**CALC, "env": {"CALC_FLAVOUR": "other"}}))
    assert hub.statuses()[0].state == "idle"
    assert hub.call_tool("calc", "env", {"name": "CALC_FLAVOUR"}).text == "other"
    deadline = time.monotonic() + 10
    while before.is_running() and before.status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the old server was not stopped"
        time.sleep(0.05)


def test_streamable_http_server_with_headers() -> None:
    with serve_calc() as url:
        hub = McpHub(config(web={"url": url, "headers": {"X-Test": "yes"}},
                            gone={"url": url.replace("/mcp", "/nowhere")}))
        try:
            statuses = {s.name: s for s in hub.connect()}
            assert statuses["web"].state == "ready" and statuses["web"].transport == "http"
            assert statuses["gone"].state == "failed" and "/nowhere" in statuses["gone"].error
            assert hub.call_tool("web", "add", {"a": 20, "b": 22}).text == "42"
            assert hub.call_tool("web", "header", {"name": "X-Test"}).text == "yes"
            assert hub.call_tool("web", "fail", {}).is_error
        finally:
            hub.close()
    unreachable = McpHub(config(web={"url": url}))
    try:
        (status,) = unreachable.connect()
        assert status.state == "failed" and "Cannot reach" in status.error
    finally:
        unreachable.close()


def test_toolbox_names_tools_per_server_and_calls_them() -> None:
    hub = McpHub(config(calc=CALC, other=CALC))
    box = McpToolBox(hub, timeout=1.0)
    try:
        tools = {t.name: t for t in box.tools()}
        assert {"calc__add", "other__add", "calc__slow"} <= set(tools)
        assert tools["calc__add"].description == "Add two numbers and return the sum."
        assert tools["calc__add"].parameters["type"] == "object"
        assert box.call("calc__add", {"a": 2, "b": 3}).text == "5"
        assert box.call("other__echo", {"text": "hi"}).text == "hi"
        assert box.call("calc__fail", {}).is_error
        slow = box.call("calc__slow", {"seconds": 20})
        assert slow.is_error and "did not answer within 1 seconds" in slow.text
        unknown = box.call("calc__nothing", {})
        assert unknown.is_error and "no tool named" in unknown.text
        only = McpToolBox(hub, servers=["other"])
        assert {t.name.split("__")[0] for t in only.tools()} == {"other"}
    finally:
        hub.close()


def test_a_running_call_can_be_stopped(hub: McpHub) -> None:
    box = McpToolBox(hub, timeout=60)
    box.tools()
    results: list[object] = []
    thread = threading.Thread(target=lambda: results.append(
        box.call("calc__slow", {"seconds": 30})))
    started = time.monotonic()
    thread.start()
    while not box._running and time.monotonic() - started < 10:
        time.sleep(0.01)
    box.cancel()
    thread.join(10)
    assert time.monotonic() - started < 10
    (stopped,) = results
    assert stopped.is_error and "was stopped" in stopped.text
    assert box.call("calc__add", {"a": 1, "b": 2}).text == "3"  # the session goes on


def test_always_allow_is_kept_in_the_settings_file() -> None:
    hub = McpHub(config(calc=CALC))
    box = McpToolBox(hub)
    try:
        box.tools()
        assert not box.always_allowed("calc__add")
        box.allow_always("calc__add")
        assert box.always_allowed("calc__add") and not box.always_allowed("calc__echo")
        saved = json.loads(paths.mcp_config_path().read_text())
        assert saved["mcpServers"]["calc"]["alwaysAllow"] == ["add"]
        assert load().server("calc").always_allow == ("add",)
        box.allow_always("calc__add")  # once is enough
        assert load().server("calc").always_allow == ("add",)
    finally:
        hub.close()
