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

from spark_desktop.engine import ChatDone, TextDelta
from spark_desktop.server import params
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
    if body.get("tools"):
        raise ApiError(400, "Tool calling is not supported by this server yet.", code="unsupported")
    messages = params.messages_of(body.get("messages"))
    return await _answer(request, body, model, messages,
                         lambda text: {"message": {"role": "assistant", "content": text}})


async def generate(request: Request) -> Response:
    """A prompt answered as one user message through the chat template (no raw mode yet)."""
    body = await params.read_json(request, request.app.state.config.max_body_bytes)
    model = params.model_name(body)
    prompt = body.get("prompt")
    if not isinstance(prompt, str) or not prompt:
        raise bad_request("`prompt` must be a non-empty string.", "prompt")
    if body.get("raw"):
        raise ApiError(400, "Raw prompts are not supported yet.", code="unsupported")
    system = body.get("system")
    messages = ([{"role": "system", "content": str(system)}] if system else [])
    messages.append({"role": "user", "content": prompt})
    return await _answer(request, body, model, messages, lambda text: {"response": text})


async def _answer(request: Request, body: dict[str, Any], model: str,
                  messages: list[dict[str, str]], shape: Any) -> Response:
    sampling = _sampling(body)
    reply = await start_reply(request.app.state.host, request, model, messages, sampling)
    if body.get("stream", True) is False:
        whole = await collect(reply, request)
        return JSONResponse({"model": model, "created_at": _stamp(), **shape(whole.text),
                             **_final(whole.done)})

    async def body_iter() -> AsyncIterator[str]:
        async for part in guarded(reply):
            if isinstance(part, TextDelta):
                yield _line({"model": model, "created_at": _stamp(), **shape(part.text),
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
