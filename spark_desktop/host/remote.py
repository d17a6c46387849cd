"""HostClient: the host of another process on this machine (later: another machine),
reached over its own API. Same verbs as ModelHost where a GUI or CLI needs them:
models, loaded, load, unload, chat, embed."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Self

import httpx

from spark_desktop.engine import (
    ChatDone,
    ChatEvent,
    EmbeddingResult,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolSettings,
)
from spark_desktop.engine.events import unpack_vector
from spark_desktop.host.catalog import ModelEntry
from spark_desktop.host.errors import (
    HostError,
    HostUnreachableError,
    ModelBusyError,
    QueueFullError,
    UnknownModelError,
)
from spark_desktop.inference_settings import SamplingSettings

FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls"}


class HostClient:
    def __init__(self, url: str, token: str, timeout: float = 30.0) -> None:
        self.url = url
        self._http = httpx.Client(base_url=url, timeout=httpx.Timeout(timeout, read=None),
                                  headers={"Authorization": f"Bearer {token}"})

    def health(self) -> dict[str, Any]:
        return self._call("GET", "/health")

    def models(self) -> tuple[ModelEntry, ...]:
        data = self._call("GET", "/host/models")
        return tuple(_entry(item) for item in data["models"])

    def loaded(self) -> tuple[ModelEntry, ...]:
        return tuple(e for e in self.models() if e.loaded)

    def load(self, name: str) -> ModelEntry:
        return _entry(self._call("POST", "/host/load", {"model": name}))

    def unload(self, name: str) -> None:
        self._call("POST", "/host/unload", {"model": name})

    def chat(self, name: str, messages: Sequence[dict[str, Any]],
             sampling: SamplingSettings | None = None,
             tools: ToolSettings | None = None) -> Iterator[ChatEvent]:
        """Stream one reply from the running host; stopping early cancels it there."""
        s = sampling or SamplingSettings()
        body = {"model": name, "messages": list(messages), "stream": True,
                "stream_options": {"include_usage": True}, "temperature": s.temperature,
                "top_p": s.top_p, "top_k": s.top_k, "seed": s.seed, "stop": list(s.stop),
                "max_tokens": s.max_tokens}
        if s.json_schema is not None:  # a chat's structured output, held by the host
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "reply", "schema": json.loads(s.json_schema)}}
        if tools is not None:
            body["tools"] = [t.openai() for t in tools.tools]
            body["tool_choice"] = ({"type": "function", "function": {"name": tools.function}}
                                   if tools.function else tools.choice)
        body = {k: v for k, v in body.items() if v not in (None, [])}
        try:
            with self._http.stream("POST", "/v1/chat/completions", json=body) as response:
                if response.status_code != 200:
                    response.read()
                    raise _error(response)
                yield from _events(response.iter_lines())
        except httpx.HTTPError as exc:
            raise HostUnreachableError(f"The running host at {self.url} stopped answering: "
                                       f"{exc}.") from exc

    def embed(self, name: str, inputs: Sequence[str | Sequence[int]]) -> EmbeddingResult:
        """Embeddings from the running host's model (loaded there if needed)."""
        inputs = [inputs] if isinstance(inputs, str) else inputs
        data = self._call("POST", "/v1/embeddings", {
            "model": name, "encoding_format": "base64",
            "input": [item if isinstance(item, str) else list(item) for item in inputs]})
        rows = sorted(data["data"], key=lambda row: row["index"])
        return EmbeddingResult(tuple(unpack_vector(row["embedding"]) for row in rows),
                               int(data["usage"]["prompt_tokens"]))

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise HostUnreachableError(f"The running host at {self.url} does not answer: "
                                       f"{exc}.") from exc
        if response.status_code != 200:
            raise _error(response)
        return response.json()


def _events(lines: Iterator[str]) -> Iterator[ChatEvent]:
    finish, figures, counts = "stop", {}, None
    calls: dict[int, dict[str, str]] = {}  # streamed calls, assembled by index
    for line in lines:
        if not line.startswith("data: "):
            continue
        payload = line[6:]
        if payload == "[DONE]":
            break
        data = json.loads(payload)
        if "error" in data:
            raise HostError(data["error"].get("message", "The host reported an error."))
        if data.get("usage"):
            counts = data["usage"]
        for choice in data.get("choices", ()):
            delta = choice.get("delta", {})
            if delta.get("reasoning_content"):
                yield ReasoningDelta(delta["reasoning_content"])
            if delta.get("content"):
                yield TextDelta(delta["content"])
            for part in delta.get("tool_calls") or ():
                call = calls.setdefault(part["index"], {"id": "", "name": "", "arguments": ""})
                fn = part.get("function") or {}
                for key, value in (("id", part.get("id")), ("name", fn.get("name")),
                                   ("arguments", fn.get("arguments"))):
                    call[key] += value or ""
            if choice.get("finish_reason"):
                finish = FINISH.get(choice["finish_reason"], "stop")
                figures = data.get("timings", {})
    for _index, call in sorted(calls.items()):
        yield ToolCall(call["id"], call["name"], call["arguments"])
    counts = counts or {}
    yield ChatDone(finish_reason=finish,  # type: ignore[arg-type]
                   prompt_tokens=int(counts.get("prompt_tokens", 0)),
                   completion_tokens=int(counts.get("completion_tokens", 0)),
                   ttft_ms=float(figures.get("ttft_ms", 0.0)),
                   prefill_tps=float(figures.get("prefill_tps", 0.0)),
                   decode_tps=float(figures.get("decode_tps", 0.0)),
                   dropped_messages=int(figures.get("dropped_messages", 0)))


def _error(response: httpx.Response) -> HostError:
    """The host's typed error back from its HTTP status."""
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = response.text or f"HTTP {response.status_code}"
    status = response.status_code
    if status == 404:
        return UnknownModelError("", (), message)
    if status == 429:
        return QueueFullError("", 0, int(response.headers.get("retry-after", "1")), message)
    if status == 409:
        return ModelBusyError(message)
    if status == 401:
        return HostUnreachableError(f"The running host refused this user's token: {message}")
    return HostError(message)


def _entry(item: dict[str, Any]) -> ModelEntry:
    return ModelEntry(id=item["id"], path=Path(item["path"]), size=int(item["size"]),
                      quant=item["quant"], repo=item["repo"], loaded=bool(item["loaded"]),
                      memory=int(item["memory"]), n_ctx=int(item["n_ctx"]),
                      busy=int(item["busy"]))


class RemoteLease:
    """A chat client for one model of the running host, shaped like host.Lease (what a
    chat turn needs), one per turn: stopping ends the stream at its next event, which closes the
    request there and so cancels the model's work."""

    loaded = None  # the other process holds the model: no load settings to record here

    def __init__(self, client: HostClient, model_id: str) -> None:
        self.client = client
        self.model_id = model_id
        self._cancelled = False

    def chat(self, messages: Sequence[dict[str, Any]],
             sampling: SamplingSettings | None = None,
             tools: ToolSettings | None = None) -> Iterator[ChatEvent]:
        events = self.client.chat(self.model_id, messages, sampling, tools)
        try:
            for event in events:
                if self._cancelled:
                    return  # the turn marks the reply cancelled
                yield event
        finally:
            events.close()  # type: ignore[attr-defined]

    def cancel(self) -> None:
        self._cancelled = True

    def release(self) -> None:
        """Nothing to give back: the other host holds the slot for the request's length."""
