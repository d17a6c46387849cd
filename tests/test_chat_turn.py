"""chat.Turn with the real history store (SQLite in tmp) and the real engine and model."""

from __future__ import annotations

import os
import signal
from datetime import datetime
from pathlib import Path

import pytest

from spark_desktop.chat import (
    Turn,
    TurnFinished,
    TurnStarted,
    prompt_messages,
)
from spark_desktop.engine import Client, TextDelta, WorkerDiedError
from spark_desktop.history import HistoryStore, Message
from spark_desktop.inference_settings import SamplingSettings
from tests.conftest import chat_options

OPTIONS = chat_options()
GREEDY = SamplingSettings(temperature=0.0, max_tokens=8)
LONG = SamplingSettings(temperature=0.0, max_tokens=300, ignore_eos=True)


def run(turn: Turn) -> tuple[TurnStarted, str, TurnFinished]:
    events = list(turn.run())
    assert isinstance(events[0], TurnStarted)
    assert isinstance(events[-1], TurnFinished)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    return events[0], text, events[-1]


@pytest.mark.slow
def test_send_streams_and_saves_the_reply_with_its_stats(store: HistoryStore,
                                                         engine: Client) -> None:
    conv = store.create_conversation()
    started, text, finished = run(Turn.send(store, engine, conv.id, "Name three colours.",
                                            sampling=GREEDY))
    assert started.user_message is not None
    assert started.user_message.content == "Name three colours."
    assert started.reply.streaming and started.reply.parent_id == started.user_message.id
    reply = store.get_message(started.reply.id)
    assert text and reply.content == text
    assert reply == finished.reply
    assert reply.finish_reason in ("stop", "length") and not reply.streaming
    assert reply.completion_tokens and reply.completion_tokens <= 8
    assert reply.prompt_tokens and reply.ttft_ms is not None and reply.tokens_per_s
    assert reply.model == "gemma-3-270m-q4_k_m.gguf"
    assert store.get_conversation(conv.id).title == "Name three colours."
    # a second turn sees the first: its prompt is longer than the first question alone
    _, _, second = run(Turn.send(store, engine, conv.id, "And one more?", sampling=GREEDY))
    assert second.done is not None and second.done.prompt_tokens > reply.prompt_tokens
    path = store.active_path(conv.id)
    assert [m.role for m in path] == ["user", "assistant", "user", "assistant"]


@pytest.mark.slow
def test_stop_mid_stream_keeps_the_partial_reply_as_cancelled(store: HistoryStore,
                                                               engine: Client) -> None:
    conv = store.create_conversation()
    turn = Turn.send(store, engine, conv.id, "Count upwards from one.", sampling=LONG)
    deltas: list[str] = []
    finished = None
    for event in turn.run():
        if isinstance(event, TextDelta):
            deltas.append(event.text)
            if len(deltas) == 4:
                turn.cancel()
        elif isinstance(event, TurnFinished):
            finished = event
    assert finished is not None and turn.cancelled
    reply = store.get_message(finished.reply.id)
    assert reply.finish_reason == "cancelled" and not reply.streaming
    assert reply.content == "".join(deltas) and len(deltas) >= 4
    assert reply.completion_tokens is not None and reply.completion_tokens < 300


@pytest.mark.slow
def test_regenerate_adds_a_sibling_reply_and_shows_it(store: HistoryStore,
                                                      engine: Client) -> None:
    conv = store.create_conversation(sampling_settings={"temperature": 0.0, "max_tokens": 8})
    first = run(Turn.send(store, engine, conv.id, "Say hello."))[2].reply
    second = run(Turn.regenerate(store, engine, first))[2].reply
    assert second.id != first.id and second.parent_id == first.parent_id
    assert [m.id for m in store.siblings(first.id)] == [first.id, second.id]
    assert store.get_conversation(conv.id).active_leaf_id == second.id
    # stored sampling settings were used: greedy twice gives the same words
    assert second.content == first.content and second.completion_tokens <= 8


@pytest.mark.slow
def test_edit_and_resend_branches_and_the_old_branch_stays(store: HistoryStore,
                                                           engine: Client) -> None:
    conv = store.create_conversation()
    started, _, old = run(Turn.send(store, engine, conv.id, "Name a fruit.", sampling=GREEDY))
    assert started.user_message is not None
    new_started, _, new = run(Turn.edit(store, engine, started.user_message, "Name a tree.",
                                        sampling=GREEDY))
    edited = new_started.user_message
    assert edited is not None and edited.parent_id is None and edited.content == "Name a tree."
    assert [m.id for m in store.siblings(edited.id)] == [started.user_message.id, edited.id]
    assert [m.id for m in store.active_path(conv.id)] == [edited.id, new.reply.id]
    store.switch_branch(conv.id, started.user_message.id)
    assert [m.id for m in store.active_path(conv.id)] == [started.user_message.id, old.reply.id]


@pytest.mark.slow
def test_a_killed_worker_ends_the_turn_with_the_partial_reply_kept(
        store: HistoryStore, engine: Client, test_model: Path) -> None:
    conv = store.create_conversation()
    turn = Turn.send(store, engine, conv.id, "Tell me a long story.", sampling=LONG)
    deltas: list[str] = []
    finished = None
    try:
        for event in turn.run():
            if isinstance(event, TextDelta):
                deltas.append(event.text)
                if len(deltas) == 3:
                    os.kill(engine.worker_pid or 0, signal.SIGKILL)
            elif isinstance(event, TurnFinished):
                finished = event
    finally:
        engine.load(test_model, OPTIONS)  # the next tests need a worker again
    assert finished is not None and isinstance(finished.error, WorkerDiedError)
    reply = store.get_message(finished.reply.id)
    assert reply.finish_reason == "error" and not reply.streaming
    assert len(deltas) >= 3 and reply.content == "".join(deltas)
    assert store.integrity_check() == ["ok"]


@pytest.mark.slow
def test_cancel_before_the_engine_starts_still_saves_a_cancelled_reply(
        store: HistoryStore, engine: Client) -> None:
    conv = store.create_conversation()
    turn = Turn.send(store, engine, conv.id, "Hi", sampling=GREEDY)
    turn.cancel()
    started, text, finished = run(turn)
    assert text == "" and finished.reply.finish_reason == "cancelled"
    assert store.get_message(started.reply.id).finish_reason == "cancelled"


def _msg(role: str, content: str) -> Message:
    return Message(id=content, conversation_id="c", parent_id=None, role=role,  # type: ignore[arg-type]
                   content=content, created_at=datetime(2026, 1, 1))


def test_prompt_has_the_system_prompt_and_skips_empty_replies() -> None:
    branch = [_msg("user", "q1"), _msg("assistant", ""), _msg("user", "q2"),
              _msg("assistant", "a2"), _msg("tool", "t"), _msg("user", "q3")]
    assert prompt_messages(branch, "Be brief.") == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "q1"},
        {"role": "user", "content": "q2"}, {"role": "assistant", "content": "a2"},
        {"role": "user", "content": "q3"}]
    assert prompt_messages(branch[:1], "  ") == [{"role": "user", "content": "q1"}]


def test_stored_sampling_settings_become_options_and_unknown_keys_are_ignored() -> None:
    options = SamplingSettings.from_dict({"temperature": 0.2, "top_k": 5, "stop": ["x"],
                                          "from_a_newer_app": 1})
    assert options == SamplingSettings(temperature=0.2, top_k=5, stop=("x",))
