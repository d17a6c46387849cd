"""The tools a chat may offer its model, as the chat sees them: a list, a call, and the
person's standing permission per tool.

The MCP servers configured in Settings provide one (`spark_desktop.mcp`); a test can give
its own. Calls block, so a turn makes them on its own thread; a tool that fails or times
out returns an error result (the model is told), it never raises into the turn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from spark_desktop.engine.tools import Tool


@dataclass(frozen=True)
class ToolResult:
    """What a tool gave back, as text for the model; `is_error` when it failed."""

    text: str
    is_error: bool = False


class ToolBox(Protocol):
    """Tools one chat can offer, callable by the names `tools()` gives them."""

    def tools(self) -> Sequence[Tool]: ...

    def call(self, name: str, arguments: Mapping[str, Any]) -> ToolResult: ...

    def always_allowed(self, name: str) -> bool: ...

    def allow_always(self, name: str) -> None: ...
