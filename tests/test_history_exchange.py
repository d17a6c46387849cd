"""Export and import: lossless JSON round trip, Markdown, ChatGPT conversations.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spark_desktop.history import HistoryStore, ImportFormatError
from spark_desktop.history.exchange import (
    export_json,
    export_markdown,
    import_document,
    import_file,
)


def _rich_history(store: HistoryStore) -> None:
    conv = store.create_conversation(system_prompt="You are <b>terse</b>.", model="org/m:Q4_K_M",
                                     folder="work", tags=["a", "ü"],
                                     load_settings={"n_ctx": 4096, "flash_attn": True},
                                     sampling_settings={"temperature": 0.1 + 0.2, "seed": None})
    store.set_pinned(conv.id, True)
    question = store.add_message(conv.id, "user", "NUL\x00 emoji 🎉 RTL שלום \"quotes\"")
    store.add_message(conv.id, "assistant", "first", reasoning="hmm", model="m",
                      finish_reason="stop", prompt_tokens=12, completion_tokens=1,
                      ttft_ms=123.456, tokens_per_s=1 / 3)
    writer = store.begin_stream(conv.id, parent_id=question.id, model="m", flush_interval=0)
    writer.append("second, cut short")  # left streaming: becomes interrupted on reopen
    other = store.create_conversation("Empty one")
    assert other.id


def test_export_import_export_is_identical(tmp_path: Path) -> None:
    with HistoryStore.open(tmp_path / "a.sqlite3") as store:
        _rich_history(store)
    with HistoryStore.open(tmp_path / "a.sqlite3") as store:
        first = export_json(store)
    exported = tmp_path / "all.json"
    exported.write_text(first, encoding="utf-8")
    with HistoryStore.open(tmp_path / "b.sqlite3") as fresh:
        result = import_file(fresh, exported)
        assert (result.imported, result.skipped, result.messages) == (2, 0, 3)
        assert export_json(fresh) == first
        again = import_file(fresh, exported)
        assert (again.imported, again.skipped) == (0, 2)
        assert export_json(fresh) == first
        assert fresh.search("שלום")
    document = json.loads(first)
    streamed = document["conversations"][0]["messages"][2]
    assert streamed["finish_reason"] == "interrupted" and streamed["content"] == "second, cut short"


def test_markdown_shows_the_branch_in_view(tmp_path: Path) -> None:
    with HistoryStore.open() as store:
        _rich_history(store)
        text = export_markdown(store)
    assert text.startswith("# NUL")
    assert "> **System:** You are <b>terse</b>." in text
    assert "## Assistant (m, streaming)" in text and "second, cut short" in text
    assert "1 messages on other branches" in text and "first" not in text.split("## User")[1]
    assert "# Empty one" in text


def _node(key: str, parent: str | None, children: list[str], role: str | None, text: str = "",
          **metadata: object) -> dict:
    message = None if role is None else {
        "id": key, "author": {"role": role}, "create_time": 1_700_000_000.5,
        "content": {"content_type": "text", "parts": [text]}, "metadata": metadata}
    return {"id": key, "message": message, "parent": parent, "children": children}


CHATGPT = [{
    "title": "Paris trip", "create_time": 1_700_000_000.25, "update_time": 1_700_000_100.0,
    "conversation_id": "abc-123", "current_node": "a2",
    "mapping": {
        "root": _node("root", None, ["sys"], None),
        "sys": _node("sys", "root", ["u1"], "system", "hidden",
                     is_visually_hidden_from_conversation=True),
        "u1": _node("u1", "sys", ["a1", "a2"], "user", "What to see in Paris?"),
        "a1": _node("a1", "u1", [], "assistant", "The Louvre.", model_slug="gpt-4o"),
        "a2": _node("a2", "u1", [], "assistant", "Musée d'Orsay.", model_slug="gpt-4o"),
    }}]


def test_chatgpt_export_imports_as_a_tree() -> None:
    with HistoryStore.open() as store:
        result = import_document(store, CHATGPT)
        assert (result.imported, result.messages) == (1, 3)
        conv = store.list_conversations()[0]
        assert conv.title == "Paris trip"
        path = store.active_path(conv.id)
        assert [(m.role, m.content) for m in path] == [("user", "What to see in Paris?"),
                                                       ("assistant", "Musée d'Orsay.")]
        assert path[0].parent_id is None and path[1].model == "gpt-4o"
        assert len(store.siblings(path[1].id)) == 2
        assert store.search("louvre")[0].conversation_id == conv.id
        assert import_document(store, CHATGPT).skipped == 1  # stable ids: no duplicates


def test_bad_files_are_refused_without_writing(tmp_path: Path) -> None:
    with HistoryStore.open() as store:
        for content in ("not json", "{}", "[1, 2]"):
            bad = tmp_path / "bad.json"
            bad.write_text(content)
            with pytest.raises(ImportFormatError):
                import_file(store, bad)
        _rich_history(store)
        document = json.loads(export_json(store))
        document["conversations"][0]["id"] = "other"
        document["conversations"][0]["messages"].reverse()  # children before parents
        with pytest.raises(ImportFormatError):
            import_document(store, document)
        assert store.count_conversations() == 2
