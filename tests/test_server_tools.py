"""Tool calling through the API, with the official `openai` package against a live server
and the real SmolLM2 (a plain ChatML template: the generic format, held to a grammar):
forced and named calls whose arguments follow the schema, streamed calls that assemble to
the same call, a follow-up from the tool's result, tool_choice none, bad tools, Ollama's
shape; and a Hermes-style template (a load override) whose forced call is parsed from
its <tool_call> markers."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from spark_desktop.engine import Client, TextDelta, ToolCall, tool_settings
from spark_desktop.inference_settings import SamplingSettings
from tests.fixtures.real_model import smollm2_path
from tests.host_fixtures import SMOL, Served, served, small_load
from tests.test_engine_tools import HERMES

pytestmark = pytest.mark.slow
__all__ = ["served"]

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"]}}}
ADD = {"type": "function", "function": {
    "name": "add", "description": "Add two numbers",
    "parameters": {"type": "object", "properties": {"a": {"type": "number"},
                                                    "b": {"type": "number"}},
                   "required": ["a", "b"]}}}
TOOLS = [WEATHER, ADD]
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]
TYPES = {"string": str, "number": (int, float), "integer": int, "boolean": bool,
         "object": dict, "array": list}


def client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url + "/v1", api_key="unused", max_retries=0)


def ask(served: Served, choice: Any, messages: list[dict[str, Any]] = ASK,
        **extra: Any) -> Any:
    return client(served).chat.completions.create(
        model=SMOL, messages=messages, tools=TOOLS, tool_choice=choice, temperature=0,
        max_tokens=60, **extra)


def follows_schema(arguments: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The arguments parsed and checked against the tool's schema: required keys present,
    no unknown keys, every value of its type (and in its enum)."""
    args = json.loads(arguments)
    assert isinstance(args, dict)
    props = schema["properties"]
    assert set(schema["required"]) <= set(args) <= set(props)
    for key, value in args.items():
        assert isinstance(value, TYPES[props[key]["type"]]), (key, value)
        assert value in props[key].get("enum", [value])
    return args


def test_required_produces_a_call_whose_arguments_follow_the_schema(served: Served) -> None:
    reply = ask(served, "required")
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.id.startswith("call_")
    tool = {t["function"]["name"]: t["function"] for t in TOOLS}[call.function.name]
    follows_schema(call.function.arguments, tool["parameters"])


def test_a_named_tool_choice_calls_that_function(served: Served) -> None:
    reply = ask(served, {"type": "function", "function": {"name": "add"}})
    (call,) = reply.choices[0].message.tool_calls
    assert call.function.name == "add"
    args = follows_schema(call.function.arguments, ADD["function"]["parameters"])
    assert set(args) == {"a", "b"}


def test_a_streamed_call_assembles_to_the_same_call(served: Served) -> None:
    whole = ask(served, "required").choices[0].message.tool_calls[0]
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in ask(served, "required", stream=True):
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for part in choice.delta.tool_calls or ():
                entry = calls.setdefault(part.index, {"id": "", "name": "", "arguments": ""})
                entry["id"] += part.id or ""
                entry["name"] += part.function.name or ""
                entry["arguments"] += part.function.arguments or ""
    assert finish == "tool_calls" and list(calls) == [0]
    assert calls[0]["name"] == whole.function.name and calls[0]["id"].startswith("call_")
    assert json.loads(calls[0]["arguments"]) == json.loads(whole.function.arguments)


def test_the_tool_result_gets_a_text_answer(served: Served) -> None:
    call = ask(served, {"type": "function", "function": {"name": "get_weather"}})
    asked = call.choices[0].message
    result = {"role": "tool", "tool_call_id": asked.tool_calls[0].id,
              "content": json.dumps({"temperature": 21, "sky": "sunny"})}
    follow = [*ASK, asked.model_dump(exclude_none=True), result]
    reply = ask(served, "auto", follow)
    choice = reply.choices[0]
    assert choice.message.tool_calls is None and choice.finish_reason == "stop"
    assert choice.message.content.strip()
    # the result is in the prompt: the same turn without it is shorter
    plain = ask(served, "auto", follow[:2])
    assert reply.usage.prompt_tokens > plain.usage.prompt_tokens


def test_tool_choice_none_answers_in_text(served: Served) -> None:
    reply = ask(served, "none")
    choice = reply.choices[0]
    assert choice.message.tool_calls is None
    assert choice.message.content.strip() and choice.finish_reason in ("stop", "length")


