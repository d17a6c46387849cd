"""Tool calling, without llama.cpp: the tools a request offers, how they reach the prompt,
the JSON schema a forced call must follow, and how calls are read back out of the text.

A chat template that uses a `tools` variable renders them itself (as transformers and
llama.cpp pass `tools=`), and the model answers in that template's syntax: Hermes/Qwen
`<tool_call>{json}</tool_call>` or Llama 3.1's bare `{"name", "parameters"}`. A template
without tools gets the "generic" format (as llama-server's generic handler): a system
section lists the tools and the reply is one JSON object, `{"tool_call": {"name",
"arguments"}}` or `{"response": "..."}`, held to that shape by a grammar.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from spark_desktop.engine.errors import ToolSchemaError
from spark_desktop.engine.events import ToolCall

Message = dict[str, Any]
CHOICES = ("auto", "none", "required")
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
HERMES_OPEN, HERMES_CLOSE = "<tool_call>", "</tool_call>"
PYTHON_TAG = "<|python_tag|>"
RESPONSE_OPEN = re.compile(r'\s*\{\s*"response"\s*:\s*"')


@dataclass(frozen=True)
class Tool:
    """One function the model may call; `parameters` is its arguments' JSON Schema."""

    name: str
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=lambda: {"type": "object"})

    def openai(self) -> dict[str, Any]:
        return {"type": "function", "function": {
            "name": self.name, "description": self.description, "parameters": self.parameters}}


@dataclass(frozen=True)
class ToolSettings:
    """The tools of one request and whether the reply may, must or must not call one
    (`function` names the one it must call)."""

    tools: tuple[Tool, ...]
    choice: str = "auto"
    function: str | None = None

    @property
    def forced(self) -> bool:
        return self.choice == "required" or self.function is not None

    def allowed(self) -> tuple[Tool, ...]:
        return tuple(t for t in self.tools if self.function in (None, t.name))

    def to_dict(self) -> dict[str, Any]:
        return {"tools": [t.openai() for t in self.tools], "choice": self.choice,
                "function": self.function}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ToolSettings:
        choice: Any = data["choice"]
        if data.get("function"):
            choice = {"type": "function", "function": {"name": data["function"]}}
        return tool_settings(data["tools"], choice)


@dataclass(frozen=True)
class CallGrammar:
    """What a reply must look like: JSON following `schema`, between prefix and suffix."""

    schema: str
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class ToolPrompt:
    """A conversation made ready for the template, and how its reply is read."""

    messages: list[Message]
    tools: list[dict[str, Any]] | None  # for the template's `tools` variable
    grammar: CallGrammar | None
    parse: str | None  # the format calls are parsed from; None: plain text


def tool_settings(tools: Any, choice: Any = "auto") -> ToolSettings:
    """Checked tools (OpenAI's function list) and tool_choice, or ToolSchemaError."""
    if not isinstance(tools, list) or not tools:
        raise ToolSchemaError("`tools` must be a non-empty list of functions.")
    parsed: list[Tool] = []
    for i, raw in enumerate(tools):
        fn = raw.get("function") if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or raw.get("type", "function") != "function" or not (
                isinstance(fn, dict)):
            raise ToolSchemaError(f'tools[{i}] must be {{"type": "function", "function": '
                                  '{"name", "description", "parameters"}}.')
        name, params = fn.get("name"), fn.get("parameters", {"type": "object"})
        if not isinstance(name, str) or not NAME.match(name):
            raise ToolSchemaError(f"tools[{i}].function.name must be 1 to 64 letters, digits, "
                                  "_ . or -.")
        if not isinstance(params, dict) or params.get("type", "object") != "object":
            raise ToolSchemaError(f"tools[{i}].function.parameters must be a JSON Schema "
                                  'object with "type": "object".')
        if any(t.name == name for t in parsed):
            raise ToolSchemaError(f"tools[{i}] repeats the function name {name!r}.")
        parsed.append(Tool(name, str(fn.get("description") or ""), params))
    function = None
    if isinstance(choice, dict):
        function = (choice.get("function") or {}).get("name")
        if not any(t.name == function for t in parsed):
            raise ToolSchemaError(f"tool_choice names {function!r}, which is not in `tools`.")
        choice = "required"
    elif choice not in CHOICES:
        raise ToolSchemaError('tool_choice must be "auto", "none", "required" or '
                              '{"type": "function", "function": {"name": ...}}.')
    return ToolSettings(tuple(parsed), choice, function)


def template_format(template: str | None) -> str:
    """How a Jinja chat template offers tools: hermes, llama3, json (its own, unknown
    syntax: read as bare JSON) or generic (it has no `tools` variable)."""
    if not template:
        return "generic"
    import jinja2
    from jinja2 import meta

    try:
        used = meta.find_undeclared_variables(jinja2.Environment().parse(template))
    except jinja2.TemplateError:
        return "generic"
    if "tools" not in used:
        return "generic"
    if HERMES_OPEN in template:
        return "hermes"
    if PYTHON_TAG in template or '"parameters"' in template:
        return "llama3"
    return "json"


