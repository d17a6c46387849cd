"""Anthropic's tool use: `tools` with input_schema, tool_choice auto/any/tool/none, and
tool_use / tool_result content blocks, mapped onto the OpenAI shape the rest of the
server speaks (engine.tools does the work)."""

from __future__ import annotations

import json
from typing import Any

from spark_desktop.engine import ToolCall, ToolSettings
from spark_desktop.server import tools_api
from spark_desktop.server.errors import bad_request

CHOICES = {"auto": "auto", "any": "required", "none": "none"}


def anthropic_tools(body: dict[str, Any]) -> ToolSettings | None:
    tools = body.get("tools")
    if not tools:
        return None
    if not isinstance(tools, list) or not all(isinstance(t, dict) for t in tools):
        raise bad_request("`tools` must be a list of {name, description, input_schema}.",
                          "tools")
    functions = [{"type": "function", "function": {
        "name": t.get("name"), "description": t.get("description", ""),
        "parameters": t.get("input_schema", {"type": "object"})}} for t in tools]
    raw = body.get("tool_choice") or {"type": "auto"}
    kind = raw.get("type") if isinstance(raw, dict) else None
    if kind == "tool":
        choice: Any = {"type": "function", "function": {"name": raw.get("name")}}
    elif kind in CHOICES:
        choice = CHOICES[kind]
    else:
        raise bad_request('`tool_choice.type` must be auto, any, tool or none.', "tool_choice")
    return tools_api.openai_tools({"tools": functions, "tool_choice": choice})


def openai_messages(raw: Any) -> Any:
    """Anthropic's messages with their tool_use / tool_result blocks as OpenAI messages:
    an assistant's tool_use blocks become its tool_calls, each tool_result a tool message
    (before the user's own text, as it answers the previous turn)."""
    if not isinstance(raw, list):
        return raw
    out: list[Any] = []
    for message in raw:
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            out.append(message)
            continue
        rest = [b for b in content if not _block(b, "tool_use", "tool_result")]
        uses = [b for b in content if _block(b, "tool_use")]
        results = [b for b in content if _block(b, "tool_result")]
        out.extend({"role": "tool", "tool_call_id": str(r.get("tool_use_id", "")),
                    "content": _result_text(r)} for r in results)
        if uses:
            out.append({"role": message.get("role"), "content": rest, "tool_calls": [
                {"id": u.get("id"), "type": "function", "function": {
                    "name": u.get("name"), "arguments": json.dumps(u.get("input", {}))}}
                for u in uses]})
        elif rest or not results:
            out.append({**message, "content": rest})
    return out


def _block(block: Any, *kinds: str) -> bool:
    return isinstance(block, dict) and block.get("type") in kinds


def _result_text(block: dict[str, Any]) -> str:
    content = block.get("content", "")
    if isinstance(content, list):
        content = "".join(str(p.get("text", "")) for p in content if _block(p, "text"))
    text = str(content)
    return f"Error: {text}" if block.get("is_error") else text


def tool_use(call: ToolCall) -> dict[str, Any]:
    return {"type": "tool_use", "id": call.id.replace("call_", "toolu_", 1), "name": call.name,
            "input": json.loads(call.arguments)}
