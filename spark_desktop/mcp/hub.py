"""The connections to the configured MCP servers, held open for the app's life.

The SDK is asyncio; the GUI and a chat turn's thread are not. One background thread runs
an event loop that owns every session (a stdio subprocess or a streamable HTTP client);
the public methods block their caller until the loop answers. A server that fails is a
status with the reason, never an exception that stops the others; one that dies is
started again at its next use; `close()` ends every subprocess. Importing the SDK takes
seconds, so it happens on the hub's thread, at first use.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AsyncExitStack
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spark_desktop.errors import SparkError
from spark_desktop.mcp import config as config_mod
from spark_desktop.mcp.config import McpConfig, McpConfigError, ServerConfig
from spark_desktop.mcp.reasons import call_failure, connect_failure, result_text
from spark_desktop.mcp.transport import StderrTail, open_transport

if TYPE_CHECKING:  # the chat package imports the history: seconds, not for the GUI thread
    from spark_desktop.chat.toolbox import ToolResult

#: A server whose last connection failed is tried again on ordinary use after this long.
RETRY_AFTER_S = 60.0
CLOSE_WAIT_S = 10.0


class McpUnavailable(SparkError):
    """The server cannot take the call: not configured, failed to start, or it stopped."""


class McpTimeout(SparkError):
    """The tool did not answer in time."""


@dataclass(frozen=True)
class McpTool:
    """One tool a server offers, by the server's own name for it."""

    server: str
    name: str
    description: str = ""
    input_schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})


@dataclass(frozen=True)
class ServerStatus:
    """Where one server stands: "off" (disabled), "idle" (not connected: never used yet,
    or stopped, then `error` says why), "ready" (with its tools) or "failed" (`error`)."""

    name: str
    transport: str
    state: str
    tools: tuple[McpTool, ...] = ()
    error: str = ""


class _Connection:
    """One server's session, touched only on the hub's thread."""

    def __init__(self, spec: ServerConfig) -> None:
        self.spec = spec
        self.client: Any = None
        self.stop = asyncio.Event()
        self.lock = asyncio.Lock()
        self.task: asyncio.Task[None] | None = None
        self.stderr: StderrTail | None = None
        self.failed_at = 0.0
        self.status = ServerStatus(spec.name, spec.transport, "off" if spec.disabled else "idle")


