"""The history store against a real SQLite file: conversations, branches, paging, search."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from spark_desktop import paths
from spark_desktop.history import HistoryError, HistoryStore, InvalidMessageError, NotFoundError
from spark_desktop.history.search import MARK_END, MARK_START, match_expression


@pytest.fixture()
def store() -> HistoryStore:
    with HistoryStore.open() as opened:
        yield opened


def test_default_location_is_private(store: HistoryStore) -> None:
    assert store.path == paths.database_path()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    store.add_message(store.create_conversation().id, "user", "hi")
    wal = store.path.with_name(store.path.name + "-wal")
    assert stat.S_IMODE(wal.stat().st_mode) == 0o600


def test_conversation_fields_titles_and_order(store: HistoryStore) -> None:
    first = store.create_conversation(system_prompt="Be brief.", model="org/repo:Q4_K_M",
                                      load_settings={"n_ctx": 8192, "n_gpu_layers": -1},
                                      sampling_settings={"temperature": 0.7, "top_p": 0.9})
    store.add_message(first.id, "user", "  How   do I\n bake bread at home with a very long "
                                        "question that goes on and on beyond eighty characters?")
    title = store.get_conversation(first.id).title
    assert title.startswith("How do I bake bread") and len(title) == 80 and title.endswith("…")
    store.add_message(first.id, "user", "second question does not rename")
    assert store.get_conversation(first.id).title == title
    second = store.create_conversation("Named")
    store.add_message(second.id, "user", "hello")
    assert store.get_conversation(second.id).title == "Named"
    pinned = store.create_conversation("pinned")
    store.set_pinned(pinned.id, True)
    store.set_folder(pinned.id, "work")
    store.set_tags(pinned.id, ["a", "b"])
    assert [c.id for c in store.list_conversations()] == [pinned.id, second.id, first.id]
    assert [c.id for c in store.list_conversations(limit=1, offset=1)] == [second.id]
    assert [c.id for c in store.list_conversations(folder="work")] == [pinned.id]
    got = store.get_conversation(pinned.id)
    assert (got.pinned, got.folder, got.tags) == (True, "work", ("a", "b"))
    store.rename(first.id, "  Bread ")
    again = store.get_conversation(first.id)
    assert again.title == "Bread" and again.load_settings["n_ctx"] == 8192
    assert again.sampling_settings == {"temperature": 0.7, "top_p": 0.9}
    assert store.resolve_id(first.id[:10]) == first.id
    store.delete_conversation(first.id)
    with pytest.raises(NotFoundError):
        store.get_conversation(first.id)
    assert store.count_conversations() == 2


def test_branches_regenerate_and_switch(store: HistoryStore) -> None:
    conv = store.create_conversation()
    question = store.add_message(conv.id, "user", "pick a number")
    one = store.add_message(conv.id, "assistant", "7", finish_reason="stop")
    two = store.add_message(conv.id, "assistant", "42", parent_id=question.id,
                            finish_reason="stop")  # regenerate: a sibling
    follow = store.add_message(conv.id, "user", "why 42?")
    assert [m.id for m in store.active_path(conv.id)] == [question.id, two.id, follow.id]
    assert [m.id for m in store.siblings(one.id)] == [one.id, two.id]
    assert [m.id for m in store.children(question.id)] == [one.id, two.id]
    assert store.switch_branch(conv.id, one.id) == one.id
    assert [m.id for m in store.active_path(conv.id)] == [question.id, one.id]
    assert store.switch_branch(conv.id, two.id) == follow.id  # down the newest replies
    store.delete_message(two.id)
    assert store.get_conversation(conv.id).active_leaf_id == question.id
    assert [m.id for m in store.children(question.id)] == [one.id]
    with pytest.raises(NotFoundError):
        store.get_message(follow.id)


def test_paging_walks_only_the_visible_window(store: HistoryStore) -> None:
    conv = store.create_conversation()
    ids = [store.add_message(conv.id, "user" if i % 2 == 0 else "assistant", f"m{i}").id
           for i in range(120)]
    page = store.messages_page(conv.id, limit=50)
    assert [m.id for m in page.messages] == ids[70:] and page.has_older
    assert page.messages[-1].depth == 119
    older = store.messages_page(conv.id, before_id=page.messages[0].id, limit=50)
    assert [m.id for m in older.messages] == ids[20:70] and older.has_older
    oldest = store.messages_page(conv.id, before_id=older.messages[0].id, limit=50)
    assert [m.id for m in oldest.messages] == ids[:20] and not oldest.has_older


def test_deep_conversation_deletes_whole(store: HistoryStore) -> None:
    """Deeper than SQLite's trigger depth (1000): no cascade recursion involved."""
    conv = store.create_conversation()
    parent = None
    from spark_desktop.history import Message
    from spark_desktop.history.rows import new_id, to_datetime

    chain = []
    for depth in range(2500):
        msg = Message(id=new_id(), conversation_id=conv.id, parent_id=parent, role="user",
                      content=f"line {depth}", created_at=to_datetime(depth), depth=depth)
        chain.append(msg)
        parent = msg.id
    store.delete_conversation(conv.id)
    deep = conv.__class__(**{**conv.__dict__, "active_leaf_id": parent})
    assert store.import_records([(deep, chain)]).messages == 2500
    assert len(store.messages_page(conv.id, limit=10).messages) == 10
    store.delete_message(chain[1].id)
    assert store.count_messages(conv.id) == 1
    store.delete_conversation(conv.id)
    assert store.integrity_check() == ["ok"]


