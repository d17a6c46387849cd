"""One conversation turn: the branch's messages in, engine events out, the reply saved.

A Turn is built on any thread and run on a worker thread (it blocks on the engine); its
history calls go through `history` (a HistoryRunner's thread in the GUI, the caller's own
with a bare store). It writes the user message (send / edit), creates the reply before the
first token and appends to it as it streams (the history's writer flushes at most every
`flush_interval` seconds), and always leaves the reply with a finish reason: `stop` or
`length` from the engine, `cancelled` when stopped (text kept), `error` when the engine
failed or its worker died (text kept). Regenerate and edit-and-resend add siblings in
the conversation tree, so the earlier version stays one click away. With `tools`, a reply
that calls tools goes on through chat.tool_loop (approve, run, answer again).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from spark_desktop.chat.tool_loop import (
    ToolEvent,
    ToolLoop,
    TurnTools,
    answered_only,
    engine_messages,
)
from spark_desktop.engine.errors import EngineError
from spark_desktop.engine.events import (
    ChatDone,
    ChatEvent,
    LoadedModel,
    ReasoningDelta,
    TextDelta,
    ToolCall,
)
from spark_desktop.engine.tools import ToolSettings
from spark_desktop.errors import SparkError
from spark_desktop.fit import measured
from spark_desktop.history.records import FinishReason, Message
from spark_desktop.history.runner import DirectHistory, HistoryCalls
from spark_desktop.history.store import ACTIVE, HistoryStore
from spark_desktop.history.streaming import StreamWriter
from spark_desktop.inference_settings import SamplingSettings

Kind = Literal["send", "regenerate", "edit"]


class ChatClient(Protocol):
    """What a turn needs of engine.Client (a protocol so the seam is explicit)."""

    @property
    def loaded(self) -> LoadedModel | None: ...

    def chat(self, messages: Sequence[dict[str, Any]],
             sampling: SamplingSettings | None = None,
             tools: ToolSettings | None = None) -> Iterator[ChatEvent]: ...

    def cancel(self) -> None: ...


class PromptHook(Protocol):
    """Remakes a turn's prompt before it is sent (chat.documents.DocumentPrompt puts the
    chat's documents in). `user_extra` is saved on the user message; the call returns the
    messages to send and what the reply keeps beside its text. A SparkError it raises ends
    the turn with the reply marked `error` and that sentence (the question stays saved), or
    `cancelled` when the turn was stopped meanwhile."""

    user_extra: dict[str, Any]

    def __call__(self, messages: list[dict[str, str]],
                 client: ChatClient) -> tuple[list[dict[str, str]], dict[str, Any]]: ...


@dataclass(frozen=True)
class TurnStarted:
    """The messages exist in the history: the user's (None on regenerate) and the empty reply."""

    conversation_id: str
    user_message: Message | None
    reply: Message


@dataclass(frozen=True)
class TurnFinished:
    """The reply as saved, the engine's final event (None if it failed) and the failure."""

    reply: Message
    done: ChatDone | None
    error: SparkError | None = None


TurnEvent = TurnStarted | TextDelta | ReasoningDelta | TurnFinished | ToolEvent
#: What a reply's stream gives back when it ends: its TurnFinished and the calls it made.
Streamed = Generator[TurnEvent, None, tuple[TurnFinished, list[ToolCall]]]


def prompt_messages(branch: Sequence[Message],
                    system_prompt: str | None) -> list[dict[str, Any]]:
    """What the model sees: the system prompt, then the branch's user and assistant turns,
    with earlier tool calls and their results in the engine's (OpenAI's) shape.

    Empty replies (a reply that failed before its first token) are left out; partial
    replies that were stopped are kept, as the person saw them.
    """
    out: list[dict[str, Any]] = []
    if system_prompt and system_prompt.strip():
        out.append({"role": "system", "content": system_prompt})
    for msg in branch:
        out.extend(engine_messages(msg))
    return answered_only(out)


def record_event(writer: StreamWriter, event: ChatEvent, *,
                 cancelled: bool = False) -> Message | None:
    """Save one engine event into the streaming reply; the final event finishes it
    (with its statistics) and returns the saved reply."""
    if isinstance(event, TextDelta):
        writer.append(event.text)
    elif isinstance(event, ReasoningDelta):
        writer.append(reasoning=event.text)
    elif isinstance(event, ChatDone):
        ended = "stop" if event.finish_reason == "tool_calls" else event.finish_reason
        reason = "cancelled" if cancelled and ended != "stop" else ended
        return writer.finish(reason, prompt_tokens=event.prompt_tokens,
                             completion_tokens=event.completion_tokens,
                             ttft_ms=event.ttft_ms, tokens_per_s=event.decode_tps)
    return None


