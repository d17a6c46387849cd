"""Tool calling in each API's shape: the request's tools and tool_choice in, the calls out.

The engine (engine.tools) decides how tools reach the prompt and how calls are read
back; here only the field names differ: OpenAI sends a call's arguments as JSON text,
Ollama as an object; a conversation carries earlier calls and their results.
"""

from __future__ import annotations

import json
from typing import Any

from spark_desktop.engine import ToolCall, ToolSchemaError, ToolSettings, tool_settings
from spark_desktop.engine.tools import new_call_id
from spark_desktop.server.errors import ApiError, bad_request


def openai_tools(body: dict[str, Any]) -> ToolSettings | None:
    """`tools` and `tool_choice` of a chat request (None: no tools offered)."""
    if body.get("functions") or body.get("function_call"):
        raise ApiError(400, "The deprecated `functions` field is not supported; send `tools`.",
                       param="functions", code="unsupported")
    if not body.get("tools"):
        return None
    choice = body.get("tool_choice")
    return _settings(body["tools"], "auto" if choice is None else choice)


def ollama_tools(body: dict[str, Any]) -> ToolSettings | None:
    """Ollama's `tools` (OpenAI's function list; the model chooses whether to call)."""
    return _settings(body["tools"], "auto") if body.get("tools") else None


def _settings(tools: Any, choice: Any) -> ToolSettings:
    try:
        return tool_settings(tools, choice)
    except ToolSchemaError as exc:
        param = "tool_choice" if str(exc).startswith("tool_choice") else "tools"
        raise bad_request(str(exc), param) from exc


def message_extras(message: dict[str, Any], role: str, field: str) -> dict[str, Any]:
    """An assistant message's earlier calls and a tool message's call id, in the engine's
    form (OpenAI's: arguments as JSON text), from either API's shape."""
    if role == "tool":
        call_id = message.get("tool_call_id") or message.get("tool_name") or ""
        return {"tool_call_id": str(call_id)}
    calls = message.get("tool_calls")
    if role != "assistant" or not calls:
        return {}
    if not isinstance(calls, list):
        raise bad_request(f"{field}.tool_calls must be a list of calls.", field)
    shaped = []
    for call in calls:
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict) or not isinstance(fn.get("name"), str):
            raise bad_request(f"{field}.tool_calls: each call needs function.name and "
                              "function.arguments.", field)
        args = fn.get("arguments", {})
        text = args if isinstance(args, str) else json.dumps(args, ensure_ascii=False)
        shaped.append({"id": str(call.get("id") or new_call_id()), "type": "function",
                       "function": {"name": fn["name"], "arguments": text}})
    return {"tool_calls": shaped}


def openai_calls(calls: list[ToolCall]) -> list[dict[str, Any]]:
    return [{"id": c.id, "type": "function",
             "function": {"name": c.name, "arguments": c.arguments}} for c in calls]


def openai_call_delta(index: int, call: ToolCall) -> dict[str, Any]:
    """One streamed call, whole in one chunk (the engine parses a call once it ended)."""
    return {"tool_calls": [{"index": index, "id": call.id, "type": "function",
                            "function": {"name": call.name, "arguments": call.arguments}}]}


def ollama_calls(calls: list[ToolCall]) -> list[dict[str, Any]]:
    return [{"function": {"name": c.name, "arguments": json.loads(c.arguments)}}
            for c in calls]