def test_streaming_writer_flushes_and_finishes(store: HistoryStore) -> None:
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "count")
    writer = store.begin_stream(conv.id, model="gemma", flush_interval=3600)
    assert store.get_message(writer.message_id).streaming
    assert writer.append("one ") is False  # within the interval: kept in memory
    assert store.get_message(writer.message_id).content == ""
    writer.flush()
    assert store.get_message(writer.message_id).content == "one "
    writer.flush_interval = 0
    assert writer.append("two", reasoning="thinking") is True
    saved = store.get_message(writer.message_id)
    assert (saved.content, saved.reasoning, saved.streaming) == ("one two", "thinking", True)
    done = writer.finish("length", prompt_tokens=5, completion_tokens=2, ttft_ms=12.5,
                         tokens_per_s=30.25)
    assert (done.finish_reason, done.streaming, done.tokens_per_s) == ("length", False, 30.25)
    assert store.get_conversation(conv.id).active_leaf_id == done.id
    with store.begin_stream(conv.id, flush_interval=0) as stopped:
        stopped.append("partial")
    assert store.get_message(stopped.message_id).finish_reason == "cancelled"


def test_a_message_the_history_cannot_hold_is_refused_with_a_history_error(
        store: HistoryStore) -> None:
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "hello")
    with pytest.raises(InvalidMessageError, match="not a message role; use one of system"):
        store.add_message(conv.id, "robot", "beep")  # type: ignore[arg-type]
    with pytest.raises(InvalidMessageError, match="not a reason a reply can end with"):
        store.add_message(conv.id, "assistant", "hi", finish_reason="bored")  # type: ignore[arg-type]
    with pytest.raises(HistoryError, match="pass its conversation_id"):
        store.children(None)
    writer = store.begin_stream(conv.id, flush_interval=0)
    writer.append("kept")
    with pytest.raises(InvalidMessageError):
        writer.finish("bored")  # type: ignore[arg-type]
    assert store.count_messages(conv.id) == 2  # nothing of the refused messages was written
    assert store.get_message(writer.message_id).content == "kept"
    assert writer.finish("stop").finish_reason == "stop"


