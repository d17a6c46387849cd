"""Opening one server's transport with the SDK: a stdio subprocess (its stderr kept for
the reasons it gives) or a streamable HTTP client (with the configured headers), watched
so that a server that goes away between calls is noticed at once, not at the next call.

Runs on the hub's thread, inside its event loop; the SDK is imported here, at first use.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from spark_desktop.mcp.config import ServerConfig

TAIL_BYTES = 4096
TAIL_LINES = 6


class StderrTail:
    """The last few KB a stdio server wrote to stderr, read as it comes (on the loop), so
    a chatty server fills neither memory nor disk."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        self._loop = loop
        self._fd = read_end
        self._data = bytearray()
        self.file = open(write_end, "w", encoding="utf-8", errors="replace")  # noqa: SIM115
        loop.add_reader(read_end, self._read)

    def _read(self) -> None:
        while self._fd >= 0:
            try:
                chunk = os.read(self._fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self._stop_reading()
                return
            self._data += chunk
            del self._data[:-TAIL_BYTES]

    def _stop_reading(self) -> None:
        if self._fd >= 0:
            self._loop.remove_reader(self._fd)
            os.close(self._fd)
            self._fd = -1

    def release_writer(self) -> None:
        """Close this process's copy of the pipe's write end (the server has its own)."""
        if not self.file.closed:
            self.file.close()

    def text(self) -> str:
        """The last lines written so far."""
        self._read()
        lines = self._data.decode("utf-8", "replace").strip().splitlines()
        return "\n".join(lines[-TAIL_LINES:])

    def close(self) -> None:
        self.release_writer()
        self._read()
        self._stop_reading()


async def open_transport(spec: ServerConfig, stack: AsyncExitStack, stderr: StderrTail | None,
                         on_end: Callable[[], None]) -> Any:
    """The SDK transport for `spec` (a stdio one writes its stderr to `stderr`), calling
    `on_end()` if the server ends the connection; the HTTP client it needs closes with
    `stack`."""
    if spec.command is not None:
        from mcp import StdioServerParameters, stdio_client

        params = StdioServerParameters(command=spec.command, args=list(spec.args),
                                       env=dict(spec.env) or None, cwd=spec.cwd)
        return _watched(stdio_client(params, errlog=stderr.file if stderr else None), on_end)
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    http = await stack.enter_async_context(httpx2.AsyncClient(
        headers=dict(spec.headers), timeout=httpx2.Timeout(30.0, read=300.0)))
    return _watched(streamable_http_client(spec.url or "", http_client=http), on_end)


@asynccontextmanager
async def _watched(transport: Any, on_end: Callable[[], None]) -> AsyncIterator[Any]:
    """`transport`'s streams, the incoming one relayed so that its end (the server exited
    or closed the connection) calls `on_end()`; our own closing does not."""
    import anyio

    closing = False
    async with transport as (incoming, outgoing):
        relay_in, relay_out = anyio.create_memory_object_stream[Any](0)

        async def relay() -> None:
            try:
                async with relay_in:
                    async for message in incoming:
                        await relay_in.send(message)
            except (anyio.ClosedResourceError, anyio.BrokenResourceError):
                return  # the session closed its end: we are closing
            if not closing:
                on_end()

        async with anyio.create_task_group() as tasks:
            tasks.start_soon(relay)
            try:
                yield relay_out, outgoing
            finally:
                closing = True
                tasks.cancel_scope.cancel()
