"""The configured MCP servers' tools as one chat's ToolBox (spark_desktop.chat.toolbox).

A model sees each tool as `server__tool` (letters, digits, `_ . -`, at most 64: the engine's
rule for a function name), unique across servers and the same from one turn to the next,
so a conversation's earlier calls keep their meaning. The person's "always allow" is the
server's `alwaysAllow` list in the MCP settings, so other apps reading the file agree.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import CancelledError, Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from spark_desktop.chat.toolbox import ToolResult
from spark_desktop.engine.tools import NAME, Tool
from spark_desktop.mcp.hub import CLOSE_WAIT_S, McpHub, McpTimeout, McpTool, McpUnavailable

SEPARATOR = "__"
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def tool_name(server: str, tool: str) -> str:
    """The name the model calls `tool` of `server` by; too long a name keeps its start and
    gains a short hash of the whole, so two long names stay apart."""
    name = _UNSAFE.sub("_", f"{server}{SEPARATOR}{tool}").strip("_") or "tool"
    if len(name) > 64:
        digest = hashlib.sha1(f"{server}\0{tool}".encode()).hexdigest()[:8]
        name = f"{name[:55]}_{digest}"
    assert NAME.match(name), name
    return name


class McpToolBox:
    """Every ready server's tools (or only `servers`'), callable by their model names."""

    def __init__(self, hub: McpHub, *, servers: Iterable[str] | None = None,
                 timeout: float = 60.0) -> None:
        """`timeout`: seconds a call may take before the model is told it timed out."""
        self.hub = hub
        self.timeout = timeout
        self._servers = None if servers is None else frozenset(servers)
        self._names: dict[str, McpTool] = {}
        self._running: set[Future[ToolResult]] = set()
        self._lock = threading.Lock()

    def tools(self) -> Sequence[Tool]:
        """Connects the servers not connected yet (blocking: call it off the GUI thread)."""
        names: dict[str, McpTool] = {}
        offered: list[Tool] = []
        for tool in self.hub.tools():
            if self._servers is not None and tool.server not in self._servers:
                continue
            name = base = tool_name(tool.server, tool.name)
            n = 2
            while name in names:
                name = f"{base[:60]}_{n}"
                n += 1
            names[name] = tool
            schema: dict[str, Any] = dict(tool.input_schema)
            schema.setdefault("type", "object")
            offered.append(Tool(name, tool.description, schema))
        self._names = names
        return offered

    def source(self, name: str) -> McpTool | None:
        """The server and tool behind a model's name (for an approval question)."""
        if name not in self._names:
            self.tools()
        return self._names.get(name)

    def call(self, name: str, arguments: Mapping[str, Any]) -> ToolResult:
        """Blocks until the tool answers, times out, or `cancel()` stops it."""
        tool = self.source(name)
        if tool is None:
            return ToolResult(f'There is no tool named "{name}".', is_error=True)
        try:
            future = self.hub.start_call(tool.server, tool.name, arguments, self.timeout)
        except McpUnavailable as exc:
            return ToolResult(str(exc), is_error=True)
        with self._lock:
            self._running.add(future)
        try:
            return future.result(self.hub.connect_timeout + self.timeout + CLOSE_WAIT_S)
        except CancelledError:
            return ToolResult(f'The call of "{name}" was stopped.', is_error=True)
        except (McpTimeout, McpUnavailable) as exc:
            return ToolResult(str(exc), is_error=True)
        except FutureTimeout:
            future.cancel()
            return ToolResult(f'The call of "{name}" did not finish in time.', is_error=True)
        finally:
            with self._lock:
                self._running.discard(future)

    def cancel(self) -> None:
        """Stop the calls running now (the person stopped the turn); from any thread."""
        with self._lock:
            running = list(self._running)
        for future in running:
            future.cancel()

    def always_allowed(self, name: str) -> bool:
        tool = self.source(name)
        spec = self.hub.config.server(tool.server) if tool is not None else None
        return spec is not None and tool is not None and tool.name in spec.always_allow

    def allow_always(self, name: str) -> None:
        """Add the tool to its server's `alwaysAllow` and save the MCP settings."""
        tool = self.source(name)
        spec = self.hub.config.server(tool.server) if tool is not None else None
        if tool is None or spec is None or tool.name in spec.always_allow:
            return
        config = self.hub.config
        self.hub.save(config.with_always_allow(tool.server, (*spec.always_allow, tool.name)))
