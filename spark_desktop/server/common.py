"""Pieces every API shape shares: ids, timestamps and how a reply's text is gathered."""

from __future__ import annotations

import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import StreamingResponse

from spark_desktop.engine import ChatDone, ReasoningDelta, TextDelta, ToolCall
from spark_desktop.server.bridge import Reply, on_disconnect
from spark_desktop.server.errors import ApiError, from_exception


def new_id(prefix: str) -> str:
    return f"{prefix}{secrets.token_hex(12)}"


def now() -> int:
    return int(time.time())


@dataclass
class Whole:
    """A reply read to its end."""

    text: str
    reasoning: str
    done: ChatDone
    calls: list[ToolCall]


async def collect(reply: Reply, request: Request) -> Whole:
    """The whole reply; a client that leaves before it ends cancels it."""
    text: list[str] = []
    thinking: list[str] = []
    calls: list[ToolCall] = []
    done: ChatDone | None = None
    async with on_disconnect(request, reply.close):
        async for event in reply:
            if isinstance(event, TextDelta):
                text.append(event.text)
            elif isinstance(event, ReasoningDelta):
                thinking.append(event.text)
            elif isinstance(event, ToolCall):
                calls.append(event)
            elif isinstance(event, ChatDone):
                done = event
    if done is None:
        raise ApiError(500, "The reply ended without its final event.", "server_error")
    failed(done)
    return Whole("".join(text), "".join(thinking), done, calls)


def failed(done: ChatDone) -> None:
    if done.finish_reason == "error":
        raise ApiError(500, f"The model failed while answering: {done.error}", "server_error",
                       "engine_failed")


async def guarded(reply: Reply) -> AsyncIterator[Any]:
    """The reply's events; a failure mid-stream becomes one ApiError item (headers are sent)."""
    try:
        async for event in reply:
            if isinstance(event, ChatDone) and event.finish_reason == "error":
                try:
                    failed(event)
                except ApiError as exc:
                    yield exc
                    return
            yield event
    except Exception as exc:  # noqa: BLE001 - reported in the stream, the only way left
        yield from_exception(exc)


def event_stream(body: AsyncIterator[str], reply: Reply,
                 media_type: str = "text/event-stream") -> StreamingResponse:
    """A streamed response that cancels the reply when it stops early (client gone)."""
    return StreamingResponse(body, media_type=media_type, background=BackgroundTask(reply.close),
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
