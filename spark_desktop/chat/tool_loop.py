"""Tools in a chat turn: offer the toolbox's tools, ask the person before each call, run
it, keep the call and its result in the history, and let the model answer from it.

A reply that ends in tool calls is saved with `extra["tool_calls"]`; each call waits for
the owner's approval (unless the person allowed that tool always), runs, and is saved as a
role "tool" message below it; then a new reply streams with the results in its prompt.
A forced call ("required", held to a grammar by the engine) is forced once: the reply
after it answers from the results without tools (a small model offered them again tends to
call again). With "auto", the model may call again, up to `max_rounds` rounds in one turn;
after that it answers without tools.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from spark_desktop.chat.toolbox import ToolBox, ToolResult
from spark_desktop.engine.events import ToolCall
from spark_desktop.engine.tools import ToolSettings
from spark_desktop.history.records import Message

if TYPE_CHECKING:
    from spark_desktop.history.runner import HistoryCalls
    from spark_desktop.history.streaming import StreamWriter
    from spark_desktop.inference_settings import SamplingSettings

Decision = Literal["once", "always", "deny"]
Choice = Literal["auto", "required"]
MAX_ROUNDS = 5
DECLINED = "The user declined to run this tool."
#: Conversation.extra["tools"] when the chat has not said otherwise.
DEFAULT_SETTINGS: dict[str, Any] = {"enabled": False, "choice": "auto"}


@dataclass(frozen=True)
class TurnTools:
    """The tools of one turn: the box, whether a call must happen, and who approves.

    `approve` blocks the turn's thread until the person answers; None means the turn was
    stopped while it waited."""

    toolbox: ToolBox
    approve: Callable[[ToolCall], Decision | None]
    choice: Choice = "auto"
    max_rounds: int = MAX_ROUNDS


@dataclass(frozen=True)
class ToolCallsSaved:
    """A reply ended in calls: it is saved with them (extra["tool_calls"])."""

    reply: Message


@dataclass(frozen=True)
class ApprovalNeeded:
    """A call waits for the person: the turn blocks until the owner answers."""

    reply: Message
    call: ToolCall


@dataclass(frozen=True)
class ToolAnswered:
    """A call ran (or was declined): its result, saved as a role "tool" message."""

    message: Message


@dataclass(frozen=True)
class ReplyStarted:
    """The model answers again, with the results in its prompt: a new streaming reply."""

    reply: Message


@dataclass(frozen=True)
class ToolLimitReached:
    """The turn called tools `rounds` times; its next reply runs without tools."""

    rounds: int


ToolEvent = ToolCallsSaved | ApprovalNeeded | ToolAnswered | ReplyStarted | ToolLimitReached


class Approvals:
    """Where a turn's thread waits for the person's answer and the owner gives it."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._answer: Decision | None = None
        self._cancelled = False

    def wait(self, _call: ToolCall | None = None) -> Decision | None:
        """The next answer (blocks); None once cancelled."""
        self._ready.wait()
        with self._lock:
            answer, self._answer = self._answer, None
            if not self._cancelled:
                self._ready.clear()
            return None if self._cancelled else answer

    def answer(self, decision: Decision) -> None:
        with self._lock:
            self._answer = decision
            self._ready.set()

    def cancel(self) -> None:
        """The turn stops: a wait in progress (or the next) returns None."""
        with self._lock:
            self._cancelled = True
            self._ready.set()


def tool_settings_of(extra: Mapping[str, Any]) -> dict[str, Any]:
    """A conversation's tool settings ({"enabled", "choice"}), defaults filled in."""
    saved = extra.get("tools")
    out = dict(DEFAULT_SETTINGS)
    if isinstance(saved, Mapping):
        out["enabled"] = bool(saved.get("enabled", False))
        out["choice"] = "required" if saved.get("choice") == "required" else "auto"
    return out