@pytest.mark.parametrize("tools, choice, param", [
    ([{"type": "function", "function": {"description": "no name"}}], "auto", "tools"),
    ([{"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}],
     "required", "tools"),
    (TOOLS, {"type": "function", "function": {"name": "missing"}}, "tool_choice"),
    # a schema that no grammar can enforce is found by the engine, before any reply
    ([{"type": "function", "function": {"name": "f", "parameters": {
        "type": "object", "properties": {"x": {"$ref": "#/$defs/nowhere"}}}}}],
     "required", "tools"),
])
def test_bad_tools_are_a_400_naming_the_field(served: Served, tools: Any, choice: Any,
                                              param: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client(served).chat.completions.create(model=SMOL, messages=ASK, tools=tools,
                                               tool_choice=choice, max_tokens=5)
    assert caught.value.status_code == 400
    assert caught.value.body["param"] == param and caught.value.body["message"]


def test_an_attached_host_client_gets_the_same_call(served: Served) -> None:
    """The app attached to a running host (HostClient) passes tools and reads calls back."""
    from spark_desktop.host.remote import HostClient

    expected = ask(served, "required").choices[0].message.tool_calls[0]
    with HostClient(served.url, "unused") as host:
        events = list(host.chat(SMOL, ASK, SamplingSettings(temperature=0, max_tokens=60),
                                tool_settings(TOOLS, "required")))
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert call.name == expected.function.name and call.id.startswith("call_")
    assert json.loads(call.arguments) == json.loads(expected.function.arguments)
    assert events[-1].finish_reason == "tool_calls"


def test_ollama_chat_returns_calls_with_object_arguments(served: Served) -> None:
    body = {"model": SMOL, "stream": False, "tools": TOOLS,
            "options": {"temperature": 0, "num_predict": 60},
            "messages": [{"role": "user", "content": "Call get_weather for Paris."}]}
    reply = httpx.post(served.url + "/api/chat", json=body, timeout=120).json()
    (call,) = reply["message"]["tool_calls"]
    assert call["function"]["name"] == "get_weather"
    assert follows_schema(json.dumps(call["function"]["arguments"]),
                          WEATHER["function"]["parameters"])["city"]
    assert reply["done"] is True
    lines = [json.loads(line) for line in httpx.post(
        served.url + "/api/chat", json={**body, "stream": True}, timeout=120).text.splitlines()]
    streamed = [c for line in lines for c in line["message"].get("tool_calls", ())]
    assert streamed == reply["message"]["tool_calls"] and lines[-1]["done"] is True
    # and the result goes back as Ollama sends it (arguments as an object, role tool)
    body["messages"] += [reply["message"], {"role": "tool", "tool_name": "get_weather",
                                            "content": '{"sky": "sunny"}'}]
    answer = httpx.post(served.url + "/api/chat", json=body, timeout=120).json()
    assert "tool_calls" not in answer["message"] and answer["message"]["content"].strip()


def sse_events(text: str) -> list[tuple[str, dict[str, Any]]]:
    blocks = (dict(line.split(": ", 1) for line in b.splitlines())
              for b in text.strip().split("\n\n"))
    return [(lines["event"], json.loads(lines["data"])) for lines in blocks]


def test_anthropic_tool_use_whole_streamed_and_its_result(served: Served) -> None:
    tools = [{"name": t["function"]["name"], "description": t["function"]["description"],
              "input_schema": t["function"]["parameters"]} for t in TOOLS]
    body = {"model": SMOL, "max_tokens": 60, "temperature": 0, "tools": tools,
            "tool_choice": {"type": "tool", "name": "get_weather"}, "messages": ASK}
    whole = httpx.post(served.url + "/v1/messages", json=body, timeout=120).json()
    assert whole["stop_reason"] == "tool_use"
    (use,) = [b for b in whole["content"] if b["type"] == "tool_use"]
    assert use["name"] == "get_weather" and use["id"].startswith("toolu_")
    follows_schema(json.dumps(use["input"]), WEATHER["function"]["parameters"])

    events = sse_events(httpx.post(served.url + "/v1/messages", json={**body, "stream": True},
                                   timeout=120).text)
    starts = [d["content_block"] for n, d in events if n == "content_block_start"]
    assert [b["type"] for b in starts] == ["text", "tool_use"]
    partial = "".join(d["delta"]["partial_json"] for n, d in events
                      if n == "content_block_delta" and d["delta"]["type"] == "input_json_delta")
    assert starts[1]["name"] == "get_weather" and json.loads(partial) == use["input"]
    assert [n for n, _ in events].count("content_block_stop") == 2
    assert events[-2][1]["delta"]["stop_reason"] == "tool_use"

    result = {"type": "tool_result", "tool_use_id": use["id"], "content": [
        {"type": "text", "text": '{"temperature": 21, "sky": "sunny"}'}]}
    answer = httpx.post(served.url + "/v1/messages", timeout=120, json={
        **body, "tool_choice": {"type": "auto"},
        "messages": [*ASK, {"role": "assistant", "content": whole["content"]},
                     {"role": "user", "content": [result]}]}).json()
    assert answer["stop_reason"] == "end_turn"
    assert [b["type"] for b in answer["content"]] == ["text"] and answer["content"][0]["text"]


def test_a_hermes_template_forced_call_is_parsed_from_its_markers() -> None:
    """The engine with a tools-aware template: the grammar writes the <tool_call> markers
    and the parser reads the call back (no text shown)."""
    from dataclasses import replace

    with Client() as engine:
        engine.load(smollm2_path(), replace(small_load(), chat_template=HERMES))
        settings = tool_settings(TOOLS, {"type": "function", "function": {"name": "add"}})
        events = list(engine.chat([{"role": "user", "content": "Add 2 and 3."}],
                                  SamplingSettings(temperature=0, max_tokens=60), settings))
    assert not [e for e in events if isinstance(e, TextDelta)]
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert call.name == "add"
    follows_schema(call.arguments, ADD["function"]["parameters"])
    assert events[-1].finish_reason == "tool_calls"
