"""OpenAI's shape: /v1/models, /v1/chat/completions, /v1/completions (embeddings:
server.embeddings_api).

Streams are server-sent events ending with `data: [DONE]`; the final chunk carries
`timings` (our extension, as llama-server does) so HostClient can rebuild ChatDone.
Reasoning goes to `reasoning_content`, the field llama-server and DeepSeek use.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spark_desktop.engine import ChatDone, ReasoningDelta, TextDelta, ToolCall
from spark_desktop.engine.context import raw_prompt
from spark_desktop.server import params, tools_api
from spark_desktop.server.bridge import run_blocking, start_reply
from spark_desktop.server.common import collect, event_stream, guarded, new_id, now
from spark_desktop.server.errors import ApiError, bad_request

FINISH = {"stop": "stop", "length": "length", "cancelled": "stop", "error": "stop",
          "tool_calls": "tool_calls"}


def sse(data: Any) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def usage(done: ChatDone) -> dict[str, int]:
    return {"prompt_tokens": done.prompt_tokens, "completion_tokens": done.completion_tokens,
            "total_tokens": done.prompt_tokens + done.completion_tokens}


def timings(done: ChatDone) -> dict[str, float]:
    return {"ttft_ms": round(done.ttft_ms, 2), "prefill_tps": round(done.prefill_tps, 2),
            "decode_tps": round(done.decode_tps, 2), "dropped_messages": done.dropped_messages}


async def list_models(request: Request) -> Response:
    entries = await run_blocking(request.app.state.host.models)
    return JSONResponse({"object": "list", "data": [
        {"id": e.id, "object": "model", "created": 0, "owned_by": "local", "loaded": e.loaded,
         "size": e.size, "quantization": e.quant} for e in entries]})


async def chat_completions(request: Request) -> Response:
    body = await params.read_json(request, request.app.state.config.max_body_bytes)
    model = params.model_name(body)
    params.reject_unsupported(body)
    messages = params.messages_of(body.get("messages"))
    sampling = params.sampling_of(body, max_keys=("max_completion_tokens", "max_tokens"),
                                  json_schema=params.json_schema_of(body))
    tools = tools_api.openai_tools(body)
    stream, include_usage = _stream_flags(body)
    reply = await start_reply(request.app.state.host, request, model, messages, sampling, tools)
    rid, created = new_id("chatcmpl-"), now()
    if not stream:
        whole = await collect(reply, request)
        message: dict[str, Any] = {"role": "assistant",
                                   "content": whole.text if whole.text or not whole.calls
                                   else None}
        if whole.reasoning:
            message["reasoning_content"] = whole.reasoning
        if whole.calls:
            message["tool_calls"] = tools_api.openai_calls(whole.calls)
        return JSONResponse({
            "id": rid, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": message,
                         "finish_reason": FINISH[whole.done.finish_reason]}],
            "usage": usage(whole.done), "timings": timings(whole.done)})

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        return sse({"id": rid, "object": "chat.completion.chunk", "created": created,
                    "model": model, "choices": [{"index": 0, "delta": delta,
                                                 "finish_reason": finish}], **extra})

    async def body_iter() -> AsyncIterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        calls = 0
        async for part in guarded(reply):
            if isinstance(part, TextDelta):
                yield chunk({"content": part.text})
            elif isinstance(part, ToolCall):
                yield chunk(tools_api.openai_call_delta(calls, part))
                calls += 1
            elif isinstance(part, ReasoningDelta):
                yield chunk({"reasoning_content": part.text})
            elif isinstance(part, ChatDone):
                yield chunk({}, FINISH[part.finish_reason], timings=timings(part))
                if include_usage:
                    yield sse({"id": rid, "object": "chat.completion.chunk", "created": created,
                               "model": model, "choices": [], "usage": usage(part)})
            elif isinstance(part, ApiError):
                yield sse(part.openai_body())
        yield "data: [DONE]\n\n"

    return event_stream(body_iter(), reply)


async def completions(request: Request) -> Response:
    """A text completion: the prompt is continued as it is, with no chat template around
    it (what base models are for; the GGUF's BOS is added as llama.cpp does)."""
    body = await params.read_json(request, request.app.state.config.max_body_bytes)
    model = params.model_name(body)
    params.reject_unsupported(body)
    prompt = body.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise bad_request("`prompt` must be a string (one prompt per request).", "prompt")
    if body.get("suffix") or body.get("echo") or body.get("logprobs"):
        raise ApiError(400, "suffix, echo and logprobs are not supported yet.", code="unsupported")
    sampling = params.sampling_of(body, json_schema=params.json_schema_of(body))
    stream, include_usage = _stream_flags(body)
    messages = raw_prompt(prompt)
    reply = await start_reply(request.app.state.host, request, model, messages, sampling)
    rid, created = new_id("cmpl-"), now()

    def choice(text: str, finish: str | None) -> dict[str, Any]:
        return {"index": 0, "text": text, "logprobs": None, "finish_reason": finish}

    if not stream:
        whole = await collect(reply, request)
        return JSONResponse({"id": rid, "object": "text_completion", "created": created,
                             "model": model,
                             "choices": [choice(whole.text, FINISH[whole.done.finish_reason])],
                             "usage": usage(whole.done)})

    async def body_iter() -> AsyncIterator[str]:
        base = {"id": rid, "object": "text_completion", "created": created, "model": model}
        async for part in guarded(reply):
            if isinstance(part, TextDelta):
                yield sse({**base, "choices": [choice(part.text, None)]})
            elif isinstance(part, ChatDone):
                yield sse({**base, "choices": [choice("", FINISH[part.finish_reason])]})
                if include_usage:
                    yield sse({**base, "choices": [], "usage": usage(part)})
            elif isinstance(part, ApiError):
                yield sse(part.openai_body())
        yield "data: [DONE]\n\n"

    return event_stream(body_iter(), reply)


def _stream_flags(body: dict[str, Any]) -> tuple[bool, bool]:
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise bad_request("`stream` must be true or false.", "stream")
    options = body.get("stream_options") or {}
    if not isinstance(options, dict):
        raise bad_request("`stream_options` must be an object.", "stream_options")
    return stream, bool(options.get("include_usage"))


ROUTES = [
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/completions", completions, methods=["POST"]),
]
