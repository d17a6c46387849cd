"""Anthropic's Messages API (POST /v1/messages), streamed and whole, so Claude-style
agents can run against a local model. Text content, and tools (server.anthropic_tools)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spark_desktop.engine import ChatDone, TextDelta, ToolCall
from spark_desktop.server import params
from spark_desktop.server.anthropic_tools import anthropic_tools, openai_messages, tool_use
from spark_desktop.server.bridge import start_reply
from spark_desktop.server.common import collect, event_stream, guarded, new_id
from spark_desktop.server.errors import ApiError, bad_request


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data}, ensure_ascii=False)}\n\n"


def _stop_reason(done: ChatDone) -> str:
    """The engine does not say which stop string ended a reply, so a stop is end_turn."""
    if done.finish_reason == "tool_calls":
        return "tool_use"
    return "max_tokens" if done.finish_reason == "length" else "end_turn"


async def messages(request: Request) -> Response:
    body = await params.read_json(request, request.app.state.config.max_body_bytes)
    model = params.model_name(body)
    tools = anthropic_tools(body)
    if not isinstance(body.get("max_tokens"), int):
        raise bad_request("`max_tokens` is required and must be an integer.", "max_tokens")
    system = body.get("system")
    system_text = params.text_of(system, "system") if system else None
    msgs = params.messages_of(openai_messages(body.get("messages")), system=system_text)
    sampling = params.sampling_of(body, stop_key="stop_sequences")
    reply = await start_reply(request.app.state.host, request, model, msgs, sampling, tools)
    mid = new_id("msg_")
    if not body.get("stream"):
        whole = await collect(reply, request)
        return JSONResponse({
            "id": mid, "type": "message", "role": "assistant", "model": model,
            "content": ([{"type": "text", "text": whole.text}]
                        if whole.text or not whole.calls else [])
                       + [tool_use(c) for c in whole.calls],
            "stop_reason": _stop_reason(whole.done), "stop_sequence": None,
            "usage": {"input_tokens": whole.done.prompt_tokens,
                      "output_tokens": whole.done.completion_tokens}})

    async def body_iter() -> AsyncIterator[str]:
        yield _event("message_start", {"message": {
            "id": mid, "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 0, "output_tokens": 0}}})
        yield _event("content_block_start",
                     {"index": 0, "content_block": {"type": "text", "text": ""}})
        index = 0  # the open block; the text block closes when the first call arrives
        async for part in guarded(reply):
            if isinstance(part, TextDelta):
                yield _event("content_block_delta",
                             {"index": 0, "delta": {"type": "text_delta", "text": part.text}})
            elif isinstance(part, ToolCall):
                yield _event("content_block_stop", {"index": index})
                index += 1
                block = tool_use(part)
                yield _event("content_block_start",
                             {"index": index, "content_block": {**block, "input": {}}})
                yield _event("content_block_delta", {"index": index, "delta": {
                    "type": "input_json_delta", "partial_json": json.dumps(block["input"])}})
            elif isinstance(part, ChatDone):
                yield _event("content_block_stop", {"index": index})
                yield _event("message_delta", {
                    "delta": {"stop_reason": _stop_reason(part),
                              "stop_sequence": None},
                    "usage": {"input_tokens": part.prompt_tokens,
                              "output_tokens": part.completion_tokens}})
                yield _event("message_stop", {})
            elif isinstance(part, ApiError):
                yield _event("error", {"error": part.anthropic_body()["error"]})

    return event_stream(body_iter(), reply)


ROUTES = [Route("/v1/messages", messages, methods=["POST"])]
