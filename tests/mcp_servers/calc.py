"""A small MCP server written with the official SDK: `add`, `echo`, `env` and `header`
(what reached the server), `fail` (raises), `crash` (ends the process) and `slow` (sleeps),
for the hub's, the toolbox's and the chat's tests.

Runs over stdio by default (`python -m tests.mcp_servers.calc`); `app()` gives the same
server as a streamable HTTP ASGI app for a test to serve with uvicorn.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from mcp.server.mcpserver import Context, MCPServer


def server() -> MCPServer:
    calc = MCPServer("calc")

    @calc.tool()
    def add(a: float, b: float) -> str:
        """Add two numbers and return the sum."""
        total = a + b
        return str(int(total) if total == int(total) else total)

    @calc.tool()
    def echo(text: str) -> str:
        """Return the text unchanged."""
        return text

    @calc.tool()
    def env(name: str) -> str:
        """The value of an environment variable of the server's process ("" when unset)."""
        return os.environ.get(name, "")

    @calc.tool()
    def header(name: str, ctx: Context) -> str:
        """The value of an HTTP header of this request ("" over stdio or when absent)."""
        return (ctx.headers or {}).get(name.lower(), "")

    @calc.tool()
    def fail() -> str:
        """Always fails (for tests of tool errors)."""
        raise RuntimeError("the calculator is broken on purpose")

    @calc.tool()
    def crash() -> str:
        """Ends the server's process at once (for tests of a server that dies)."""
        os._exit(1)

    @calc.tool()
    async def slow(seconds: float) -> str:
        """Sleep for the given seconds, then say so."""
        await asyncio.sleep(seconds)
        return f"slept {seconds} s"

    return calc


def app() -> Any:
    """The server as a streamable HTTP app at /mcp."""
    return server().streamable_http_app()


if __name__ == "__main__":
    if "--exit-at-once" in sys.argv:  # a server that dies before it answers
        print("calc: refusing to start on purpose", file=sys.stderr)
        sys.exit(3)
    server().run()