class McpHub:
    """The app's MCP servers: connect, list their tools, call one, close them all."""

    def __init__(self, config: McpConfig | None = None, *, path: Path | None = None,
                 connect_timeout: float = 30.0, load_error: str = "") -> None:
        """`path`: where `save()` keeps the configuration (default: the app's mcp.json)."""
        self.path = path
        self.connect_timeout = connect_timeout
        self.load_error = load_error  # why the saved file could not be used, if it could not
        self._config = config or McpConfig()
        self._lock = threading.Lock()
        self._conns = {s.name: _Connection(s) for s in self._config.servers}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._listeners: list[Callable[[McpConfig], None]] = []
        self._closed = False

    @classmethod
    def from_file(cls, path: Path | None = None, *, connect_timeout: float = 30.0) -> McpHub:
        """The servers saved at `path`; a damaged file gives none and `load_error`, and is
        left for the person to fix in Settings."""
        try:
            config, error = config_mod.load(path), ""
        except McpConfigError as exc:
            config, error = McpConfig(), str(exc)
        return cls(config, path=path, connect_timeout=connect_timeout, load_error=error)

    # -- configuration ------------------------------------------------------------------
    @property
    def config(self) -> McpConfig:
        return self._config

    def configure(self, config: McpConfig) -> None:
        """Use `config` from now on: servers whose launch changed or that were removed are
        closed (in the background); new ones connect at their first use."""
        with self._lock:
            old, self._config = self._conns, config
            self._conns = {}
            for spec in config.servers:
                conn = old.get(spec.name)
                if conn is not None and conn.spec.launch() == spec.launch():
                    conn.spec = spec
                else:
                    conn = _Connection(spec)
                self._conns[spec.name] = conn
            dropped = [c for name, c in old.items() if self._conns.get(name) is not c]
            loop = self._loop
        if loop is not None:
            for conn in dropped:
                loop.call_soon_threadsafe(conn.stop.set)
        for listener in list(self._listeners):
            listener(config)

    def save(self, config: McpConfig) -> None:
        """Write `config` to the file (atomically) and use it."""
        config_mod.save(config, self.path)
        self.load_error = ""
        self.configure(config)

    def subscribe(self, listener: Callable[[McpConfig], None]) -> None:
        """`listener(config)` after every configure, on the thread that configured."""
        self._listeners.append(listener)

    def statuses(self) -> tuple[ServerStatus, ...]:
        """Every configured server's status, in the configuration's order (no waiting)."""
        with self._lock:
            return tuple(c.status for c in self._conns.values())

    # -- blocking calls (not on the GUI thread) -----------------------------------------
    def connect(self, names: Iterable[str] | None = None, *,
                force: bool = False) -> tuple[ServerStatus, ...]:
        """Connect the servers named (all by default) that are not ready, all at once; a
        recently failed one only when `force`. Returns every server's status."""
        wanted = None if names is None else set(names)
        self._run(self._connect_all(wanted, force), self.connect_timeout + CLOSE_WAIT_S)
        return self.statuses()

    def tools(self) -> tuple[McpTool, ...]:
        """The tools of every enabled server, connecting those not connected yet; servers
        that cannot be reached offer none (their status says why)."""
        return tuple(t for s in self.connect() if s.state == "ready" for t in s.tools)

    def call_tool(self, server: str, tool: str, arguments: Mapping[str, Any],
                  timeout: float = 60.0) -> ToolResult:
        """Call `tool` of `server` and wait up to `timeout` seconds for its answer (the
        tool's own failure is a result with `is_error`). Raises McpTimeout, or
        McpUnavailable when the server is unknown, cannot start, or stopped meanwhile."""
        return self._wait(self.start_call(server, tool, arguments, timeout),
                          self.connect_timeout + timeout + CLOSE_WAIT_S)

    def start_call(self, server: str, tool: str, arguments: Mapping[str, Any],
                   timeout: float = 60.0) -> Future[ToolResult]:
        """The same call, not waited for: cancelling the future stops it."""
        return self._submit(self._call(server, tool, dict(arguments), timeout))

    def close(self) -> None:
        """End every session and subprocess and stop the thread (the window is closing)."""
        with self._lock:
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._close_all(), loop).result(CLOSE_WAIT_S * 2)
        except (FutureTimeout, RuntimeError):
            pass  # what would not stop in time is cancelled with the loop below
        loop.call_soon_threadsafe(loop.stop)
        thread.join(CLOSE_WAIT_S)

    # -- the loop's side ----------------------------------------------------------------
    def _run(self, coro: Any, limit: float) -> Any:
        return self._wait(self._submit(coro), limit)

    def _submit(self, coro: Any) -> Future[Any]:
        try:
            loop = self._start()
        except McpUnavailable:
            coro.close()
            raise
        return asyncio.run_coroutine_threadsafe(coro, loop)

    @staticmethod
    def _wait(future: Future[Any], limit: float) -> Any:
        try:
            return future.result(limit)
        except FutureTimeout:
            future.cancel()
            raise McpTimeout("The MCP servers did not answer in time.") from None

    def _start(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise McpUnavailable("The MCP connections are closed (the app is closing).")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=_serve, args=(loop,), daemon=True,
                                                name="mcp-hub")
                self._thread.start()
                self._loop = loop
            return self._loop

    def _connection(self, name: str) -> _Connection | None:
        with self._lock:
            return self._conns.get(name)

    async def _connect_all(self, wanted: set[str] | None, force: bool) -> None:
        with self._lock:
            conns = [c for n, c in self._conns.items() if wanted is None or n in wanted]
        due = [c for c in conns if not c.spec.disabled and (
            force or c.status.state == "idle"
            or (c.status.state == "failed" and time.monotonic() - c.failed_at > RETRY_AFTER_S))]
        await asyncio.gather(*(self._ensure(c) for c in due), return_exceptions=True)

    async def _ensure(self, conn: _Connection) -> Any:
        """The connection's client, connecting first when it has none (McpUnavailable with
        the reason when that fails)."""
        async with conn.lock:
            if conn.client is not None:
                return conn.client
            if conn.spec.disabled:
                raise McpUnavailable(f'The MCP server "{conn.spec.name}" is turned off '
                                     '("disabled": true in the MCP settings).')
            conn.stop = asyncio.Event()
            ready: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            conn.task = asyncio.create_task(self._hold(conn, ready))
            self._tasks.add(conn.task)
            conn.task.add_done_callback(self._tasks.discard)
            return await asyncio.shield(ready)

    async def _hold(self, conn: _Connection, ready: asyncio.Future[Any]) -> None:
        """Open the session, keep it open until `stop`, and keep the server's status (the
        transport's own exit closes the subprocess or the HTTP session). `ready` gets the
        client, or McpUnavailable with the reason it could not connect."""
        import anyio
        from mcp import Client

        me, stop = asyncio.current_task(), conn.stop
        stderr = StderrTail(asyncio.get_running_loop()) if conn.spec.command else None
        conn.stderr = stderr
        ended: list[str] = []

        def on_end() -> None:  # the server went away between calls
            if conn.task is me and conn.client is not None:
                conn.client = None
                ended.append(f'The MCP server "{conn.spec.name}" stopped; it starts again '
                             'at its next use.')
                stop.set()

        error: BaseException | None = None
        scope = anyio.CancelScope(deadline=anyio.current_time() + self.connect_timeout)
        try:
            with scope:
                async with AsyncExitStack() as stack:
                    transport = await open_transport(conn.spec, stack, stderr, on_end)
                    client = await stack.enter_async_context(Client(
                        transport, client_info=_client_info(), cache=None))
                    if stderr is not None:
                        stderr.release_writer()
                    tools = await _list_tools(client, conn.spec.name)
                    scope.deadline = math.inf
                    conn.client = client
                    self._set_status(conn, state="ready", tools=tools, error="")
                    ready.set_result(client)
                    await stop.wait()
            if not ready.done():
                error = TimeoutError()
        except Exception as exc:  # noqa: BLE001 (told as the server's status)
            error = exc
        finally:
            if stderr is not None:
                stderr.close()
            current = conn.task is me
            if current:
                conn.client = None
            if not ready.done():
                reason = connect_failure(conn.spec, error or McpUnavailable("closed"),
                                         stderr, self.connect_timeout)
                conn.failed_at = time.monotonic()
                self._set_status(conn, state="failed", tools=(), error=reason)
                ready.set_exception(McpUnavailable(reason))
            elif current and ended:
                said = stderr.text() if stderr is not None else ""
                self._set_status(conn, state="idle", tools=(), error=ended[0] + (
                    f" Its last words: {said}" if said else ""))
            elif current and conn.status.state == "ready":
                self._set_status(conn, state="idle", tools=())

    async def _call(self, server: str, tool: str, arguments: dict[str, Any],
                    timeout: float) -> ToolResult:
        from spark_desktop.chat.toolbox import ToolResult

        conn = self._connection(server)
        if conn is None:
            raise McpUnavailable(f'There is no MCP server named "{server}" in the settings.')
        client = await self._ensure(conn)
        try:
            result = await client.call_tool(tool, arguments, read_timeout_seconds=timeout)
        except Exception as exc:  # noqa: BLE001 (sorted into a result or our errors below)
            kind, sentence = call_failure(conn.spec, tool, exc, timeout, conn.stderr)
            if kind == "timeout":
                raise McpTimeout(sentence) from None
            if kind == "lost":
                await self._drop(conn, sentence)
                raise McpUnavailable(sentence) from None
            return ToolResult(sentence, is_error=True)
        return ToolResult(result_text(result), is_error=bool(result.is_error))

    async def _drop(self, conn: _Connection, reason: str) -> None:
        """Forget a session that died: its next use starts the server again."""
        async with conn.lock:
            conn.stop.set()
            if conn.task is not None:
                await asyncio.wait({conn.task}, timeout=CLOSE_WAIT_S)
            self._set_status(conn, state="idle", tools=(), error=reason)

    async def _close_all(self) -> None:
        with self._lock:
            conns = list(self._conns.values())
        for conn in conns:
            conn.stop.set()
        tasks = set(self._tasks)
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=CLOSE_WAIT_S)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=CLOSE_WAIT_S)

    def _set_status(self, conn: _Connection, **changes: Any) -> None:
        with self._lock:
            conn.status = replace(conn.status, **changes)


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    asyncio.set_event_loop(loop)
    try:
        loop.run_forever()
    finally:
        loop.close()


def _client_info() -> Any:
    from mcp import Implementation

    from spark_desktop import __version__

    return Implementation(name="spark-desktop", version=__version__)


async def _list_tools(client: Any, server: str) -> tuple[McpTool, ...]:
    """All the server's tools, following its pages."""
    tools: list[McpTool] = []
    cursor = None
    while True:
        page = await client.list_tools(cursor=cursor)
        tools += [McpTool(server, t.name, t.description or "", dict(t.input_schema or {}))
                  for t in page.tools]
        cursor = page.next_cursor
        if not cursor:
            return tuple(tools)
