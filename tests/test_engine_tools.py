"""Tool calling without a model: checking tools, putting them into the prompt (a Jinja
template with a `tools` variable, or the generic system section), the grammar's schema,
and reading calls back out of Hermes, Llama 3.1 JSON and generic replies."""

from __future__ import annotations

import json

import pytest

from spark_desktop.engine import ToolSchemaError
from spark_desktop.engine.templates import jinja_render
from spark_desktop.engine.tools import (
    ToolCallParser,
    ToolSettings,
    parse_calls,
    prepare,
    template_format,
    tool_settings,
)

WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                   "required": ["city"]}}}
ADD = {"type": "function", "function": {
    "name": "add", "parameters": {"type": "object", "properties": {
        "a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}}}
CALLED = [{"role": "user", "content": "Weather in Paris?"},
          {"role": "assistant", "content": None, "tool_calls": [
              {"id": "call_1", "type": "function",
               "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
          {"role": "tool", "tool_call_id": "call_1", "content": '{"sky": "sunny"}'}]

# A small Hermes-style template (as Qwen 2.5's): tools listed in the system turn, calls
# and results in their own tags.
HERMES = """{%- if tools %}<|im_start|>system
Tools:{% for t in tools %} {{ t.function | tojson }}{% endfor %}
Call one as <tool_call>{"name": ..., "arguments": ...}</tool_call><|im_end|>
{% endif %}
{%- for m in messages %}<|im_start|>{{ m.role }}
{% if m.tool_calls %}{% for c in m.tool_calls %}<tool_call>
{"name": "{{ c.function.name }}", "arguments": {{ c.function.arguments | tojson }}}
</tool_call>{% endfor %}{% elif m.role == "tool" %}<tool_response>
{{ m.content }}
</tool_response>{% else %}{{ m.content }}{% endif %}<|im_end|>
{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant
{% endif %}"""
CHATML = ("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n"
          "{% endfor %}<|im_start|>assistant\n")
LLAMA3 = ('{% if tools %}Respond in the format {"name": function name, "parameters": '
          'dictionary of argument name and its value}.{{ tools | tojson }}{% endif %}'
          "{% for m in messages %}{{ m.content }}{% endfor %}")


@pytest.mark.parametrize("tools, choice, param", [
    ([], "auto", "non-empty list"),
    ([{"type": "function", "function": {"description": "no name"}}], "auto", "name"),
    ([{"type": "function", "function": {"name": "has space"}}], "auto", "name"),
    ([{"type": "retrieval"}], "auto", '"type": "function"'),
    ([{"type": "function", "function": {"name": "f", "parameters": "{}"}}], "auto",
     "parameters"),
    ([{"type": "function", "function": {"name": "f", "parameters": {"type": "array"}}}],
     "auto", "parameters"),
    ([WEATHER, WEATHER], "auto", "repeats"),
    ([WEATHER], "sometimes", "tool_choice"),
    ([WEATHER], {"type": "function", "function": {"name": "nope"}}, "tool_choice"),
])
def test_bad_tools_are_refused_with_the_field_named(tools: object, choice: object,
                                                    param: str) -> None:
    with pytest.raises(ToolSchemaError, match=param):
        tool_settings(tools, choice)


def test_settings_travel_to_the_worker_and_back() -> None:
    named = tool_settings([WEATHER, ADD], {"type": "function", "function": {"name": "add"}})
    assert named.forced and named.function == "add"
    assert [t.name for t in named.allowed()] == ["add"]
    again = ToolSettings.from_dict(json.loads(json.dumps(named.to_dict())))
    assert again == named
    assert not tool_settings([WEATHER]).forced


@pytest.mark.parametrize("template, expected", [
    (HERMES, "hermes"), (LLAMA3, "llama3"), (CHATML, "generic"), (None, "generic"),
    ("{% for t in tools %}{{ t.function.name }}{% endfor %}", "json"),
    ("{% for m in messages %}{{ m.content }}{% endfor %}{# tools #}", "generic"),
])
def test_the_template_decides_the_format(template: str | None, expected: str) -> None:
    assert template_format(template) == expected


def test_a_template_with_tools_renders_them_and_the_earlier_call() -> None:
    settings = tool_settings([WEATHER, ADD], "auto")
    prompt = prepare(CALLED, settings, "hermes")
    assert prompt.grammar is None and prompt.parse == "hermes"  # auto: the model chooses
    text = jinja_render(HERMES, "", "", False)(prompt.messages, prompt.tools)
    assert '"name": "get_weather"' in text and '"name": "add"' in text
    # the call's arguments reach the template as an object (transformers' convention)
    assert '"arguments": {"city": "Paris"}' in text
    assert '<tool_response>\n{"sky": "sunny"}\n</tool_response>' in text
    assert text.endswith("<|im_start|>assistant\n")
    without = jinja_render(HERMES, "", "", False)(prepare(CALLED, None, "hermes").messages)
    assert "Tools:" not in without


def test_a_forced_call_in_a_template_format_gets_its_markers_and_schema() -> None:
    prompt = prepare(CALLED[:1], tool_settings(
        [WEATHER, ADD], {"type": "function", "function": {"name": "add"}}), "hermes")
    assert prompt.grammar is not None
    assert (prompt.grammar.prefix, prompt.grammar.suffix) == ("<tool_call>\n", "\n</tool_call>")
    schema = json.loads(prompt.grammar.schema)
    assert schema["properties"]["name"] == {"const": "add"}
    assert schema["properties"]["arguments"]["required"] == ["a", "b"]
    llama = prepare(CALLED[:1], tool_settings([WEATHER, ADD], "required"), "llama3")
    options = json.loads(llama.grammar.schema)["anyOf"]
    assert [o["required"] for o in options] == [["name", "parameters"]] * 2


def test_the_generic_format_adds_a_system_section_and_speaks_results_in_words() -> None:
    system = [{"role": "system", "content": "Be brief."}]
    prompt = prepare(system + CALLED, tool_settings([WEATHER], "auto"), "generic")
    assert prompt.tools is None and prompt.parse == "generic"
    first = prompt.messages[0]
    assert first["content"].startswith("Be brief.\n\n") and "get_weather" in first["content"]
    assert '{"response"' in first["content"]
    roles = [m["role"] for m in prompt.messages]
    assert roles == ["system", "user", "assistant", "user"]  # no tool role in the template
    assert prompt.messages[2]["content"] == 'I will call get_weather with {"city": "Paris"}.'
    assert prompt.messages[3]["content"] == 'get_weather returned: {"sky": "sunny"}'
    either = json.loads(prompt.grammar.schema)["anyOf"]
    assert [o["required"] for o in either] == [["tool_call"], ["response"]]
    forced = prepare(CALLED[:1], tool_settings([WEATHER], "required"), "generic")
    assert json.loads(forced.grammar.schema)["required"] == ["tool_call"]
    assert forced.messages[0]["role"] == "system"


def test_tool_choice_none_offers_no_tools_to_a_plain_template() -> None:
    prompt = prepare(CALLED, tool_settings([WEATHER], "none"), "generic")
    assert prompt.grammar is None and prompt.parse is None
    assert [m["role"] for m in prompt.messages] == ["user", "assistant", "user"]
    assert "get_weather returned" in prompt.messages[2]["content"]


def stream(fmt: str, text: str, step: int) -> tuple[str, list, str]:
    """Feed `text` in pieces of `step` characters: (text shown while streaming, calls,
    text released at the end)."""
    parser = ToolCallParser(fmt)
    shown = "".join(parser.feed(text[i:i + step]) for i in range(0, len(text), step))
    rest, calls = parser.finish()
    return shown, calls, rest


HERMES_TWO = ('Let me check. <tool_call>\n{"name": "get_weather", "arguments": {"city": "Oslo"}}'
              '\n</tool_call>\n<tool_call>{"name": "add", "arguments": {"a": 1, "b": 2}}'
              "</tool_call>")


@pytest.mark.parametrize("step", [1, 2, 3, 7, 1000])
def test_hermes_shows_the_text_before_the_calls_and_parses_each(step: int) -> None:
    shown, calls, rest = stream("hermes", HERMES_TWO, step)
    assert shown == "Let me check. " and rest == ""
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [
        ("get_weather", {"city": "Oslo"}), ("add", {"a": 1, "b": 2})]
    assert len({c.id for c in calls}) == 2 and calls[0].id.startswith("call_")


@pytest.mark.parametrize("step", [1, 4, 1000])
def test_text_that_only_looks_like_a_call_comes_out_unchanged(step: int) -> None:
    plain = "Use <tool> tags, a < b, and {braces} later."
    assert stream("hermes", plain, step) == (plain, [], "")
    assert stream("llama3", plain, step) == (plain, [], "")
    broken = "<tool_call>{not json</tool_call>"
    shown, calls, rest = stream("hermes", broken, step)
    assert calls == [] and shown + rest == broken


@pytest.mark.parametrize("text", [
    '{"name": "get_weather", "parameters": {"city": "Rome"}}',
    '  <|python_tag|>{"name": "get_weather", "parameters": {"city": "Rome"}}',
    '{"name": "get_weather", "arguments": "{\\"city\\": \\"Rome\\"}"}',
])
def test_llama3_json_calls(text: str) -> None:
    shown, calls, rest = stream("llama3", text, 3)
    assert shown == rest == ""
    assert [(c.name, json.loads(c.arguments)) for c in calls] == [("get_weather",
                                                                   {"city": "Rome"})]


@pytest.mark.parametrize("step", [1, 2, 5, 1000])
def test_a_generic_answer_streams_as_its_text_grows(step: int) -> None:
    reply = '{"response": "It is \\"sunny\\",\\n21 \\u00b0C \\ud83d\\ude00 \\\\o/"} '
    expected = json.loads(reply)["response"]
    assert stream("generic", reply, step) == (expected, [], "")
    parser = ToolCallParser("generic")
    assert parser.feed('{"response": "Half') == "Half"  # shown before the reply ends
    assert parser.feed(' an answer') == " an answer"
    assert parser.finish() == ("", [])  # cut short (max tokens): what came is kept


def test_generic_replies_are_a_call_or_an_answer() -> None:
    call = '{"tool_call": {"name": "add", "arguments": {"a": 2, "b": 3}}}'
    shown, calls, rest = stream("generic", call, 5)
    assert shown == rest == "" and calls[0].name == "add"
    assert json.loads(calls[0].arguments) == {"a": 2, "b": 3}
    assert stream("generic", '{"response": "It is sunny."}', 4) == ("It is sunny.", [], "")
    assert stream("generic", "not json at all", 4) == ("", [], "not json at all")
    two = parse_calls('{"tool_calls": [{"name": "a", "arguments": {}}, '
                      '{"name": "b", "arguments": {"x": 1}}]}', "generic")
    assert [c.name for c in two] == ["a", "b"]
    assert parse_calls('{"tool_call": {"name": "a"}}', "generic") is None