def prepare(messages: Sequence[Message], settings: ToolSettings | None,
            fmt: str) -> ToolPrompt:
    """The messages and tools the template renders, the grammar and the reply format."""
    active = settings is not None and settings.choice != "none"
    if fmt == "generic":
        names = {c.get("id"): _arguments(c)[0] for m in messages for c in m.get("tool_calls") or ()}
        plain = [_generic_message(m, names) for m in messages]
        if not active:
            return ToolPrompt(plain, None, None, None)
        assert settings is not None
        return ToolPrompt(_with_system(plain, _generic_section(settings)), None,
                          _generic_grammar(settings), "generic")
    shaped = [_template_message(m) for m in messages]
    tools = [t.openai() for t in settings.tools] if settings is not None else None
    if not active:
        return ToolPrompt(shaped, tools, None, None)
    assert settings is not None
    grammar = None
    if settings.forced:
        key = "parameters" if fmt == "llama3" else "arguments"
        calls = _calls_schema(settings.allowed(), key)
        grammar = (CallGrammar(calls, HERMES_OPEN + "\n", "\n" + HERMES_CLOSE) if fmt == "hermes"
                   else CallGrammar(calls))
    return ToolPrompt(shaped, tools, grammar, fmt)


def every_schema(settings: ToolSettings) -> str:
    """One schema holding every tool's parameters: turning it into a grammar checks them."""
    return _calls_schema(settings.tools, "arguments")


# -- into the prompt ---------------------------------------------------------------


def _arguments(call: dict[str, Any]) -> tuple[str, Any]:
    fn = call.get("function") or {}
    args = fn.get("arguments") or "{}"
    try:
        args = json.loads(args) if isinstance(args, str) else args
    except ValueError:
        pass
    return str(fn.get("name", "")), args


def _template_message(message: Message) -> Message:
    """Transformers' convention: a call's arguments are an object, not JSON text."""
    calls = message.get("tool_calls")
    if not calls:
        return dict(message)
    shaped = []
    for call in calls:
        name, args = _arguments(call)
        shaped.append({"id": call.get("id"), "type": "function",
                       "function": {"name": name, "arguments": args}})
    return {**message, "content": message.get("content") or "", "tool_calls": shaped}


def _generic_message(message: Message, names: dict[Any, str]) -> Message:
    """Earlier calls and their results in words: a small model shown its own call as
    JSON tends to repeat it rather than answer from the result."""
    if message.get("role") == "tool":
        name = names.get(message.get("tool_call_id"), "the tool")
        return {"role": "user",
                "content": f"{name} returned: {message.get('content') or ''}"}
    calls = message.get("tool_calls")
    if not calls:
        return dict(message)
    said = [f"I will call {name} with {json.dumps(args, ensure_ascii=False)}."
            for name, args in map(_arguments, calls)]
    text = " ".join([message.get("content") or "", *said]).strip()
    return {"role": message["role"], "content": text}


def _generic_section(settings: ToolSettings) -> str:
    listed = json.dumps([{"name": t.name, "description": t.description,
                          "parameters": t.parameters} for t in settings.allowed()],
                        ensure_ascii=False)
    call = '{"tool_call": {"name": "<tool name>", "arguments": {...}}}'
    if settings.forced:
        how = f"Call a tool. Reply with JSON only: {call}"
    else:
        how = (f"To call a tool, reply with JSON only: {call}. Once you have what you need, "
               'reply with JSON only: {"response": "<your answer>"}')
    return f"You can call these tools:\n{listed}\n{how}"


def _with_system(messages: list[Message], section: str) -> list[Message]:
    if messages and messages[0]["role"] == "system":
        first = messages[0]
        return [{**first, "content": f"{first['content']}\n\n{section}"}, *messages[1:]]
    return [{"role": "system", "content": section}, *messages]


def _calls_schema(tools: Sequence[Tool], key: str) -> str:
    options = [{"type": "object", "properties": {"name": {"const": t.name}, key: t.parameters},
                "required": ["name", key]} for t in tools]
    return json.dumps(options[0] if len(options) == 1 else {"anyOf": options})


def _generic_grammar(settings: ToolSettings) -> CallGrammar:
    call = {"type": "object", "properties": {
        "tool_call": json.loads(_calls_schema(settings.allowed(), "arguments"))},
        "required": ["tool_call"]}
    if settings.forced:
        return CallGrammar(json.dumps(call))
    response = {"type": "object", "properties": {"response": {"type": "string"}},
                "required": ["response"]}
    return CallGrammar(json.dumps({"anyOf": [call, response]}))


# -- out of the reply ----------------------------------------------------------------