def call_arguments(arguments: str) -> dict[str, Any]:
    """A call's arguments (JSON text) as an object; {} when they are not one."""
    try:
        parsed = json.loads(arguments or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def calls_extra(calls: Sequence[ToolCall]) -> list[dict[str, str]]:
    return [{"id": c.id, "name": c.name, "arguments": c.arguments} for c in calls]


def engine_messages(message: Message) -> list[dict[str, Any]]:
    """A stored message as the engine takes it (OpenAI's shape); [] for one that says
    nothing to the model. Calls without a result (the turn stopped) are left out, since a
    template expects every call answered."""
    if message.role == "tool":
        return [{"role": "tool", "content": message.content,
                 "tool_call_id": str(message.extra.get("tool_call_id", "")),
                 "name": str(message.extra.get("name", ""))}]
    calls = message.extra.get("tool_calls") if message.role == "assistant" else None
    if calls:
        shaped = [{"id": c.get("id", ""), "type": "function",
                   "function": {"name": c.get("name", ""), "arguments": c.get("arguments", "{}")}}
                  for c in calls if isinstance(c, Mapping)]
        return [{"role": "assistant", "content": message.content, "tool_calls": shaped}]
    if message.role in ("user", "assistant") and (message.content or message.role == "user"):
        return [{"role": message.role, "content": message.content}]
    return []


def answered_only(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Calls with their results only: a call no tool message answers (the turn stopped)
    keeps just its text, a result whose call is not in the branch is left out."""
    answered = {m.get("tool_call_id") for m in messages if m["role"] == "tool"}
    asked: set[Any] = set()
    out: list[dict[str, Any]] = []
    for msg in messages:
        calls = msg.get("tool_calls")
        if calls is not None:
            kept = [c for c in calls if c["id"] in answered]
            asked.update(c["id"] for c in kept)
            msg = {**msg, "tool_calls": kept} if kept else \
                {"role": "assistant", "content": msg["content"]}
            if not kept and not msg["content"]:
                continue
        elif msg["role"] == "tool" and msg.get("tool_call_id") not in asked:
            continue
        out.append(msg)
    return out


def run_tool(toolbox: ToolBox, offered: Sequence[str], call: ToolCall) -> ToolResult:
    """The tool's result; a failure (or a tool not offered) is an error result the model
    reads, never an exception out of the turn."""
    if call.name not in offered:
        return ToolResult(f"No tool named {call.name!r} is offered.", is_error=True)
    try:
        return toolbox.call(call.name, call_arguments(call.arguments))
    except Exception as exc:  # noqa: BLE001 - the protocol says a tool never raises; one may
        return ToolResult(f"The tool {call.name} failed: {exc}", is_error=True)


class Replies(Protocol):
    """What the loop needs of chat.Turn (which imports this module, so not Turn itself).
    Its events are the turn's TurnEvents; `finished` values are its TurnFinished."""

    history: HistoryCalls
    conversation_id: str

    @property
    def cancelled(self) -> bool: ...

    def stream_reply(self, writer: StreamWriter, messages: list[dict[str, Any]],
                     sampling: SamplingSettings, tools: ToolSettings | None = None
                     ) -> Generator[Any, None, tuple[Any, list[ToolCall]]]: ...

    def begin_reply(self, parent: str | None) -> StreamWriter: ...

    def stopped_while_waiting(self, reply: Message, finished: Any) -> Any: ...


class ToolLoop:
    """The rounds of one turn: reply, calls, approvals, results, reply again."""

    def __init__(self, turn: Replies, tools: TurnTools) -> None:
        self.turn = turn
        self.tools = tools
        try:
            self.offered = tuple(tools.toolbox.tools())
        except Exception:  # noqa: BLE001 - tools that cannot be listed: the chat goes on without
            self.offered = ()

    def run(self, writer: StreamWriter, messages: list[dict[str, Any]],
            sampling: SamplingSettings) -> Generator[Any, None, None]:
        turn, history = self.turn, self.turn.history
        settings = ToolSettings(self.offered, self.tools.choice) if self.offered else None
        rounds = 0
        while True:
            finished, calls = yield from turn.stream_reply(writer, messages, sampling, settings)
            if not calls or finished.error is not None or finished.done is None \
                    or turn.cancelled:
                yield finished
                return
            said = {**finished.reply.extra, "tool_calls": calls_extra(calls)}
            reply = history.call(lambda store, rid=finished.reply.id, said=said:
                                 store.set_message_extra(rid, said))
            yield ToolCallsSaved(reply)
            messages = [*messages, *engine_messages(reply)]
            parent = reply.id
            for call in calls:
                answered = yield from self._answer(reply, call, parent)
                if answered is None:
                    yield turn.stopped_while_waiting(reply, finished)
                    return
                parent = answered.id
                messages.extend(engine_messages(answered))
                yield ToolAnswered(answered)
            rounds += 1
            assert settings is not None  # calls come only when tools were offered
            if settings.forced:  # the call that had to happen did: now words
                settings = ToolSettings(self.offered, "none")
            elif rounds >= self.tools.max_rounds:
                settings = ToolSettings(self.offered, "none")
                yield ToolLimitReached(rounds)
            writer = turn.begin_reply(parent)
            yield ReplyStarted(writer.message)

    def _answer(self, reply: Message, call: ToolCall,
                parent: str) -> Generator[Any, None, Message | None]:
        """Ask (unless always allowed), run, save: the tool message; None when stopped."""
        toolbox = self.tools.toolbox
        decision: Decision | None = "once"
        if not toolbox.always_allowed(call.name):
            yield ApprovalNeeded(reply, call)
            decision = None if self.turn.cancelled else self.tools.approve(call)
        if decision is None or self.turn.cancelled:
            return None
        if decision == "always":
            toolbox.allow_always(call.name)
        result = ToolResult(DECLINED, is_error=True) if decision == "deny" \
            else run_tool(toolbox, [t.name for t in self.offered], call)
        extra: dict[str, Any] = {"tool_call_id": call.id, "name": call.name}
        if result.is_error:
            extra["is_error"] = True
        cid = self.turn.conversation_id
        return self.turn.history.call(lambda store: store.add_message(
            cid, "tool", result.text, parent_id=parent, extra=extra))
