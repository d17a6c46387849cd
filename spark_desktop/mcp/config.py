"""The MCP servers a person configured, in the `mcpServers` JSON layout that Claude Desktop,
LM Studio and Cursor use, so a block copied from a server's README works here unchanged.

A server is either a command run over stdio (`command`, `args`, `env`, `cwd`) or a
streamable HTTP endpoint (`url`, `headers`); `alwaysAllow` lists the tools the person let it
call without asking (Cline's key), `disabled` keeps a server configured but off. The
document is kept as written: keys this app does not know survive a save.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from spark_desktop import paths
from spark_desktop.errors import SparkError
from spark_desktop.files import write_text_atomically

SERVERS_KEY = "mcpServers"
ALLOW_KEY = "alwaysAllow"
HTTP_TYPES = ("http", "streamable-http", "streamableHttp", "streamable_http")
EXAMPLE = {SERVERS_KEY: {}}


class McpConfigError(SparkError):
    """The MCP settings cannot be read or are not valid; the message says where."""


@dataclass(frozen=True)
class ServerConfig:
    """One configured server: a stdio command (`command` set) or an HTTP endpoint (`url`)."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    always_allow: tuple[str, ...] = ()
    disabled: bool = False

    @property
    def transport(self) -> str:
        """"stdio" or "http"."""
        return "stdio" if self.command is not None else "http"

    def launch(self) -> tuple[Any, ...]:
        """What starting the server depends on: a change here means a new connection
        (a change of `always_allow` does not)."""
        return (self.command, self.args, tuple(sorted(self.env.items())), self.cwd, self.url,
                tuple(sorted(self.headers.items())), self.disabled)


@dataclass(frozen=True)
class McpConfig:
    """The whole document: its servers in the order written, and the JSON as written."""

    servers: tuple[ServerConfig, ...] = ()
    document: Mapping[str, Any] = field(default_factory=lambda: copy.deepcopy(EXAMPLE))

    def server(self, name: str) -> ServerConfig | None:
        return next((s for s in self.servers if s.name == name), None)

    def text(self) -> str:
        """The document as the person sees and edits it."""
        return json.dumps(self.document, indent=2, ensure_ascii=False) + "\n"

    def with_always_allow(self, server: str, tools: tuple[str, ...]) -> McpConfig:
        """The same document where `server` may call exactly `tools` without asking."""
        if self.server(server) is None:
            raise McpConfigError(f'There is no MCP server named "{server}" in the settings.')
        document = copy.deepcopy(dict(self.document))
        entry = document[SERVERS_KEY][server]
        if tools:
            entry[ALLOW_KEY] = list(dict.fromkeys(tools))
        else:
            entry.pop(ALLOW_KEY, None)
        return from_document(document)


def parse(text: str) -> McpConfig:
    """Read the document from its JSON text; McpConfigError says what and where is wrong."""
    if not text.strip():
        return McpConfig()
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise McpConfigError(
            f"The MCP settings are not valid JSON: {exc.msg} at line {exc.lineno}, "
            f"column {exc.colno}. Fix that spot and save again.") from None
    return from_document(document)


def from_document(document: Any) -> McpConfig:
    """Validate a decoded document (a dict with an `mcpServers` object)."""
    if not isinstance(document, dict):
        raise McpConfigError(
            f'The MCP settings must be a JSON object like {{"{SERVERS_KEY}": {{...}}}}.')
    servers = document.get(SERVERS_KEY, {})
    if not isinstance(servers, dict):
        raise McpConfigError(f'"{SERVERS_KEY}" must be an object that maps each server\'s '
                             'name to its settings.')
    parsed = tuple(_server(name, entry) for name, entry in servers.items())
    return McpConfig(servers=parsed, document=copy.deepcopy(document))


def _server(name: str, entry: Any) -> ServerConfig:
    def bad(what: str) -> McpConfigError:
        return McpConfigError(f'MCP server "{name}": {what}')

    if not name.strip():
        raise McpConfigError("Each MCP server needs a name (the key in \"mcpServers\").")
    if not isinstance(entry, dict):
        raise bad('its settings must be an object with "command" (a program to run) or '
                  '"url" (a streamable HTTP endpoint).')
    kind = entry.get("type")
    if kind == "sse" or (kind is None and entry.get("transport") == "sse"):
        raise bad('the old SSE transport is not supported; give the server\'s streamable '
                  'HTTP "url" (often ending in /mcp) instead.')
    has_command, has_url = "command" in entry, "url" in entry
    if has_command == has_url:
        raise bad('give either "command" (a program to run) or "url" (a streamable HTTP '
                  'endpoint), not both and not neither.')
    if kind is not None and kind not in ("stdio", *HTTP_TYPES):
        raise bad(f'"type" must be "stdio" or "http", not {json.dumps(kind)}.')
    if (kind == "stdio" and has_url) or (kind in HTTP_TYPES and has_command):
        raise bad(f'"type": {json.dumps(kind)} does not go with '
                  f'"{"url" if has_url else "command"}" (a stdio server has a "command", '
                  'an http one a "url").')
    common = {"name": name, "always_allow": _strings(entry, ALLOW_KEY, bad),
              "disabled": _flag(entry, "disabled", bad)}
    if has_command:
        command = entry["command"]
        if not isinstance(command, str) or not command.strip():
            raise bad('"command" must be the program to run, as a non-empty string.')
        cwd = entry.get("cwd")
        if cwd is not None and (not isinstance(cwd, str) or not cwd.strip()):
            raise bad('"cwd" must be a folder, as a string.')
        return ServerConfig(command=command, args=_strings(entry, "args", bad),
                            env=_mapping(entry, "env", bad), cwd=cwd, **common)
    url = entry["url"]
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise bad('"url" must be an http:// or https:// address, for example '
                  '"http://127.0.0.1:8000/mcp".')
    return ServerConfig(url=url, headers=_mapping(entry, "headers", bad), **common)


def _strings(entry: dict[str, Any], key: str, bad: Any) -> tuple[str, ...]:
    value = entry.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise bad(f'"{key}" must be a list of strings, like ["one", "two"].')
    return tuple(value)


def _mapping(entry: dict[str, Any], key: str, bad: Any) -> dict[str, str]:
    value = entry.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise bad(f'"{key}" must be an object of names to string values, like '
                  '{"NAME": "value"} (put numbers in quotes).')
    return dict(value)


def _flag(entry: dict[str, Any], key: str, bad: Any) -> bool:
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise bad(f'"{key}" must be true or false.')
    return value


def load(path: Path | None = None) -> McpConfig:
    """The saved servers; a missing file means none. A damaged file raises McpConfigError
    naming it and is left as it is, for the person to fix."""
    path = path or paths.mcp_config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return McpConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise McpConfigError(f"Cannot read the MCP settings in {path}: {exc}.") from None
    try:
        return parse(text)
    except McpConfigError as exc:
        raise McpConfigError(f"{exc} (in {path})") from None


def save(config: McpConfig, path: Path | None = None) -> None:
    """Write atomically (temp file + rename), readable only by this user: a crash never
    leaves half a file, and the keys in env or headers stay private."""
    write_text_atomically(path or paths.mcp_config_path(), config.text())
