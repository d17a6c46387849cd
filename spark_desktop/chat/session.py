"""A chat session: one conversation's turn lifecycle, apart from any view.

The GUI page, the CLI `chat` and (next) the server and the compare page drive a
conversation through this: send, edit-and-resend, regenerate, stop. The state is plain
values changed on the owner's thread only (the GUI thread for the page). A turn runs
elsewhere, because it blocks on the engine: the owner asks `send()` for a TurnRequest,
runs `run(request, client)` on the engine's thread, and hands each event back to
`apply()` on its own thread. History calls go through `history` (the GUI's HistoryRunner,
so only its thread writes the database; the CLI's store directly).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from spark_desktop.chat.tool_loop import (
    ApprovalNeeded,
    Approvals,
    Decision,
    ReplyStarted,
    TurnTools,
    tool_settings_of,
)
from spark_desktop.chat.toolbox import ToolBox
from spark_desktop.chat.turn import (
    ChatClient,
    Kind,
    PromptHook,
    Turn,
    TurnEvent,
    TurnFinished,
    TurnStarted,
)
from spark_desktop.history.records import Conversation, Message
from spark_desktop.history.runner import HistoryCalls
from spark_desktop.history.store import HistoryStore
from spark_desktop.inference_settings import SamplingSettings

#: (position, count) of a message among its siblings, by message id.
Siblings = dict[str, tuple[int, int]]


@dataclass(frozen=True)
class TurnRequest:
    """Everything a turn needs, fixed when the person asked (a value: safe on any thread)."""

    kind: Kind
    conversation_id: str | None        # None: the turn creates the conversation first
    text: str | None = None            # the message sent (send, edit)
    target: Message | None = None      # the reply regenerated or the user message edited
    system_prompt: str | None = None
    sampling: Mapping[str, Any] = field(default_factory=dict)  # as stored with the chat
    model_name: str | None = None
    view: int = 0                      # the session's view when asked (see ChatSession.view)
    documents: tuple[str, ...] = ()    # the chat's attached files (absolute paths)
    collection: str | None = None      # the chat's collection of documents, by name
    stop: threading.Event = field(default_factory=threading.Event, compare=False)
    # Conversation.extra["tools"] ({"enabled", "choice"}); None leaves the chat's as they are
    tools: Mapping[str, Any] | None = None
    toolbox: ToolBox | None = field(default=None, compare=False)
    approvals: Approvals = field(default_factory=Approvals, compare=False)

    def turn_tools(self) -> TurnTools | None:
        """The turn's tools: offered when switched on and the box has any."""
        settings = tool_settings_of({"tools": self.tools} if self.tools is not None else {})
        if not settings["enabled"] or self.toolbox is None:
            return None
        return TurnTools(self.toolbox, self.approvals.wait, settings["choice"])


@dataclass(frozen=True)
class ConversationCreated:
    """The turn made a new conversation (before its TurnStarted)."""

    conversation: Conversation


SessionEvent = ConversationCreated | TurnEvent


def sources_extra(documents: Sequence[str], collection: str | None) -> dict[str, Any]:
    """The keys of Conversation.extra that hold a chat's documents and collection."""
    return {**({"documents": list(documents)} if documents else {}),
            **({"collection": collection} if collection else {})}