def test_reopen_marks_left_streaming_as_interrupted(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite3"
    with HistoryStore.open(db) as store:
        conv = store.create_conversation()
        writer = store.begin_stream(conv.id, flush_interval=0)
        writer.append("half a rep")
    with HistoryStore.open(db) as store:
        msg = store.get_message(writer.message_id)
        assert (msg.content, msg.finish_reason, msg.streaming) == ("half a rep", "interrupted",
                                                                   False)
        writer.append("ly")  # a writer that was alive after all heals on its next flush
        assert store.get_message(writer.message_id).streaming


def test_any_query_text_is_safe(store: HistoryStore) -> None:
    conv = store.create_conversation()
    store.add_message(conv.id, "user", "AND OR NOT NEAR are words here: a:b -x ^start (")
    for query in ('"', '""', "AND", "OR NOT", "NEAR(a b", "*", "a:b", "-x", "col:", "^start",
                  "(", "'; DROP TABLE messages; --", "\x00", "   ", "{a b}", "a + b", "\\"):
        store.search(query)  # never raises
        store.search(query, prefix=True)
    assert any(hit.message_id for hit in store.search("NEAR("))
    assert store.count_messages(conv.id) == 1


def test_search_ranks_with_snippets_and_titles(store: HistoryStore) -> None:
    sourdough = store.create_conversation("Sourdough starter")
    store.add_message(sourdough.id, "user", "How often do I feed a sourdough starter?")
    store.add_message(sourdough.id, "assistant", "Feed the starter daily at room temperature.")
    other = store.create_conversation("Taxes")
    store.add_message(other.id, "user", "Something about taxes and no bread at all")
    hits = store.search("starter")
    assert {h.conversation_id for h in hits} == {sourdough.id}
    assert any(h.message_id is None for h in hits)  # the title matched too
    assert all(f"{MARK_START}starter{MARK_END}" in h.snippet.lower() for h in hits)
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)
    assert store.search("feed daily")[0].title == "Sourdough starter"
    assert not store.search("sourd")
    assert store.search("sourd", prefix=True)  # the last word as a prefix, while typing
    assert store.search("feed taxes") == []
    store.rename(sourdough.id, "Bread")
    assert not [h for h in store.search("starter") if h.message_id is None]
    store.delete_conversation(sourdough.id)
    assert store.search("starter") == []


def test_match_expression_quotes_everything() -> None:
    assert match_expression('say "hi" NOW') == '"say" """hi""" "NOW"'
    assert match_expression('say "hi" NOW', prefix_last=True) == '"say" """hi""" "NOW"*'
    assert match_expression("ab", prefix_last=True) == '"ab"'
    assert match_expression("abc ", prefix_last=True) == '"abc"'
    assert match_expression(" \t") is None


def test_hostile_content_stores_and_searches(store: HistoryStore) -> None:
    conv = store.create_conversation()
    html = '<script>alert("x")</script><img src=x onerror=alert(1)> tagsoup'
    nul = "before\x00after nulword"
    emoji = "party 🎉🎉 time 👩‍👩‍👧 family"
    rtl = "مرحبا بالعالم שלום עולם"
    huge = ("lorem ipsum dolor " * 300_000)[:5_000_000] + " needleword"
    texts = [html, nul, emoji, rtl, huge]
    ids = [store.add_message(conv.id, "user", text).id for text in texts]
    for message_id, text in zip(ids, texts, strict=True):
        assert store.get_message(message_id).content == text
    for word, expected in (("tagsoup", ids[0]), ("script", ids[0]), ("nulword", ids[1]),
                           ("after", ids[1]), ("🎉🎉", ids[2]), ("family", ids[2]),
                           ("بالعالم", ids[3]), ("עולם", ids[3]), ("needleword", ids[4])):
        assert [h.message_id for h in store.search(word) if h.message_id] == [expected], word
    snippet = store.search("needleword")[0].snippet
    assert len(snippet) < 400 and f"{MARK_START}needleword{MARK_END}" in snippet
    assert store.integrity_check() == ["ok"]


def test_ranking_helpers() -> None:
    from spark_desktop.history.search import idf_estimate, mark_snippet, phrases

    rare, common = idf_estimate(1000, 300, 5, 990), idf_estimate(1000, 300, 300, 500)
    assert rare > common > 0  # fewer than a window of matches: the exact count is used
    terms = phrases("Tide MOON")
    assert mark_snippet("the moon pulls the tide", 5, terms) == \
        f"the {MARK_START}moon{MARK_END} pulls the {MARK_START}tide{MARK_END}"
    assert mark_snippet("x" * 200, 100, terms).startswith("…")
