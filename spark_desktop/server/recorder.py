"""Saving API conversations to the history, only when the user turned that on.

API clients send the whole conversation with every request. A request that continues
one saved before (its messages start with a saved exchange, reply included) is added to
that conversation; anything else starts a new one. Each conversation is tagged `api` and
with the name of the key that made it (`api-key:NAME`), so a team's chats can be found
and told apart. Writes go through the history's serial runner, off the event loop.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from spark_desktop.engine import ChatDone, ChatEvent, ReasoningDelta, TextDelta, ToolCall
from spark_desktop.history.errors import NotFoundError
from spark_desktop.history.records import ROLES, FinishReason
from spark_desktop.history.store import HistoryStore

log = logging.getLogger(__name__)
API_FOLDER = "API"
REMEMBERED = 2048  # saved exchanges a continuation can find (oldest forgotten first)


class HistorySubmit(Protocol):
    """Where the writes run: history.runner.HistoryRunner (one thread for the app)."""

    def submit(self, op: Any) -> Future[Any]: ...


@dataclass(frozen=True)
class Exchange:
    """One finished API reply and the messages it answered."""

    key_name: str | None
    model: str
    messages: tuple[tuple[str, str], ...]  # (role, text)
    text: str
    reasoning: str
    done: ChatDone | None  # None: the reply broke before it ended


class Transcript:
    """A reply gathered event by event as the history keeps it (a tool call as its JSON)."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.reasoning: list[str] = []
        self.done: ChatDone | None = None

    def add(self, event: ChatEvent) -> None:
        if isinstance(event, TextDelta):
            self.text.append(event.text)
        elif isinstance(event, ReasoningDelta):
            self.reasoning.append(event.text)
        elif isinstance(event, ToolCall):
            self.text.append(json.dumps({"tool_call": {"name": event.name,
                                                       "arguments": event.arguments}}))
        elif isinstance(event, ChatDone):
            self.done = event

    def exchange(self, key_name: str | None, model: str,
                 messages: tuple[tuple[str, str], ...]) -> Exchange:
        return Exchange(key_name, model, messages, "".join(self.text),
                        "".join(self.reasoning), self.done)


def _text(content: Any) -> str:
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


def plain_messages(messages: Sequence[dict[str, Any]]) -> tuple[tuple[str, str], ...]:
    return tuple((str(m.get("role", "user")), _text(m.get("content") or "")) for m in messages)


def _digests(key_name: str | None, model: str,
             messages: Sequence[tuple[str, str]]) -> list[str]:
    """The digest of every prefix of `messages` (index k: the first k+1), in one pass."""
    running = hashlib.sha256(json.dumps([key_name, model]).encode())
    out = []
    for role, text in messages:
        running.update(json.dumps([role, text], ensure_ascii=False).encode())
        out.append(running.copy().hexdigest())
    return out


class ApiRecorder:
    """Saves exchanges through `history` (a runner); knows which saved conversation a
    request continues for as long as this process runs."""

    def __init__(self, history: HistorySubmit, enabled: bool = True) -> None:
        self._history = history
        self.enabled = enabled  # the app's switch, read at each request
        self._known: OrderedDict[str, str] = OrderedDict()  # prefix digest -> conversation id
        self._lock = threading.Lock()

    def record(self, exchange: Exchange) -> Future[str]:
        """Queue the save; the future gives the conversation's id."""
        return self._history.submit(lambda store: self._save(store, exchange))

    def _continued(self, digests: list[str]) -> tuple[str | None, int]:
        """The conversation whose saved exchange is the longest prefix, and its length."""
        with self._lock:
            for k in range(len(digests) - 1, 0, -1):
                conv = self._known.get(digests[k - 1])
                if conv is not None:
                    return conv, k
        return None, 0

    def _save(self, store: HistoryStore, ex: Exchange) -> str:
        reply = ("assistant", ex.text)
        digests = _digests(ex.key_name, ex.model, (*ex.messages, reply))
        conv_id, start = self._continued(digests[:-1])
        messages = ex.messages
        if conv_id is None or not _exists(store, conv_id):
            system = messages[0][1] if messages and messages[0][0] == "system" else None
            tags = ("api", f"api-key:{ex.key_name}") if ex.key_name else ("api",)
            conv_id = store.create_conversation(system_prompt=system, model=ex.model,
                                                folder=API_FOLDER, tags=tags).id
            start = 1 if system is not None else 0
        for role, text in messages[start:]:
            store.add_message(conv_id, role if role in ROLES else "user", text)  # type: ignore[arg-type]
        done = ex.done
        store.add_message(
            conv_id, "assistant", ex.text, reasoning=ex.reasoning, model=ex.model,
            finish_reason=_finish(done),
            prompt_tokens=done.prompt_tokens if done else None,
            completion_tokens=done.completion_tokens if done else None,
            ttft_ms=done.ttft_ms if done else None,
            tokens_per_s=done.decode_tps if done else None)
        with self._lock:
            self._known[digests[-1]] = conv_id
            while len(self._known) > REMEMBERED:
                self._known.popitem(last=False)
        return conv_id


def _finish(done: ChatDone | None) -> FinishReason:
    """The history's finish reason: a reply that ended in tool calls stopped normally."""
    if done is None:
        return "error"
    return "stop" if done.finish_reason == "tool_calls" else done.finish_reason


def _exists(store: HistoryStore, conversation_id: str) -> bool:
    try:
        store.get_conversation(conversation_id)
    except NotFoundError:  # the user deleted it meanwhile
        return False
    return True


def log_failure(future: Future[Any]) -> None:
    """A save that failed is logged (without the text); the API reply is not affected."""
    exc = future.exception()
    if exc is not None:
        log.warning("an API conversation could not be saved to the history: %s",
                    type(exc).__name__)
