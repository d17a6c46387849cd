"""The Anthropic and Ollama shapes with httpx against a live server (real SmolLM2), and
the keys: required when set, both header styles, revoked by editing the keys file,
and no listening beyond loopback without one."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import openai
import pytest

from spark_desktop.server import ApiServer, BindRefusedError, KeyRing, ServerConfig, check_bind
from tests.host_fixtures import SMOL, Served, served

__all__ = ["served"]
HELLO = [{"role": "user", "content": "Say hello."}]


def sse_events(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


@pytest.mark.slow
def test_anthropic_messages_whole_and_streamed_agree(served: Served) -> None:
    body = {"model": SMOL, "max_tokens": 10, "temperature": 0, "system": "Be brief.",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "Say hi."}]}]}
    whole = httpx.post(served.url + "/v1/messages", json=body, timeout=120)
    assert whole.status_code == 200
    data = whole.json()
    assert data["type"] == "message" and data["role"] == "assistant"
    text = data["content"][0]["text"]
    assert text and data["usage"]["output_tokens"] <= 10
    assert data["stop_reason"] in ("end_turn", "max_tokens")

    streamed = httpx.post(served.url + "/v1/messages", json={**body, "stream": True}, timeout=120)
    events = sse_events(streamed.text)
    names = [name for name, _ in events]
    assert names[:2] == ["message_start", "content_block_start"]
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    pieces = [d["delta"]["text"] for n, d in events if n == "content_block_delta"]
    assert "".join(pieces) == text
    assert events[-2][1]["usage"]["output_tokens"] == data["usage"]["output_tokens"]


def test_anthropic_errors_have_the_anthropic_shape(served: Served) -> None:
    answer = httpx.post(served.url + "/v1/messages", json={"model": SMOL, "messages": HELLO})
    assert answer.status_code == 400
    assert answer.json()["type"] == "error"
    assert answer.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.slow
def test_ollama_tags_chat_and_generate(served: Served) -> None:
    tags = httpx.get(served.url + "/api/tags").json()
    assert SMOL in {m["name"] for m in tags["models"]}

    options = {"temperature": 0, "num_predict": 8}
    lines = httpx.post(served.url + "/api/chat", timeout=120,
                       json={"model": SMOL, "messages": HELLO, "options": options}).text
    chunks = [json.loads(line) for line in lines.splitlines()]
    assert all(not c["done"] for c in chunks[:-1]) and chunks[-1]["done"]
    streamed = "".join(c["message"]["content"] for c in chunks)
    assert streamed and 0 < chunks[-1]["eval_count"] <= 8

    whole = httpx.post(served.url + "/api/chat", timeout=120, json={
        "model": SMOL, "messages": HELLO, "options": options, "stream": False}).json()
    assert whole["message"]["content"] == streamed and whole["done"]

    generated = httpx.post(served.url + "/api/generate", timeout=120, json={
        "model": SMOL, "prompt": "Say hello.", "options": options, "stream": False}).json()
    assert generated["response"] == streamed  # the same prompt through the same template
    # raw: the prompt continued as it is, its tokens exactly llama.cpp's tokenization
    from tests.fixtures.embed_reference import reference
    from tests.fixtures.real_model import smollm2_path

    raw = httpx.post(served.url + "/api/generate", timeout=120, json={
        "model": SMOL, "prompt": "Say hello.", "raw": True, "options": options,
        "stream": False}).json()
    (tokens,) = reference(smollm2_path(), ["Say hello."]).tokens
    assert raw["prompt_eval_count"] == len(tokens) < generated["prompt_eval_count"]

    schema = {"type": "object", "required": ["animal"], "additionalProperties": False,
              "properties": {"animal": {"type": "string", "enum": ["cat", "dog"]}}}
    formatted = httpx.post(served.url + "/api/generate", timeout=120, json={
        "model": SMOL, "prompt": "Which animal says meow?", "format": schema, "stream": False,
        "options": {"temperature": 0, "num_predict": 40}}).json()
    assert json.loads(formatted["response"])["animal"] in ("cat", "dog")

    missing = httpx.post(served.url + "/api/chat", json={"model": "nope", "messages": HELLO})
    assert missing.status_code == 404 and "nope" in missing.json()["error"]


@pytest.mark.slow
def test_keys_are_required_when_set_and_revoked_by_editing_the_file(
        served: Served, tmp_path: Path) -> None:
    keys_file = tmp_path / "keys"
    keys_file.write_text("alice sk-alice-0123456789\nbob sk-bob-0123456789\n")
    ring = KeyRing(keys_file=keys_file)
    with ApiServer(served.host, ServerConfig(port=0, keys=ring)) as server:
        def ask(key: str | None) -> int:
            headers = {} if key is None else {"x-api-key": key}
            return httpx.get(server.url + "/v1/models", headers=headers).status_code

        anonymous = openai.OpenAI(base_url=server.url + "/v1", api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            anonymous.models.list()
        assert ask(None) == 401
        assert httpx.get(server.url + "/health").status_code == 200  # open for monitors
        alice = openai.OpenAI(base_url=server.url + "/v1", api_key="sk-alice-0123456789",
                              max_retries=0)
        assert SMOL in {m.id for m in alice.models.list()}  # Authorization: Bearer
        assert ask("sk-bob-0123456789") == 200  # x-api-key, as Anthropic's clients send it
        keys_file.write_text("alice sk-alice-0123456789\n")  # bob's key revoked
        assert ask("sk-bob-0123456789") == 401
        assert ask("sk-alice-0123456789") == 200
        assert httpx.get(server.url + "/host/models",
                         headers={"x-api-key": "sk-alice-0123456789"}).status_code == 401


def test_listening_beyond_loopback_needs_a_key() -> None:
    with pytest.raises(BindRefusedError, match="API key"):
        check_bind(ServerConfig(host="0.0.0.0"))
    check_bind(ServerConfig(host="0.0.0.0", keys=KeyRing(keys={"sk-0123456789": "me"})))
    check_bind(ServerConfig(host="::1"))
