"""Tools in a chat turn (chat.tool_loop) with the real SmolLM2 (a plain ChatML template: the
engine's generic format, a required call held to a grammar), the real history and an
in-test toolbox: approve, run, save, answer; deny; always allowed; stop while waiting;
the round limit; a reloaded conversation's prompt."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from spark_desktop.chat import (
    ApprovalNeeded,
    ChatSession,
    ReplyStarted,
    ToolAnswered,
    ToolCallsSaved,
    ToolLimitReached,
    Turn,
    TurnFinished,
    TurnStarted,
    TurnTools,
    prompt_messages,
)
from spark_desktop.chat.tool_loop import DECLINED, Approvals, run_tool, tool_settings_of
from spark_desktop.chat.toolbox import ToolResult
from spark_desktop.engine import Client, TextDelta, Tool, ToolCall, ToolSettings
from spark_desktop.history import HistoryStore
from spark_desktop.history.runner import DirectHistory
from spark_desktop.inference_settings import SamplingSettings
from tests.fixtures.real_model import smollm2_path
from tests.host_fixtures import small_load

ASK = "What is 2 plus 3? Use the add tool."
SAMPLING = SamplingSettings(temperature=0.0, max_tokens=40)
ADD = Tool("add", "Add two numbers", {
    "type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
    "required": ["a", "b"]})


class AddBox:
    """A toolbox of one tool, add(a, b), remembering its calls and standing permissions."""

    def __init__(self, always: set[str] | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.always = set(always or ())

    def tools(self) -> list[Tool]:
        return [ADD]

    def call(self, name: str, arguments: Mapping[str, Any]) -> ToolResult:
        assert name == "add"
        self.calls.append(dict(arguments))
        return ToolResult(json.dumps(arguments["a"] + arguments["b"]))

    def always_allowed(self, name: str) -> bool:
        return name in self.always

    def allow_always(self, name: str) -> None:
        self.always.add(name)


@pytest.fixture(scope="module")
def smol(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    client = Client(log_path=tmp_path_factory.mktemp("engine") / "engine.log")
    client.load(smollm2_path(), small_load())
    yield client
    client.close()


def asked(calls: list[ToolCall], answer: str | None) -> Any:
    def approve(call: ToolCall) -> Any:
        calls.append(call)
        return answer
    return approve


def test_a_required_call_is_approved_run_saved_and_answered(store: HistoryStore,
                                                            smol: Client) -> None:
    assert smol.loaded is not None and smol.loaded.info.tool_format == "generic"
    conv = store.create_conversation()
    box, questions = AddBox(), []
    tools = TurnTools(box, asked(questions, "once"), "required")
    events = list(Turn.send(store, smol, conv.id, ASK, sampling=SAMPLING, tools=tools).run())
    kinds = [type(e) for e in events if not isinstance(e, TextDelta)]
    assert kinds == [TurnStarted, ToolCallsSaved, ApprovalNeeded, ToolAnswered, ReplyStarted,
                     TurnFinished]
    (call,) = questions
    args = json.loads(call.arguments)
    assert call.name == "add" and set(args) == {"a", "b"}
    assert all(isinstance(v, int | float) for v in args.values())
    assert box.calls == [args]  # ran once, after the approval, with the model's arguments
    user, calling, result, answer = store.active_path(conv.id)
    assert (user.role, calling.role, result.role, answer.role) == \
        ("user", "assistant", "tool", "assistant")
    assert calling.extra["tool_calls"] == [{"id": call.id, "name": "add",
                                            "arguments": call.arguments}]
    assert calling.finish_reason == "stop" and calling.completion_tokens
    assert result.content == json.dumps(args["a"] + args["b"])
    assert dict(result.extra) == {"tool_call_id": call.id, "name": "add"}
    assert result.parent_id == calling.id and answer.parent_id == result.id
    again = next(i for i, e in enumerate(events) if isinstance(e, ReplyStarted))
    assert not any(isinstance(e, TextDelta) for e in events[:again])  # the call is no text
    streamed = "".join(e.text for e in events[again:] if isinstance(e, TextDelta))
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.reply == answer
    assert answer.content == streamed and answer.content.strip()
    assert answer.finish_reason in ("stop", "length") and not answer.extra


def test_a_denied_call_is_answered_with_the_refusal(store: HistoryStore, smol: Client) -> None:
    conv = store.create_conversation()
    box, questions = AddBox(), []
    tools = TurnTools(box, asked(questions, "deny"), "required")
    list(Turn.send(store, smol, conv.id, ASK, sampling=SAMPLING, tools=tools).run())
    assert len(questions) == 1 and box.calls == []
    _, calling, result, answer = store.active_path(conv.id)
    assert result.content == DECLINED and result.extra["is_error"] is True
    assert result.extra["tool_call_id"] == calling.extra["tool_calls"][0]["id"]
    assert answer.role == "assistant" and answer.finish_reason in ("stop", "length")


def test_an_always_allowed_tool_runs_without_asking(store: HistoryStore, smol: Client) -> None:
    conv = store.create_conversation()
    box = AddBox(always={"add"})

    def never(call: ToolCall) -> Any:
        raise AssertionError(f"asked about {call.name}, which is always allowed")

    events = list(Turn.send(store, smol, conv.id, ASK, sampling=SAMPLING,
                            tools=TurnTools(box, never, "required")).run())
    assert not any(isinstance(e, ApprovalNeeded) for e in events)
    assert len(box.calls) == 1
    assert [m.role for m in store.active_path(conv.id)] == ["user", "assistant", "tool",
                                                             "assistant"]


def test_the_session_asks_saves_the_chat_settings_and_always_remembers(
        store: HistoryStore, smol: Client) -> None:
    session, box = ChatSession(DirectHistory(store)), AddBox()
    settings = {"enabled": True, "choice": "required"}
    request = session.send(ASK, sampling={"temperature": 0, "max_tokens": 40}, tools=settings,
                           toolbox=box)
    assert request is not None
    for event in session.run(request, smol):
        session.apply(event)
        if isinstance(event, ApprovalNeeded):
            assert session.waiting == event
            assert session.answer("always") and session.waiting is None
    session.finished()
    assert box.always == {"add"} and len(box.calls) == 1
    conv = store.list_conversations()[0]
    assert conv.extra["tools"] == settings
    # switched off: the next turn offers no tools, and says so in the chat's settings
    session.show(conv)
    off = session.send("Thanks.", sampling={"temperature": 0, "max_tokens": 4},
                       tools={"enabled": False, "choice": "auto"}, toolbox=box)
    assert off is not None and off.turn_tools() is None
    assert not any(isinstance(e, ApprovalNeeded) for e in session.run(off, smol))
    session.finished()
    assert store.get_conversation(conv.id).extra["tools"] == {"enabled": False,
                                                              "choice": "auto"}


def test_stop_while_waiting_ends_the_turn_cleanly(store: HistoryStore, smol: Client) -> None:
    session, box = ChatSession(DirectHistory(store)), AddBox()
    request = session.send(ASK, sampling={"temperature": 0, "max_tokens": 40},
                           tools={"enabled": True, "choice": "required"}, toolbox=box)
    assert request is not None
    events = []
    for event in session.run(request, smol):
        session.apply(event)
        events.append(event)
        if isinstance(event, ApprovalNeeded):
            assert session.stop()
    session.finished()
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and box.calls == []
    path = store.active_path(finished.reply.conversation_id)
    assert [m.role for m in path] == ["user", "assistant"]
    assert path[1] == finished.reply and path[1].finish_reason == "cancelled"
    assert path[1].extra["tool_calls"][0]["name"] == "add"  # nothing lost
    assert path[1].completion_tokens
    # a call nobody answered is not shown to the model again
    assert prompt_messages(path, None) == [{"role": "user", "content": ASK}]


def test_auto_calls_stop_at_the_round_limit(store: HistoryStore, smol: Client) -> None:
    conv = store.create_conversation()
    box = AddBox(always={"add"})
    tools = TurnTools(box, asked([], None), "auto", max_rounds=1)
    events = list(Turn.send(store, smol, conv.id, ASK, sampling=SAMPLING, tools=tools).run())
    assert len(box.calls) == 1  # asked to, the model called add by itself
    assert ToolLimitReached(1) in events
    last = store.active_path(conv.id)[-1]
    assert last.role == "assistant" and not last.extra.get("tool_calls")


def test_after_a_forced_call_the_model_answers_without_tools(store: HistoryStore,
                                                             smol: Client) -> None:
    conv = store.create_conversation()
    box = AddBox(always={"add"})
    events = list(Turn.send(store, smol, conv.id, ASK, sampling=SAMPLING,
                            tools=TurnTools(box, asked([], None), "required")).run())
    assert len(box.calls) == 1 and not any(isinstance(e, ToolLimitReached) for e in events)
    path = store.active_path(conv.id)
    assert [m.role for m in path] == ["user", "assistant", "tool", "assistant"]
    # the answer's prompt is the exchange alone, no tools offered (their section is long)
    assert path[3].prompt_tokens == smol.count_tokens(prompt_messages(path[:3], None))
    offered = smol.count_tokens(prompt_messages(path[:3], None),
                                ToolSettings((ADD,), "auto"))
    assert offered > path[3].prompt_tokens + 20


def test_a_reloaded_conversation_continues_with_its_calls_and_results(
        tmp_path: Path, smol: Client) -> None:
    path = tmp_path / "history.sqlite3"
    with HistoryStore.open(path) as store:
        conv = store.create_conversation()
        list(Turn.send(store, smol, conv.id, ASK, sampling=SAMPLING,
                       tools=TurnTools(AddBox(always={"add"}), asked([], None),
                                       "required")).run())
        first = store.active_path(conv.id)
    with HistoryStore.open(path) as store:  # the app started again
        branch = store.active_path(conv.id)
        assert branch == first
        call = branch[1].extra["tool_calls"][0]
        assert prompt_messages(branch, "Be brief.") == [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": ASK},
            {"role": "assistant", "content": "", "tool_calls": [
                {"id": call["id"], "type": "function",
                 "function": {"name": "add", "arguments": call["arguments"]}}]},
            {"role": "tool", "content": branch[2].content, "tool_call_id": call["id"],
             "name": "add"},
            {"role": "assistant", "content": branch[3].content}]
        # the next turn's prompt holds the exchange: longer than the question alone
        events = list(Turn.send(store, smol, conv.id, "And 4 plus 4?",
                                sampling=SamplingSettings(temperature=0.0,
                                                          max_tokens=4)).run())
        done = events[-1]
        assert isinstance(done, TurnFinished) and done.done is not None
        alone = smol.count_tokens([{"role": "user", "content": "And 4 plus 4?"}])
        assert done.done.prompt_tokens > alone + 10


class BrokenBox(AddBox):
    def call(self, name: str, arguments: Mapping[str, Any]) -> ToolResult:
        raise RuntimeError("the server went away")


def test_a_failing_or_unknown_tool_gives_the_model_an_error_result() -> None:
    call = ToolCall("call_1", "add", '{"a": 1, "b": 2}')
    assert run_tool(AddBox(), ["add"], call) == ToolResult("3")
    failed = run_tool(BrokenBox(), ["add"], call)
    assert failed.is_error and "the server went away" in failed.text
    unknown = run_tool(AddBox(), ["add"], ToolCall("call_2", "rm", "{}"))
    assert unknown.is_error and "'rm'" in unknown.text


def test_a_chats_tool_settings_are_read_with_defaults() -> None:
    assert tool_settings_of({}) == {"enabled": False, "choice": "auto"}
    assert tool_settings_of({"tools": {"enabled": True, "choice": "required"}}) == \
        {"enabled": True, "choice": "required"}
    assert tool_settings_of({"tools": {"enabled": 1, "choice": "sometimes"}}) == \
        {"enabled": True, "choice": "auto"}
    assert tool_settings_of({"tools": "yes"}) == {"enabled": False, "choice": "auto"}


def test_an_answer_waits_for_the_owner_and_a_stop_ends_the_wait() -> None:
    box = Approvals()
    box.answer("always")
    assert box.wait() == "always"
    waited: list[Any] = []
    waiter = threading.Thread(target=lambda: waited.append(box.wait()))
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()  # no answer yet: the turn's thread waits
    box.cancel()
    waiter.join(5)
    assert waited == [None] and box.wait() is None


class UnlistableBox(AddBox):
    def tools(self) -> list[Tool]:
        raise RuntimeError("no server answers")


def test_tools_that_cannot_be_listed_leave_a_plain_reply(store: HistoryStore,
                                                         smol: Client) -> None:
    conv = store.create_conversation()
    events = list(Turn.send(store, smol, conv.id, "Say hi.",
                            sampling=SamplingSettings(temperature=0.0, max_tokens=4),
                            tools=TurnTools(UnlistableBox(), asked([], None), "required")).run())
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.error is None
    assert finished.reply.finish_reason in ("stop", "length") and finished.reply.content
    assert [m.role for m in store.active_path(conv.id)] == ["user", "assistant"]
