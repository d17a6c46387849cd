"""Embeddings: OpenAI's POST /v1/embeddings and Ollama's POST /api/embed.

Both ask the host (which loads the model if needed) for unit-length vectors, computed
by the model's worker beside its chats. OpenAI's `input` may be a string, a list of
strings, a list of token ids or a list of such lists (mixing texts and token lists is
allowed, as llama-server does); vectors come as floats or, with
`encoding_format: "base64"` (what the official client asks for), as base64 of
little-endian float32. An input longer than the model takes is refused with the
counts, never cut: Ollama's `truncate` is not honoured.
"""

from __future__ import annotations

import array
import base64
import sys
import threading
from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spark_desktop.engine import EmbeddingResult, InvalidOptionsError, PromptTooLongError
from spark_desktop.server import params
from spark_desktop.server.bridge import on_disconnect
from spark_desktop.server.errors import ApiError, bad_request

MAX_INPUTS = 2048  # OpenAI's own limit per request


def inputs_of(value: Any) -> list[str | list[int]]:
    """OpenAI's `input` as a list of texts and token lists; 400 naming what is wrong."""
    if isinstance(value, str):
        value = [value]
    elif isinstance(value, list) and value and all(_is_token(t) for t in value):
        value = [value]  # one list of token ids
    if not isinstance(value, list) or not value:
        raise bad_request("`input` must be a non-empty string, a list of strings, a list of "
                          "token ids or a list of token id lists.", "input")
    if len(value) > MAX_INPUTS:
        raise bad_request(f"`input` holds {len(value)} items; send at most {MAX_INPUTS} per "
                          "request.", "input")
    items: list[str | list[int]] = []
    for i, item in enumerate(value):
        if isinstance(item, str) and item:
            items.append(item)
        elif isinstance(item, list) and item and all(_is_token(t) for t in item):
            items.append(list(item))
        else:
            raise bad_request(f"`input[{i}]` must be a non-empty string or a non-empty list of "
                              "token ids (whole numbers from 0).", "input")
    return items


def _is_token(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _packed(vector: tuple[float, ...]) -> str:
    values = array.array("f", vector)
    if sys.byteorder == "big":
        values.byteswap()
    return base64.b64encode(values.tobytes()).decode("ascii")


async def compute(request: Request, model: str, inputs: list[str | list[int]]) -> EmbeddingResult:
    """The host's embeddings, given up if the client leaves; input errors name `input`."""
    abandon = threading.Event()
    host = request.app.state.host
    try:
        async with on_disconnect(request, abandon.set):
            # its own thread: a long request must not hold one of the shared pool's
            return await anyio.to_thread.run_sync(host.embed, model, inputs, abandon,
                                                  limiter=anyio.CapacityLimiter(1))
    except PromptTooLongError as exc:
        raise ApiError(400, str(exc), param="input", code="context_length_exceeded") from exc
    except InvalidOptionsError as exc:
        raise bad_request(str(exc), "input") from exc


async def embeddings(request: Request) -> Response:
    body = await params.read_json(request, request.app.state.config.max_body_bytes)
    model = params.model_name(body)
    inputs = inputs_of(body.get("input"))
    encoding = body.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise bad_request("`encoding_format` must be \"float\" or \"base64\".", "encoding_format")
    dimensions = body.get("dimensions")
    if dimensions is not None and (not _is_token(dimensions) or dimensions == 0):
        raise bad_request("`dimensions` must be a positive whole number.", "dimensions")
    result = await compute(request, model, inputs)
    if dimensions is not None and dimensions != result.dimensions:
        raise ApiError(400, f"{model} makes embeddings of {result.dimensions} dimensions and "
                            f"cannot shorten them: leave `dimensions` out or set it to "
                            f"{result.dimensions}.", param="dimensions", code="unsupported")
    return JSONResponse({
        "object": "list", "model": model,
        "data": [{"object": "embedding", "index": i,
                  "embedding": _packed(vector) if encoding == "base64" else list(vector)}
                 for i, vector in enumerate(result.vectors)],
        "usage": {"prompt_tokens": result.prompt_tokens, "total_tokens": result.prompt_tokens}})


async def ollama_embed(request: Request) -> Response:
    body = await params.read_json(request, request.app.state.config.max_body_bytes)
    model = params.model_name(body)
    value = body.get("input")
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(
            isinstance(item, str) and item for item in value):
        raise bad_request("`input` must be a non-empty string or a list of non-empty strings.",
                          "input")
    result = await compute(request, model, inputs_of(value))
    return JSONResponse({"model": model, "embeddings": [list(v) for v in result.vectors],
                         "prompt_eval_count": result.prompt_tokens})


ROUTES = [
    Route("/v1/embeddings", embeddings, methods=["POST"]),
    Route("/api/embed", ollama_embed, methods=["POST"]),
]