def new_call_id() -> str:
    return f"call_{secrets.token_hex(12)}"


class ToolCallParser:
    """Text in as it streams, text out that is surely not a call; the calls at the end.

    Hermes shows text until `<tool_call>` begins; Llama 3.1 JSON and "json" hold a reply
    that opens with `{` (or the python tag); the generic format holds its JSON object,
    but streams the text of a `{"response": "..."}` as it grows. A held reply that is no
    valid call comes out as text, unchanged.
    """

    def __init__(self, fmt: str) -> None:
        self.fmt = fmt
        self._held = ""
        self._holding = fmt == "generic"
        self._shown = False
        self._response: _JsonString | None = None

    def feed(self, text: str) -> str:
        if self.fmt == "generic":
            self._held += text
            if self._response is None:
                opened = RESPONSE_OPEN.match(self._held)
                if opened is None:
                    return ""
                self._response, text = _JsonString(), self._held[opened.end():]
            return self._response.feed(text)
        if self._holding:
            self._held += text
            return ""
        pending = self._held + text
        if self.fmt == "hermes":
            at = pending.find(HERMES_OPEN)
            if at >= 0:
                self._holding, self._held = True, pending[at:]
                return self._show(pending[:at])
            keep = _partial_suffix(pending, HERMES_OPEN)
            self._held = pending[len(pending) - keep:] if keep else ""
            return self._show(pending[:len(pending) - keep])
        if not self._shown:  # llama3 / json: decided by how the reply opens
            stripped = pending.lstrip()
            if not stripped or PYTHON_TAG.startswith(stripped):
                self._held = pending
                return ""
            if stripped[0] == "{" or stripped.startswith(PYTHON_TAG):
                self._holding, self._held = True, pending
                return ""
        self._held = ""
        return self._show(pending)

    def _show(self, text: str) -> str:
        self._shown = self._shown or bool(text.strip())
        return text

    def finish(self) -> tuple[str, list[ToolCall]]:
        """The text still held back, and the calls (none when it held no valid call)."""
        held, self._held = self._held, ""
        if not self._holding:
            return held, []
        if self._response is not None:  # shown already, as it came
            return "", []
        calls = parse_calls(held, self.fmt)
        if calls is None:
            return held, []
        if self.fmt == "generic" and isinstance(calls, str):
            return calls, []
        return "", list(calls)


class _JsonString:
    """The characters of a JSON string as they arrive, each escape decoded once whole."""

    def __init__(self) -> None:
        self._raw = ""
        self.closed = False

    def feed(self, text: str) -> str:
        raw, out = self._raw + text, []
        while raw and not self.closed:
            plain = re.match(r'[^"\\]+', raw)
            if plain:
                out.append(plain.group())
                raw = raw[plain.end():]
                continue
            if raw[0] == '"':
                self.closed = True
                break
            size = 6 if raw[1:2] == "u" else 2
            if size == 6 and re.match(r"\\u[dD][89abAB]", raw):
                size = 12  # a surrogate pair
            if len(raw) < size:
                break
            try:
                out.append(json.loads(f'"{raw[:size]}"'))
            except ValueError:
                out.append(raw[:size])
            raw = raw[size:]
        self._raw = raw
        return "".join(out)


def parse_calls(text: str, fmt: str) -> list[ToolCall] | str | None:
    """The calls in a held reply; for the generic format a {"response"} gives its text;
    None when it is not what the format expects."""
    if fmt == "hermes":
        blocks = re.findall(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", text, re.DOTALL)
        calls = [_call(_json(b), "arguments") for b in blocks]
        return None if not calls or None in calls else calls  # type: ignore[return-value]
    data = _json(text.strip().removeprefix(PYTHON_TAG))
    if fmt == "generic":
        if isinstance(data, dict) and isinstance(data.get("response"), str):
            return data["response"]
        if isinstance(data, dict) and ("tool_call" in data or "tool_calls" in data):
            raw = data.get("tool_calls") or [data.get("tool_call")]
            calls = [_call(c, "arguments") for c in raw] if isinstance(raw, list) else [None]
            return None if None in calls else calls  # type: ignore[return-value]
        return None
    call = _call(data, "parameters") or _call(data, "arguments")
    return [call] if call is not None else None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _call(data: Any, key: str) -> ToolCall | None:
    if not isinstance(data, dict) or not isinstance(data.get("name"), str) or key not in data:
        return None
    args = data[key]
    if isinstance(args, str) and isinstance(_json(args), dict):
        args = _json(args)
    if not isinstance(args, dict):
        return None
    return ToolCall(new_call_id(), data["name"], json.dumps(args, ensure_ascii=False))


def _partial_suffix(text: str, marker: str) -> int:
    """Length of the longest end of `text` that could begin `marker`."""
    for n in range(min(len(marker) - 1, len(text)), 0, -1):
        if marker.startswith(text[-n:]):
            return n
    return 0
