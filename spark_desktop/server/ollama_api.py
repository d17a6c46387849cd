"""Ollama's shape: GET /api/tags, POST /api/chat and POST /api/generate, streamed as
newline-delimited JSON (Ollama streams by default), so tools made for Ollama work."""

from __future__ import annotations

import datetime
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spark_desktop.engine import ChatDone, TextDelta, ToolCall, ToolSettings
from spark_desktop.engine.context import raw_prompt
from spark_desktop.server import params, tools_api
from spark_desktop.server.bridge import run_blocking, start_reply
from spark_desktop.server.common import collect, event_stream, guarded
from spark_desktop.server.errors import ApiError, bad_request


def _stamp() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")


def _line(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False) + "\n"


def _final(done: ChatDone) -> dict[str, Any]:
    return {"done": True, "done_reason": "length" if done.finish_reason == "length" else "stop",
            "prompt_eval_count": done.prompt_tokens, "eval_count": done.completion_tokens}


async def tags(request: Request) -> Response:
    entries = await run_blocking(request.app.state.host.models)
    return JSONResponse({"models": [
        {"name": e.id, "model": e.id, "size": e.size, "digest": "",
         "modified_at": _stamp(), "details": {"format": "gguf", "quantization_level": e.quant}}
        for e in entries]})


def _sampling(body: dict[str, Any]) -> Any:
    options = body.get("options") or {}
    if not isinstance(options, dict):
        raise bad_request("`options` must be an object.", "options")
    return params.sampling_of(options, max_keys=("num_predict",),
                              json_schema=params.ollama_schema_of(body.get("format")))


async def chat(request: Request) -> Response:
    body = await params.read_json(request, request.app.state.config.max_body_bytes)
    model = params.model_name(body)
    tools = tools_api.ollama_tools(body)
    messages = params.messages_of(body.get("messages"))

    def shape(text: str, calls: list[ToolCall] | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = tools_api.ollama_calls(calls)
        return {"message": message}

    return await _answer(request, body, model, messages, shape, tools)


async def generate(request: Request) -> Response:
    """A prompt answered as one user message through the chat template, or with `raw`
    continued as it is (no template, no system prompt), as Ollama does."""
    body = await params.read_json(request, request.app.state.config.max_body_bytes)
    model = params.model_name(body)
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        raise bad_request("`prompt` must be a non-empty string.", "prompt")
    if body.get("raw"):
        return await _answer(request, body, model, raw_prompt(prompt),
                             lambda text: {"response": text})
    system = body.get("system")
    messages = ([{"role": "system", "content": str(system)}] if system else [])
    messages.append({"role": "user", "content": prompt})
    return await _answer(request, body, model, messages, lambda text: {"response": text})


async def _answer(request: Request, body: dict[str, Any], model: str,
                  messages: list[dict[str, Any]], shape: Any,
                  tools: ToolSettings | None = None) -> Response:
    sampling = _sampling(body)
    reply = await start_reply(request.app.state.host, request, model, messages, sampling, tools)
    if body.get("stream", True) is False:
        whole = await collect(reply, request)
        text = shape(whole.text, whole.calls) if whole.calls else shape(whole.text)
        return JSONResponse({"model": model, "created_at": _stamp(), **text,
                             **_final(whole.done)})

    async def body_iter() -> AsyncIterator[str]:
        async for part in guarded(reply):
            if isinstance(part, TextDelta):
                yield _line({"model": model, "created_at": _stamp(), **shape(part.text),
                             "done": False})
            elif isinstance(part, ToolCall):
                yield _line({"model": model, "created_at": _stamp(), **shape("", [part]),
                             "done": False})
            elif isinstance(part, ChatDone):
                yield _line({"model": model, "created_at": _stamp(), **shape(""),
                             **_final(part)})
            elif isinstance(part, ApiError):
                yield _line(part.ollama_body())

    return event_stream(body_iter(), reply, media_type="application/x-ndjson")


ROUTES = [
    Route("/api/tags", tags, methods=["GET"]),
    Route("/api/chat", chat, methods=["POST"]),
    Route("/api/generate", generate, methods=["POST"]),
]
