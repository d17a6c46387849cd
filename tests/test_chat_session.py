"""chat.ChatSession and history.runner with the real history store (and, marked slow, the
real engine and model): the turn lifecycle apart from any view."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from spark_desktop.chat import ChatSession, ConversationCreated, TurnFinished, TurnStarted
from spark_desktop.engine import Client, TextDelta
from spark_desktop.history import HistoryStore
from spark_desktop.history.runner import DirectHistory, HistoryRunner


def test_sibling_positions_for_a_screenful(store: HistoryStore) -> None:
    conv = store.create_conversation("tree")
    first = store.add_message(conv.id, "user", "a", parent_id=None)
    second = store.add_message(conv.id, "user", "b", parent_id=None)
    replies = [store.add_message(conv.id, "assistant", f"r{i}", parent_id=second.id)
               for i in range(3)]
    only = store.add_message(conv.id, "user", "c", parent_id=replies[2].id)
    other = store.create_conversation("other")
    lone_root = store.add_message(other.id, "user", "x", parent_id=None)
    asked = [first.id, second.id, replies[1].id, replies[2].id, only.id]
    assert store.sibling_positions(conv.id, asked) == {
        first.id: (1, 2), second.id: (2, 2), replies[1].id: (2, 3), replies[2].id: (3, 3)}
    # the same figures as asking message by message
    for msg_id, (pos, count) in store.sibling_positions(conv.id, asked).items():
        ids = [m.id for m in store.siblings(msg_id)]
        assert (ids.index(msg_id) + 1, len(ids)) == (pos, count)
    assert store.sibling_positions(other.id, [lone_root.id]) == {}
    assert store.sibling_positions(conv.id, []) == {}
    session = ChatSession(DirectHistory(store))
    session.show(conv)
    assert session.siblings_op([replies[0].id])(store) == {replies[0].id: (1, 3)}


def test_the_lifecycle_of_a_turn_as_plain_state(store: HistoryStore) -> None:
    session = ChatSession(DirectHistory(store))
    assert session.send("   ") is None and not session.busy
    request = session.send(" Hello ", system_prompt="Be brief.", sampling={"temperature": 0},
                           model_name="m.gguf")
    assert request is not None and session.busy
    assert (request.kind, request.conversation_id, request.text) == ("send", None, "Hello")
    assert session.send("again") is None  # one reply at a time
    assert session.stop() and request.stop.is_set()
    session.finished()
    assert not session.busy and not session.stop()

    conv = store.create_conversation("chat")
    question = store.add_message(conv.id, "user", "Name a fruit.", parent_id=None)
    reply = store.add_message(conv.id, "assistant", "Apple.", parent_id=question.id)
    session.show(conv)
    assert not session.start_edit(reply)  # only the person's own messages are edited
    assert session.start_edit(question) and session.editing == question
    edit = session.send("Name a tree.")
    assert edit is not None and (edit.kind, edit.target, edit.conversation_id) == \
        ("edit", question, conv.id)
    assert session.editing is None
    session.finished()
    assert session.regenerate(question) is None  # a user message has no other answer
    again = session.regenerate(reply)
    assert again is not None and (again.kind, again.target) == ("regenerate", reply)
    assert session.switch_op(reply.id, -1) is None  # not while a reply runs
    session.finished()
    op = session.switch_op(reply.id, -1)
    assert op is not None and op(store) == conv.id


def test_a_new_chat_is_adopted_unless_the_person_moved_on(store: HistoryStore) -> None:
    session = ChatSession(DirectHistory(store))
    conv = store.create_conversation("made by the turn")
    request = session.send("Hi")
    assert request is not None
    assert session.apply(ConversationCreated(conv)) and session.conversation == conv
    question = store.add_message(conv.id, "user", "Hi", parent_id=None)
    writer = store.begin_stream(conv.id, parent_id=question.id)
    assert session.apply(TurnStarted(conv.id, question, writer.message))
    assert session.reply_id == writer.message_id
    assert session.apply(TextDelta("Hel"))
    assert session.apply(TurnFinished(writer.finish("stop"), None))
    session.finished()
    assert session.reply_id is None

    # a second new chat whose person opened another conversation before it was created
    session.show(None)
    assert session.send("Anyone?") is not None
    session.show(store.create_conversation("elsewhere"))
    late = store.create_conversation("late")
    assert not session.apply(ConversationCreated(late))
    assert session.conversation is not None and session.conversation.title == "elsewhere"


def test_the_runner_runs_calls_in_order_on_one_thread(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    runner = HistoryRunner(opener=lambda: HistoryStore.open(path))
    assert runner.store is None  # opened by the first call, on the runner's thread
    threads: list[int] = []

    def note(title: str) -> object:
        def op(store: HistoryStore) -> object:
            threads.append(threading.get_ident())
            return store.create_conversation(title)
        return op

    futures = [runner.submit(note(f"c{i}")) for i in range(20)]
    titles = [f.result().title for f in futures]  # type: ignore[attr-defined]
    assert titles == [f"c{i}" for i in range(20)]
    assert len(set(threads)) == 1 and threads[0] != threading.get_ident()
    # a call made from the runner's own thread runs there instead of waiting on itself
    nested = runner.submit(lambda store: runner.call(lambda s: s is store)).result(timeout=10)
    assert nested is True
    assert runner.call(lambda store: store.count_conversations()) == 20
    runner.close()
    with HistoryStore.open(path) as again:
        assert again.count_conversations() == 20


@pytest.mark.slow
def test_a_session_turn_creates_the_conversation_and_saves_the_reply_through_the_runner(
        store: HistoryStore, engine: Client) -> None:
    runner = HistoryRunner(store)
    session = ChatSession(runner, flush_interval=0.0)
    request = session.send("Name a colour.", system_prompt="Answer in one word.",
                           sampling={"temperature": 0.0, "max_tokens": 4},
                           model_name="gemma-test.gguf")
    assert request is not None
    events = []
    turn = threading.Thread(target=lambda: events.extend(session.run(request, engine)))
    turn.start()  # as the engine's thread does; the session's state stays on this one
    turn.join(120)
    for event in events:
        session.apply(event)
    session.finished()
    created, started, finished = events[0], events[1], events[-1]
    assert isinstance(created, ConversationCreated) and isinstance(started, TurnStarted)
    assert isinstance(finished, TurnFinished) and finished.done is not None
    conv = store.get_conversation(created.conversation.id)
    assert session.conversation == created.conversation and conv.title == "Name a colour."
    assert conv.system_prompt == "Answer in one word." and conv.model == "gemma-test.gguf"
    assert conv.load_settings["n_ctx"] == 1024 and conv.sampling_settings["max_tokens"] == 4
    saved = store.get_message(finished.reply.id)
    assert saved.content == "".join(e.text for e in events if isinstance(e, TextDelta))
    assert saved.model == "gemma-test.gguf" and saved.finish_reason in ("stop", "length")
    assert saved.completion_tokens is not None and saved.completion_tokens <= 4
    runner.close()
