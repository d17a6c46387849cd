"""Request bodies in, checked values out: JSON with a size limit, messages, sampling.

Each API shape maps its own field names onto the engine's SamplingSettings here, so
the handlers only route. Every rejection is an ApiError naming the field.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from spark_desktop.inference_settings import SamplingSettings
from spark_desktop.server.errors import ApiError, bad_request
from spark_desktop.server.tools_api import message_extras

MAX_STOPS = 8
ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant",
         "tool": "tool"}


async def read_json(request: Request, limit: int) -> dict[str, Any]:
    """The body as a JSON object; 413 past `limit` bytes, 400 when it is not JSON."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"The request body is larger than {limit} bytes.",
                       code="request_too_large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, f"The request body is larger than {limit} bytes.",
                           code="request_too_large")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise bad_request(f"The request body is not valid JSON: {exc}.") from exc
    if not isinstance(data, dict):
        raise bad_request("The request body must be a JSON object.")
    return data


def model_name(body: dict[str, Any]) -> str:
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise bad_request("Name the model: `model` must be a model id from /v1/models.", "model")
    return model.strip()


def text_of(content: Any, field: str) -> str:
    """A message's text: a string, or a list of text parts (other parts are refused)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict) and part.get("type") == "text":
                pieces.append(str(part.get("text", "")))
            else:
                kind = part.get("type") if isinstance(part, dict) else type(part).__name__
                raise ApiError(400, f"Content parts of type {kind!r} are not supported yet; "
                                    "send text.", param=field, code="unsupported")
        return "".join(pieces)
    raise bad_request(f"`{field}` must be a string or a list of text parts.", field)


def messages_of(raw: Any, field: str = "messages",
                system: str | None = None) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise bad_request(f"`{field}` must be a non-empty list of messages.", field)
    out = [{"role": "system", "content": system}] if system else []
    for i, message in enumerate(raw):
        if not isinstance(message, dict):
            raise bad_request(f"{field}[{i}] must be an object with role and content.", field)
        role = ROLES.get(str(message.get("role")))
        if role is None:
            raise ApiError(400, f"{field}[{i}] has role {message.get('role')!r}; this server "
                                "takes system, developer, user, assistant and tool messages.",
                           param=field, code="unsupported")
        out.append({"role": role, "content": text_of(message.get("content"), f"{field}[{i}]"),
                    **message_extras(message, role, f"{field}[{i}]")})
    return out


def _number(body: dict[str, Any], key: str, kind: type, low: float, high: float) -> Any:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (
            kind is int and not float(value).is_integer()):
        raise bad_request(f"`{key}` must be a{'n integer' if kind is int else ' number'}.", key)
    if not low <= value <= high:
        raise bad_request(f"`{key}` must be between {low:g} and {high:g}.", key)
    return kind(value)


def stops_of(value: Any, key: str = "stop") -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if (not isinstance(value, list) or len(value) > MAX_STOPS
            or not all(isinstance(s, str) and s for s in value)):
        raise bad_request(f"`{key}` must be a string or a list of up to {MAX_STOPS} "
                          "non-empty strings.", key)
    return tuple(value)


def sampling_of(body: dict[str, Any], *, max_keys: tuple[str, ...] = ("max_tokens",),
                stop_key: str = "stop", json_schema: str | None = None) -> SamplingSettings:
    """Sampling from the common field names (temperature, top_p, top_k, seed, stop,
    max tokens under any of `max_keys`); omitted fields keep the engine's defaults."""
    base = SamplingSettings()
    max_tokens = None
    for key in max_keys:
        max_tokens = max_tokens or _number(body, key, int, 1, 1 << 24)
    temperature = _number(body, "temperature", float, 0, 2)
    top_p = _number(body, "top_p", float, 0, 1)
    top_k = _number(body, "top_k", int, 0, 1 << 20)
    seed = _number(body, "seed", int, -(1 << 63), (1 << 64) - 1)
    return SamplingSettings(
        temperature=base.temperature if temperature is None else temperature,
        top_p=base.top_p if top_p is None else top_p,
        top_k=base.top_k if top_k is None else top_k,
        min_p=base.min_p, max_tokens=max_tokens,
        seed=None if seed is None else seed & 0xFFFFFFFF,
        stop=stops_of(body.get(stop_key), stop_key), json_schema=json_schema)


def reject_unsupported(body: dict[str, Any]) -> None:
    """Fields we cannot honour yet are refused rather than silently ignored."""
    n = body.get("n")
    if n not in (None, 1):
        raise bad_request("Only one choice per request is supported (`n` must be 1).", "n")


def json_schema_of(body: dict[str, Any]) -> str | None:
    """The JSON Schema (as text) that `response_format` asks the reply to follow, if any:
    json_object is any object; json_schema carries its schema. Enforced by a grammar."""
    fmt = body.get("response_format")
    if fmt is None:
        return None
    kind = fmt.get("type") if isinstance(fmt, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return '{"type": "object"}'
    if kind == "json_schema":
        spec = fmt.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        if not isinstance(schema, dict):
            raise bad_request("`response_format.json_schema.schema` must be a JSON Schema "
                              "object.", "response_format")
        return json.dumps(schema)
    raise bad_request("`response_format.type` must be text, json_object or json_schema.",
                      "response_format")


def ollama_schema_of(value: Any) -> str | None:
    """Ollama's `format`: "json" for any JSON object, or a JSON Schema object."""
    if value in (None, ""):
        return None
    if value == "json":
        return '{"type": "object"}'
    if isinstance(value, dict):
        return json.dumps(value)
    raise bad_request('`format` must be "json" or a JSON Schema object.', "format")
