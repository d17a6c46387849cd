"""From the host's blocking calls to the server's event loop, and back.

A slot is acquired in a thread while a watcher listens for the client leaving (then
the wait is abandoned); a reply streams from a producer thread into an asyncio
queue; when the consumer stops early (the client disconnected, the response was
cancelled) the reply is cancelled in the worker at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from typing import Any

import anyio
from starlette.requests import Request

from spark_desktop.engine import ChatDone, ChatEvent, ToolSettings
from spark_desktop.host import AbandonedError, Lease, ModelHost
from spark_desktop.inference_settings import SamplingSettings
from spark_desktop.server.auth import presented_key
from spark_desktop.server.errors import ApiError
from spark_desktop.server.recorder import Transcript, log_failure, plain_messages

_END = object()


@contextlib.asynccontextmanager
async def on_disconnect(request: Request, action: Callable[[], None]) -> AsyncIterator[None]:
    """Run `action` if the client leaves while the body of this block runs (the request's
    body must already be read: what arrives now can only be the disconnect)."""
    async def watch() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass
        action()

    watcher = asyncio.ensure_future(watch())
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def acquire(host: ModelHost, model: str, request: Request) -> Lease:
    """A slot of `model` (loading it if needed), given up if the client leaves first."""
    abandon = threading.Event()

    def take() -> Lease:
        lease = host.acquire(model, abandon)
        if abandon.is_set():
            lease.release()
            raise AbandonedError("The client left while the model was being prepared.")
        return lease

    async with on_disconnect(request, abandon.set):
        # its own thread, not one of the shared pool's: a long line must not starve the rest
        return await anyio.to_thread.run_sync(take, limiter=anyio.CapacityLimiter(1))


async def run_blocking(call: Any, *args: Any) -> Any:
    return await anyio.to_thread.run_sync(call, *args)


class Reply:
    """One reply streaming from a producer thread; the lease is released when it ends.

    Iterate it for the events; close() (also called when iteration stops early)
    cancels the reply in the worker unless it already ended. With `on_end`, the reply is
    gathered as the history keeps it and handed to it when the reply ends, however it ends.
    """

    def __init__(self, lease: Lease, messages: Sequence[dict[str, Any]],
                 sampling: SamplingSettings, tools: ToolSettings | None = None,
                 on_end: Callable[[Transcript], None] | None = None) -> None:
        self._lease = lease
        self._on_end = on_end
        self._loop = asyncio.get_running_loop()
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._finished = False
        threading.Thread(target=self._produce, args=(messages, sampling, tools),
                         name="api-reply", daemon=True).start()

    def _put(self, item: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the loop is gone (server shutting down)
            pass

    def _produce(self, messages: Sequence[dict[str, Any]], sampling: SamplingSettings,
                 tools: ToolSettings | None) -> None:
        transcript = Transcript() if self._on_end is not None else None
        try:
            for event in self._lease.chat(messages, sampling, tools):
                if transcript is not None:
                    transcript.add(event)
                self._put(event)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            self._put(exc)
        finally:
            self._lease.release()
            self._put(_END)
            if self._on_end is not None and transcript is not None:
                self._on_end(transcript)

    async def __aiter__(self) -> AsyncIterator[ChatEvent]:
        try:
            while True:
                item = await self._queue.get()
                if item is _END:
                    self._finished = True
                    return
                if isinstance(item, BaseException):
                    self._finished = True
                    raise item
                if isinstance(item, ChatDone):
                    self._finished = True
                yield item
        finally:
            self.close()

    def close(self) -> None:
        if not self._finished:
            self._finished = True
            self._lease.cancel()


async def start_reply(host: ModelHost, request: Request, model: str,
                      messages: Sequence[dict[str, Any]], sampling: SamplingSettings,
                      tools: ToolSettings | None = None) -> Reply:
    """Acquire a slot, check the prompt fits the context (400 with the counts) and the
    tools' schemas become grammars (400), start."""
    lease = await acquire(host, model, request)
    try:
        prompt = await run_blocking(lease.count_tokens, messages, tools)
        n_ctx = lease.loaded.info.n_ctx
        wanted = sampling.max_tokens or 0
        if not wanted:  # up to the end of the context, so the engine never drops messages
            sampling = replace(sampling, max_tokens=max(1, n_ctx - prompt))
        if prompt >= n_ctx or prompt + wanted > n_ctx:
            reply = f" and {wanted} for the completion" if wanted else ""
            raise ApiError(
                400, f"This model's maximum context length is {n_ctx} tokens, but the request "
                     f"needs {prompt + wanted} ({prompt} in the messages{reply}). Shorten the "
                     "messages or ask for fewer tokens.",
                param="messages", code="context_length_exceeded")
        return Reply(lease, messages, sampling, tools, _recording(request, model, messages))
    except BaseException:
        lease.release()
        raise


def _recording(request: Request, model: str, messages: Sequence[dict[str, Any]]
               ) -> Callable[[Transcript], None] | None:
    """What saves this exchange to the history, when the user turned saving on."""
    config = request.app.state.config
    if config.recorder is None or not config.recorder.enabled:
        return None
    key_name = config.keys.name_of(presented_key(request.headers))
    asked = plain_messages(messages)

    def save(transcript: Transcript) -> None:
        exchange = transcript.exchange(key_name, model, asked)
        config.recorder.record(exchange).add_done_callback(log_failure)
    return save
