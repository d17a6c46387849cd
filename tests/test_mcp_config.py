"""The MCP settings: the `mcpServers` layout other apps use, read, checked, kept as written,
saved atomically; and the names a model calls MCP tools by."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from spark_desktop import paths
from spark_desktop.engine.tools import NAME
from spark_desktop.mcp import McpConfigError, McpHub
from spark_desktop.mcp.config import load, parse, save
from spark_desktop.mcp.toolbox import tool_name

DOCUMENT = {
    "mcpServers": {
        "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem",
                                             "/tmp"], "env": {"TOKEN": "x"}, "cwd": "/tmp",
                  "alwaysAllow": ["read_file"], "autoApprove": ["kept"]},
        "web": {"type": "http", "url": "https://example.org/mcp",
                "headers": {"Authorization": "Bearer k"}},
        "off": {"command": "thing", "disabled": True},
    },
    "otherApp": {"theme": "dark"},
}


def test_parses_stdio_and_http_servers_in_order() -> None:
    config = parse(json.dumps(DOCUMENT))
    assert [s.name for s in config.servers] == ["files", "web", "off"]
    files, web, off = config.servers
    assert (files.transport, files.command, files.args, dict(files.env), files.cwd) == (
        "stdio", "npx", ("-y", "@modelcontextprotocol/server-filesystem", "/tmp"),
        {"TOKEN": "x"}, "/tmp")
    assert files.always_allow == ("read_file",)
    assert (web.transport, web.url, dict(web.headers)) == (
        "http", "https://example.org/mcp", {"Authorization": "Bearer k"})
    assert off.disabled and not files.disabled


def test_keys_this_app_does_not_know_survive_a_round_trip(tmp_path: Path) -> None:
    config = parse(json.dumps(DOCUMENT)).with_always_allow("web", ("search",))
    save(config, tmp_path / "mcp.json")
    again = json.loads((tmp_path / "mcp.json").read_text())
    assert again["otherApp"] == {"theme": "dark"}
    assert again["mcpServers"]["files"]["autoApprove"] == ["kept"]
    assert again["mcpServers"]["web"]["alwaysAllow"] == ["search"]
    assert load(tmp_path / "mcp.json").server("web").always_allow == ("search",)


def test_revoking_the_last_tool_removes_the_key() -> None:
    config = parse(json.dumps(DOCUMENT)).with_always_allow("files", ())
    assert "alwaysAllow" not in config.document["mcpServers"]["files"]
    assert config.server("files").always_allow == ()
    with pytest.raises(McpConfigError, match='no MCP server named "ghost"'):
        config.with_always_allow("ghost", ("x",))


def test_empty_text_and_missing_file_mean_no_servers(tmp_path: Path) -> None:
    assert parse("  \n").servers == ()
    assert load(tmp_path / "absent.json").servers == ()


def test_bad_json_says_where() -> None:
    with pytest.raises(McpConfigError, match="not valid JSON.*line 3, column 1"):
        parse('{"mcpServers": {\n "a": {"command": "x"}\n')


@pytest.mark.parametrize(("entry", "words"), [
    ({"command": "x", "args": "-v"}, '"args" must be a list of strings'),
    ({"command": "x", "args": [1]}, '"args" must be a list of strings'),
    ({"command": "x", "env": {"PORT": 80}}, '"env" must be an object'),
    ({"command": ""}, '"command" must be the program to run'),
    ({"command": "x", "cwd": 3}, '"cwd" must be a folder'),
    ({"url": "ftp://host/mcp"}, '"url" must be an http:// or https:// address'),
    ({"url": "http://h/mcp", "headers": ["a"]}, '"headers" must be an object'),
    ({"command": "x", "url": "http://h/mcp"}, 'either "command"'),
    ({}, 'either "command"'),
    ({"type": "sse", "url": "http://h/sse"}, "SSE transport is not supported"),
    ({"type": "websocket", "url": "http://h/"}, '"type" must be "stdio" or "http"'),
    ({"command": "x", "alwaysAllow": "all"}, '"alwaysAllow" must be a list'),
    ({"command": "x", "disabled": "yes"}, '"disabled" must be true or false'),
    ("npx server", "must be an object"),
])
def test_each_bad_field_is_named_with_its_server(entry: object, words: str) -> None:
    with pytest.raises(McpConfigError) as caught:
        parse(json.dumps({"mcpServers": {"mine": entry}}))
    assert 'MCP server "mine"' in str(caught.value)
    assert words in str(caught.value)


@pytest.mark.parametrize("document", [[], {"mcpServers": []}, {"mcpServers": {" ": {}}}])
def test_bad_document_shapes(document: object) -> None:
    with pytest.raises(McpConfigError):
        parse(json.dumps(document))


def test_a_damaged_file_is_an_error_naming_it_and_is_left_alone() -> None:
    path = paths.mcp_config_path()
    path.write_text('{"mcpServers": {"a": {"command": 5}}}')
    before = path.read_bytes()
    with pytest.raises(McpConfigError, match=str(path)):
        load()
    hub = McpHub.from_file()
    assert hub.config.servers == () and '"command"' in hub.load_error
    assert path.read_bytes() == before


def test_save_is_private_and_complete() -> None:
    config = parse(json.dumps(DOCUMENT))
    save(config)
    path = paths.mcp_config_path()
    assert path.parent == paths.data_dir() and path.name == "mcp.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == DOCUMENT
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []


def test_tool_names_follow_the_engines_rule_and_stay_apart() -> None:
    assert tool_name("calc", "add") == "calc__add"
    assert tool_name("my server", "get/weather!") == "my_server__get_weather"
    long_a, long_b = tool_name("s" * 40, "t" * 40 + "a"), tool_name("s" * 40, "t" * 40 + "b")
    assert long_a != long_b
    for name in (long_a, long_b, tool_name("ü", "ö"), tool_name("", "")):
        assert NAME.match(name), name
    assert tool_name("s" * 40, "t" * 40 + "a") == long_a  # the same from one turn to the next
