"""Export and import: our lossless JSON, readable Markdown, and ChatGPT's conversations.json.

Our JSON carries every field of every conversation and every branch, with times as ISO
strings at millisecond precision (what the database keeps), so exporting, importing into
an empty history and exporting again gives the same bytes.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from spark_desktop.history.errors import ImportFormatError
from spark_desktop.history.records import FINISH_REASONS, ROLES, Conversation, ImportResult, Message
from spark_desktop.history.rows import auto_title, to_datetime
from spark_desktop.history.store import HistoryStore

FORMAT = "spark-desktop-history"
FORMAT_VERSION = 1
_CHATGPT_NAMESPACE = uuid.UUID("6f1d7c1e-5a43-4c55-9d0e-2b4a8f0f4c11")


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ImportFormatError(f"Expected a time like 2025-01-31T12:00:00.000Z, got {value!r}.")
    return datetime.fromisoformat(value)


def message_to_dict(msg: Message) -> dict[str, Any]:
    return {"id": msg.id, "parent_id": msg.parent_id, "role": msg.role,
            "content": msg.content, "reasoning": msg.reasoning, "model": msg.model,
            "finish_reason": msg.finish_reason, "prompt_tokens": msg.prompt_tokens,
            "completion_tokens": msg.completion_tokens, "ttft_ms": msg.ttft_ms,
            "tokens_per_s": msg.tokens_per_s, "created_at": _iso(msg.created_at),
            "extra": dict(msg.extra)}


def conversation_to_dict(conv: Conversation, messages: Sequence[Message]) -> dict[str, Any]:
    return {"id": conv.id, "title": conv.title, "created_at": _iso(conv.created_at),
            "updated_at": _iso(conv.updated_at), "pinned": conv.pinned,
            "folder": conv.folder, "tags": list(conv.tags),
            "system_prompt": conv.system_prompt, "model": conv.model,
            "load_settings": dict(conv.load_settings),
            "sampling_settings": dict(conv.sampling_settings),
            "active_leaf_id": conv.active_leaf_id, "extra": dict(conv.extra),
            "messages": [message_to_dict(msg) for msg in messages]}


def export_json(store: HistoryStore, conversation_ids: Iterable[str] | None = None) -> str:
    """All conversations (or the given ones) as our JSON document."""
    convs = (store.iter_conversations() if conversation_ids is None
             else (store.get_conversation(cid) for cid in conversation_ids))
    document = {"format": FORMAT, "version": FORMAT_VERSION,
                "conversations": [conversation_to_dict(conv, store.all_messages(conv.id))
                                  for conv in convs]}
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def export_markdown(store: HistoryStore, conversation_ids: Iterable[str] | None = None) -> str:
    """The shown branch of each conversation as readable Markdown."""
    convs = (store.iter_conversations() if conversation_ids is None
             else (store.get_conversation(cid) for cid in conversation_ids))
    parts = []
    for conv in convs:
        lines = [f"# {conv.title or 'Untitled conversation'}", ""]
        facts = [f"Created {_iso(conv.created_at)}"]
        if conv.model:
            facts.append(f"model {conv.model}")
        if conv.tags:
            facts.append("tags " + ", ".join(conv.tags))
        lines += ["_" + " · ".join(facts) + "_", ""]
        if conv.system_prompt:
            lines += ["> **System:** " + conv.system_prompt.replace("\n", "\n> "), ""]
        path = store.active_path(conv.id)
        others = store.count_messages(conv.id) - len(path)
        if others:
            lines += [(f"_The branch shown; {others} messages on other branches are in the "
                       "JSON export._"), ""]
        for msg in path:
            heading = msg.role.capitalize()
            status = "streaming" if msg.streaming else msg.finish_reason
            notes = [note for note in (msg.model, None if status == "stop" else status) if note]
            if notes:
                heading += f" ({', '.join(notes)})"
            lines += [f"## {heading}", ""]
            if msg.reasoning:
                lines += ["<details><summary>Reasoning</summary>", "", msg.reasoning, "",
                          "</details>", ""]
            lines += [msg.content, ""]
        parts.append("\n".join(lines))
    return "\n---\n\n".join(parts)


def _message_from_dict(conversation_id: str, data: Mapping[str, Any],
                       depths: dict[str, int]) -> Message:
    parent = data.get("parent_id")
    if parent is not None and parent not in depths:
        raise ImportFormatError(f"Message {data.get('id')} comes before its parent {parent}; "
                                "the file is damaged.")
    if data.get("role") not in ROLES or data.get("finish_reason") not in (None, *FINISH_REASONS):
        raise ImportFormatError(f"Message {data.get('id')} has an unknown role or finish "
                                "reason; the file is damaged or from a newer version.")
    msg = Message(id=str(data["id"]), conversation_id=conversation_id, parent_id=parent,
                  role=data["role"], content=data.get("content", ""),
                  created_at=_parse_time(data["created_at"]),
                  depth=0 if parent is None else depths[parent] + 1,
                  reasoning=data.get("reasoning", ""), model=data.get("model"),
                  finish_reason=data.get("finish_reason"),
                  prompt_tokens=data.get("prompt_tokens"),
                  completion_tokens=data.get("completion_tokens"),
                  ttft_ms=data.get("ttft_ms"), tokens_per_s=data.get("tokens_per_s"),
                  extra=_mapping(data.get("extra")))
    depths[msg.id] = msg.depth
    return msg


def _mapping(value: Any) -> dict[str, Any]:
    """An `extra` object as exported (absent in files of older versions)."""
    return dict(value) if isinstance(value, Mapping) else {}


def _ours(document: Mapping[str, Any]) -> Iterator[tuple[Conversation, list[Message]]]:
    if document.get("version") != FORMAT_VERSION:
        raise ImportFormatError(f"This export has format version {document.get('version')}; "
                                "a newer Spark Desktop is needed to import it.")
    for data in document.get("conversations", []):
        conv = Conversation(
            id=str(data["id"]), title=data.get("title", ""),
            created_at=_parse_time(data["created_at"]),
            updated_at=_parse_time(data["updated_at"]), pinned=bool(data.get("pinned")),
            folder=data.get("folder"), tags=tuple(data.get("tags", ())),
            system_prompt=data.get("system_prompt"), model=data.get("model"),
            load_settings=dict(data.get("load_settings") or {}),
            sampling_settings=dict(data.get("sampling_settings") or {}),
            active_leaf_id=data.get("active_leaf_id"), extra=_mapping(data.get("extra")))
        depths: dict[str, int] = {}
        messages = [_message_from_dict(conv.id, item, depths) for item in data["messages"]]
        yield conv, messages


def _chatgpt_text(content: Mapping[str, Any] | None) -> str:
    if not content:
        return ""
    if isinstance(content.get("parts"), list):
        return "\n".join(part for part in content["parts"] if isinstance(part, str))
    return str(content.get("text") or "")


def _chatgpt_id(kind: str, value: str) -> str:
    """Stable ids, so importing the same export twice skips what is already here."""
    return uuid.uuid5(_CHATGPT_NAMESPACE, f"{kind}:{value}").hex


def _chatgpt(document: Sequence[Mapping[str, Any]]
             ) -> Iterator[tuple[Conversation, list[Message]]]:
    for data in document:
        source_id = str(data.get("conversation_id") or data.get("id") or data.get("title"))
        conv_id = _chatgpt_id("conversation", source_id)
        mapping: Mapping[str, Any] = data.get("mapping") or {}
        created = float(data.get("create_time") or 0)
        kept: dict[str, str | None] = {}  # source node -> nearest kept message id (or None)
        depths: dict[str, int] = {}
        messages: list[Message] = []
        roots = [key for key, node in mapping.items() if node.get("parent") not in mapping]
        stack = list(reversed(roots))
        while stack:  # parents before children, without recursion (threads can be long)
            key = stack.pop()
            node = mapping[key]
            parent_msg = kept.get(node.get("parent")) if node.get("parent") in mapping else None
            kept[key] = parent_msg
            item = node.get("message") or {}
            role = (item.get("author") or {}).get("role")
            text = _chatgpt_text(item.get("content"))
            hidden = (item.get("metadata") or {}).get("is_visually_hidden_from_conversation")
            if role in ROLES and text and not hidden:
                msg = Message(
                    id=_chatgpt_id("message", f"{source_id}/{key}"), conversation_id=conv_id,
                    parent_id=parent_msg, role=role, content=text,
                    created_at=to_datetime(int(float(item.get("create_time") or created)
                                               * 1000)),
                    depth=0 if parent_msg is None else depths[parent_msg] + 1,
                    model=(item.get("metadata") or {}).get("model_slug"),
                    finish_reason="stop" if role == "assistant" else None)
                depths[msg.id] = msg.depth
                messages.append(msg)
                kept[key] = msg.id
            stack.extend(reversed([child for child in node.get("children", [])
                                   if child in mapping]))
        first_user = next((m.content for m in messages if m.role == "user"), "")
        conv = Conversation(
            id=conv_id, title=(data.get("title") or auto_title(first_user)).strip(),
            created_at=to_datetime(int(created * 1000)),
            updated_at=to_datetime(int(float(data.get("update_time") or created) * 1000)),
            model=data.get("default_model_slug"),
            active_leaf_id=kept.get(data.get("current_node")) or
            (messages[-1].id if messages else None))
        yield conv, messages


def import_file(store: HistoryStore, path: Path) -> ImportResult:
    """Import our JSON export or ChatGPT's conversations.json (recognised by content)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ImportFormatError(f"Could not read {path} as JSON ({exc}).") from exc
    return import_document(store, document)


def import_document(store: HistoryStore, document: Any) -> ImportResult:
    """Import an already parsed export (ours or ChatGPT's)."""
    if isinstance(document, dict) and document.get("format") == FORMAT:
        items: Iterable[tuple[Conversation, list[Message]]] = _ours(document)
    elif isinstance(document, list) and all(isinstance(d, dict) and "mapping" in d
                                           for d in document):
        items = _chatgpt(document)
    else:
        raise ImportFormatError("This file is neither a Spark Desktop history export nor a "
                                "ChatGPT conversations.json export.")
    try:
        checked = list(items)  # validate everything before writing anything
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ImportFormatError(f"The export is incomplete or damaged ({exc!r}).") from exc
    return store.import_records(checked)