class ChatSession:
    """The conversation shown, whether a reply is running, and the message being edited.

    `conversation` is None for a new chat: the first message creates it. `view` counts
    the conversations shown, so a turn's late events know whether the person moved on.
    """

    def __init__(self, history: HistoryCalls, *, flush_interval: float = 0.5) -> None:
        self.history = history
        self.flush_interval = flush_interval
        self.conversation: Conversation | None = None
        self.editing: Message | None = None
        self.reply_id: str | None = None
        self.view = 0
        self.documents: tuple[str, ...] = ()  # attached to the chat shown (see sources_op)
        self.collection: str | None = None    # the collection it searches, by name
        self.waiting: ApprovalNeeded | None = None  # the call the person is asked about
        self._request: TurnRequest | None = None

    @property
    def busy(self) -> bool:
        """True from send()/regenerate() until finished()."""
        return self._request is not None

    # -- what is shown ------------------------------------------------------------------
    def show(self, conversation: Conversation | None) -> None:
        """Another conversation (None: a new chat) is shown; an edit in progress ends."""
        self.view += 1
        self.conversation = conversation
        self.editing = None
        extra = conversation.extra if conversation is not None else {}
        self.documents = tuple(str(p) for p in extra.get("documents") or ())
        self.collection = str(extra["collection"]) if extra.get("collection") else None

    def saved(self, conversation: Conversation) -> None:
        """A newer version of a conversation (renamed, settings saved) came back."""
        if self.conversation is not None and self.conversation.id == conversation.id:
            self.conversation = conversation

    def shows(self, conversation_id: str) -> bool:
        return self.conversation is not None and self.conversation.id == conversation_id

    # -- intents (owner's thread) ---------------------------------------------------------
    def start_edit(self, message: Message) -> bool:
        """Edit a user message: the next send() makes a sibling of it."""
        if self.busy or message.role != "user":
            return False
        self.editing = message
        return True

    def cancel_edit(self) -> bool:
        """Leave edit mode; True if there was an edit to leave."""
        was, self.editing = self.editing is not None, None
        return was

    def send(self, text: str, *, system_prompt: str | None = None,
             sampling: Mapping[str, Any] | None = None, model_name: str | None = None,
             tools: Mapping[str, Any] | None = None,
             toolbox: ToolBox | None = None) -> TurnRequest | None:
        """A turn for `text` (a new branch when a message is being edited); None when
        there is nothing to send or a reply is still running."""
        text = text.strip()
        if not text or self.busy:
            return None
        editing, self.editing = self.editing, None
        return self._begin(TurnRequest(
            "edit" if editing is not None else "send",
            self.conversation.id if self.conversation is not None else None, text=text,
            target=editing, system_prompt=system_prompt, sampling=dict(sampling or {}),
            model_name=model_name, view=self.view, tools=tools, toolbox=toolbox,
            **self._sources()))

    def regenerate(self, reply: Message, *, system_prompt: str | None = None,
                   sampling: Mapping[str, Any] | None = None, model_name: str | None = None,
                   tools: Mapping[str, Any] | None = None,
                   toolbox: ToolBox | None = None) -> TurnRequest | None:
        """A turn for another answer in place of `reply` (kept as its sibling)."""
        if self.busy or reply.role != "assistant":
            return None
        return self._begin(TurnRequest(
            "regenerate", reply.conversation_id, target=reply, system_prompt=system_prompt,
            sampling=dict(sampling or {}), model_name=model_name, view=self.view, tools=tools,
            toolbox=toolbox, **self._sources()))

    def _sources(self) -> dict[str, Any]:
        """The chat's documents and collection, as the next turn reads them."""
        return {"documents": self.documents, "collection": self.collection}

    def sources_op(self, documents: Sequence[str], collection: str | None
                   ) -> Callable[[HistoryStore], Conversation] | None:
        """The chat's attached documents and collection are now these; the op saves them
        in the conversation (beside its other extras). None for a new chat: its first
        turn does."""
        self.documents = tuple(dict.fromkeys(str(p) for p in documents))
        self.collection = collection or None
        conv, sources = self.conversation, sources_extra(self.documents, self.collection)
        if conv is None:
            return None

        def save(store: HistoryStore) -> Conversation:
            extra = {k: v for k, v in store.get_conversation(conv.id).extra.items()
                     if k not in ("documents", "collection")}
            return store.update_conversation(conv.id, extra={**extra, **sources})

        return save

    def _begin(self, request: TurnRequest) -> TurnRequest:
        self._request = request
        self.reply_id = None
        return request

    def stop(self) -> bool:
        """Ask the running turn to stop (its text is kept); True if one was running. The
        caller also cancels the engine's request, from whichever thread it likes."""
        if self._request is None:
            return False
        self._request.stop.set()
        self._request.approvals.cancel()
        self.waiting = None
        return True

    def answer(self, decision: Decision) -> bool:
        """The person's answer to the call waiting for approval; False if none waits."""
        if self._request is None or self.waiting is None:
            return False
        self.waiting = None
        self._request.approvals.answer(decision)
        return True

    # -- running (any thread: it blocks on the engine) -----------------------------------
    def run(self, request: TurnRequest, client: ChatClient,
            prompt_hook: PromptHook | None = None) -> Iterator[SessionEvent]:
        """Save the chat's settings (creating the conversation for a new chat, with its
        documents), then run the turn (its prompt remade by `prompt_hook`: see
        chat.documents); always ends with TurnFinished unless the history fails."""
        settings = {"system_prompt": request.system_prompt,
                    "sampling_settings": dict(request.sampling)}
        tools = dict(request.tools) if request.tools is not None else None
        cid = request.conversation_id
        if cid is None:
            loaded = client.loaded
            load = loaded.options.to_dict() if loaded is not None else {}
            extra = sources_extra(request.documents, request.collection)
            if tools is not None:
                extra["tools"] = tools
            cid = self.history.call(lambda store: store.create_conversation(
                model=request.model_name, load_settings=load, extra=extra, **settings).id)
        else:
            def save(store: HistoryStore) -> None:
                more: dict[str, Any] = {}
                if tools is not None:
                    more["extra"] = {**store.get_conversation(cid).extra, "tools": tools}
                store.update_conversation(cid, **settings, **more)

            self.history.call(save)
        options: dict[str, Any] = {
            "sampling": SamplingSettings.from_dict(request.sampling),
            "system_prompt": request.system_prompt, "use_stored_system_prompt": False,
            "model_name": request.model_name, "flush_interval": self.flush_interval,
            "cancelled": request.stop, "prompt_hook": prompt_hook,
            "tools": request.turn_tools()}
        if request.kind == "send":
            turn = Turn.send(self.history, client, cid, request.text or "", **options)
        elif request.kind == "edit":
            assert request.target is not None
            turn = Turn.edit(self.history, client, request.target, request.text or "",
                             **options)
        else:
            assert request.target is not None
            turn = Turn.regenerate(self.history, client, request.target, **options)
        for event in turn.run():
            if isinstance(event, TurnStarted) and request.conversation_id is None:
                yield ConversationCreated(self.history.call(
                    lambda store: store.get_conversation(cid)))
            yield event

    # -- results (owner's thread) ---------------------------------------------------------
    def apply(self, event: SessionEvent) -> bool:
        """Take in an event of the running turn; True when it belongs to the conversation
        shown (a new chat is adopted by the conversation its first turn created)."""
        request = self._request
        if isinstance(event, ConversationCreated):
            adopt = request is not None and request.view == self.view \
                and self.conversation is None
            if adopt:
                self.conversation = event.conversation
            return adopt
        if isinstance(event, TurnStarted | ReplyStarted):
            self.reply_id = event.reply.id
            return self.shows(event.reply.conversation_id)
        if isinstance(event, ApprovalNeeded):
            self.waiting = event if request is not None and not request.stop.is_set() else None
            return self.shows(event.reply.conversation_id)
        if isinstance(event, TurnFinished):
            self.reply_id = None
            self.waiting = None
            return self.shows(event.reply.conversation_id)
        return self.reply_id is not None

    def finished(self) -> None:
        """The turn's run ended (with its TurnFinished, or with an error)."""
        self._request = None
        self.reply_id = None
        self.waiting = None

    # -- the branch switcher (ops: functions of the store, run where history calls run) -
    def siblings_op(self, message_ids: Iterable[str]) -> Callable[[HistoryStore], Siblings]:
        """(position, count) among its siblings of each of these messages of the shown
        conversation that has any, in one query."""
        conv, ids = self.conversation, list(message_ids)
        if conv is None or not ids:
            return lambda _store: {}
        return lambda store: store.sibling_positions(conv.id, ids)

    def switch_op(self, message_id: str, step: int) -> Callable[[HistoryStore], str] | None:
        """Show the previous (-1) or next (+1) version of a message and the branch below
        it; the op returns the conversation's id. None while a reply runs."""
        conv = self.conversation
        if conv is None or self.busy:
            return None

        def switch(store: HistoryStore) -> str:
            ids = [m.id for m in store.siblings(message_id)]
            target = ids[max(0, min(len(ids) - 1, ids.index(message_id) + step))]
            store.switch_branch(conv.id, target)
            return conv.id

        return switch