class Turn:
    """One reply to generate. Build with send(), regenerate() or edit(); then run()."""

    def __init__(self, history: HistoryStore | HistoryCalls, client: ChatClient,
                 conversation_id: str, kind: Kind, *, text: str | None = None,
                 target_id: str | None = None, parent_id: Any = ACTIVE,
                 sampling: SamplingSettings | None = None, system_prompt: str | None = None,
                 use_stored_system_prompt: bool = True, model_name: str | None = None,
                 flush_interval: float = 0.5, cancelled: threading.Event | None = None,
                 prompt_hook: PromptHook | None = None,
                 tools: TurnTools | None = None) -> None:
        self.history = DirectHistory(history) if isinstance(history, HistoryStore) else history
        self.client = client
        self.conversation_id = conversation_id
        self.kind = kind
        self._text = text
        self._target_id = target_id
        self._parent_id = parent_id
        self._sampling = sampling
        self._system_prompt = system_prompt
        self._use_stored_system_prompt = use_stored_system_prompt and system_prompt is None
        self._model_name = model_name
        self._flush_interval = flush_interval
        self._cancelled = cancelled or threading.Event()
        self._prompt_hook = prompt_hook
        self._tools = tools
        self._model = model_name  # the reply's model: the loaded one's file when not given
        self._json = False  # replies held to a JSON schema (the chat shows them formatted)

    # -- the three ways to start a turn -------------------------------------------------
    @classmethod
    def send(cls, history: HistoryStore | HistoryCalls, client: ChatClient,
             conversation_id: str, text: str, *, parent_id: Any = ACTIVE,
             **options: Any) -> Turn:
        """A new user message (below `parent_id`, default the end of the shown branch)."""
        return cls(history, client, conversation_id, "send", text=text, parent_id=parent_id,
                   **options)

    @classmethod
    def regenerate(cls, history: HistoryStore | HistoryCalls, client: ChatClient,
                   reply: Message, **options: Any) -> Turn:
        """Another answer to the same question: a sibling of `reply`."""
        return cls(history, client, reply.conversation_id, "regenerate", target_id=reply.id,
                   **options)

    @classmethod
    def edit(cls, history: HistoryStore | HistoryCalls, client: ChatClient,
             user_message: Message, text: str, **options: Any) -> Turn:
        """The question asked differently: a sibling of `user_message`, then a reply to it."""
        return cls(history, client, user_message.conversation_id, "edit", text=text,
                   target_id=user_message.id, **options)

    # -- running --------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop generating (any thread); the text so far is kept, marked `cancelled`."""
        self._cancelled.set()
        self.client.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def run(self) -> Iterator[TurnEvent]:
        """Write the messages, stream the reply, yield events; always ends with TurnFinished.

        Errors of the history (disk full, database gone) propagate; engine errors end
        the turn with the reply marked `error`.
        """
        cid, model = self.conversation_id, self._model_name or self._loaded_name()
        conv = self.history.call(lambda store: store.get_conversation(cid))
        user, parent = self.history.call(self._write_question)
        system_prompt = conv.system_prompt if self._use_stored_system_prompt \
            else self._system_prompt
        sampling = self._sampling or SamplingSettings.from_dict(conv.sampling_settings)
        branch = self.history.call(lambda store: store.active_path(cid, leaf_id=parent)) \
            if parent is not None else []
        self._model = model
        self._json = sampling.json_schema is not None
        writer = self.begin_reply(parent)
        yield TurnStarted(self.conversation_id, user, writer.message)
        messages = prompt_messages(branch, system_prompt)
        if self._prompt_hook is not None:
            try:
                messages = self._hooked(writer, messages)
            except SparkError as exc:  # stopped while preparing: no error, as when streaming
                stopped = self.cancelled
                yield TurnFinished(_Saver(self.history, writer).finish(
                    "cancelled" if stopped else "error"), None, None if stopped else exc)
                return
        if self._tools is not None:
            yield from ToolLoop(self, self._tools).run(writer, messages, sampling)
            return
        finished, _calls = yield from self.stream_reply(writer, messages, sampling)
        yield finished

    def _hooked(self, writer: StreamWriter,
                messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The prompt as the hook remakes it; what the reply keeps is saved on it at once."""
        assert self._prompt_hook is not None
        messages, extra = self._prompt_hook(messages, self.client)
        if extra:
            reply_id, kept = writer.message_id, {**writer.message.extra, **extra}
            self.history.call(lambda store: store.set_message_extra(reply_id, kept))
        return messages

    def begin_reply(self, parent: str | None) -> StreamWriter:
        """The reply's message, empty and streaming, below `parent`."""
        cid, model = self.conversation_id, self._model
        extra = {"json": True} if self._json else {}
        return self.history.call(lambda store: store.begin_stream(
            cid, parent_id=parent, model=model, flush_interval=self._flush_interval,
            extra=extra))

    def stopped_while_waiting(self, reply: Message, finished: TurnFinished) -> TurnFinished:
        """Stopped while a call of `reply` waited for approval: the reply (its text, its
        calls and figures kept) is marked cancelled."""
        def mark(store: HistoryStore) -> Message:
            return store.finish_stream(
                reply.id, reply.content, reply.reasoning, "cancelled",
                prompt_tokens=reply.prompt_tokens, completion_tokens=reply.completion_tokens,
                ttft_ms=reply.ttft_ms, tokens_per_s=reply.tokens_per_s)

        return TurnFinished(self.history.call(mark), finished.done)

    def _write_question(self, store: HistoryStore) -> tuple[Message | None, str | None]:
        """The user message this turn answers, and the parent of the reply."""
        if self.kind == "send":
            assert self._text is not None
            user = store.add_message(self.conversation_id, "user", self._text,
                                     parent_id=self._parent_id, extra=self._user_extra())
            return user, user.id
        assert self._target_id is not None
        target = store.get_message(self._target_id)
        if self.kind == "edit":
            assert self._text is not None
            user = store.add_message(self.conversation_id, "user", self._text,
                                     parent_id=target.parent_id, extra=self._user_extra())
            return user, user.id
        return None, target.parent_id

    def _user_extra(self) -> dict[str, Any] | None:
        return self._prompt_hook.user_extra if self._prompt_hook is not None else None

    def _loaded_name(self) -> str | None:
        loaded = self.client.loaded
        return Path(loaded.info.path).name if loaded is not None else None

    def stream_reply(self, writer: StreamWriter, messages: list[dict[str, Any]],
                     sampling: SamplingSettings, tools: ToolSettings | None = None) -> Streamed:
        """Stream one reply into `writer`, yielding its deltas; returns its TurnFinished
        (not yielded: the caller decides whether the turn ends) and the calls it made."""
        saver = _Saver(self.history, writer)
        finished = False
        calls: list[ToolCall] = []
        try:
            if self.cancelled:
                finished = True
                return TurnFinished(saver.finish("cancelled"), None), []
            events = self.client.chat(messages, sampling, tools) if tools is not None \
                else self.client.chat(messages, sampling)
            if self.cancelled:  # stopped while the request was on its way
                self.client.cancel()
            for event in events:
                if isinstance(event, ToolCall):
                    calls.append(event)
                    continue
                if isinstance(event, ChatDone):
                    finished = True
                    if isinstance(self.client.loaded, LoadedModel):
                        measured.record_reply(self.client.loaded, event)  # fit learns from it
                    return TurnFinished(saver.done(event, self.cancelled), event), calls
                saver.add(event)
                yield event
            finished = True
            return TurnFinished(saver.finish("cancelled" if self.cancelled else "error"),
                                None), []
        except EngineError as exc:
            finished = True
            return TurnFinished(saver.finish("error"), None, exc), []
        finally:
            if not finished:  # the caller stopped listening, or the history failed
                saver.finish("cancelled")


class _Saver:
    """Hands a streaming reply to the history in pieces, at the writer's flush interval,
    so a turn crosses to the history's thread a few times a second, not once per token."""

    def __init__(self, history: HistoryCalls, writer: StreamWriter) -> None:
        self._history = history
        self._writer = writer
        self._pending: list[ChatEvent] = []
        self._handed = time.monotonic()

    def add(self, event: ChatEvent) -> None:
        self._pending.append(event)
        if time.monotonic() - self._handed >= self._writer.flush_interval:
            self._history.call(lambda _store: self._record(None, False))

    def done(self, event: ChatDone, cancelled: bool) -> Message:
        reply = self._history.call(lambda _store: self._record(event, cancelled))
        assert reply is not None
        return reply

    def finish(self, reason: FinishReason) -> Message:
        def finish(_store: HistoryStore) -> Message:
            self._record(None, False)
            return self._writer.finish(reason)

        return self._history.call(finish)

    def _record(self, last: ChatEvent | None, cancelled: bool) -> Message | None:
        """On the history's thread: the pending deltas, then `last` (the final event)."""
        pending, self._pending = self._pending, []
        self._handed = time.monotonic()
        for event in pending:
            record_event(self._writer, event)
        return record_event(self._writer, last, cancelled=cancelled) if last else None
