"""A bulk build with the search index made at the end (index_after): the same history as
row-by-row indexing, searchable, with its triggers back for the messages written next."""

from __future__ import annotations

from pathlib import Path

import pytest

from spark_desktop.history import Conversation, HistoryStore, Message
from spark_desktop.history.rows import new_id, to_datetime


def _chats(count: int, length: int) -> list[tuple[Conversation, list[Message]]]:
    chats = []
    for c in range(count):
        conv_id = new_id()
        messages: list[Message] = []
        for i in range(length):
            parent = messages[-1] if messages else None
            messages.append(Message(
                id=new_id(), conversation_id=conv_id, parent_id=parent.id if parent else None,
                role="user" if i % 2 == 0 else "assistant", content=f"note{c}x{i} walrus",
                created_at=to_datetime(1_600_000_000_000 + i), depth=i))
        chats.append((Conversation(id=conv_id, title=f"title{c} about otters",
                                   created_at=to_datetime(1_600_000_000_000),
                                   updated_at=to_datetime(1_600_000_000_000 + length),
                                   active_leaf_id=messages[-1].id), messages))
    return chats


@pytest.mark.parametrize("keys", [None, "app"])
def test_index_after_builds_the_same_searchable_history(tmp_path: Path, keys: str | None) -> None:
    chats = _chats(12, 30)
    with HistoryStore.open(tmp_path / "h.sqlite3", keys=keys) as store:  # type: ignore[arg-type]
        store.add_message(store.create_conversation("already here").id, "user", "old walrus")
        result = store.import_records(chats[:10], batch_messages=100, index_after=True)
        assert (result.imported, result.messages) == (10, 300)
        again = store.import_records(chats[8:], batch_messages=100, index_after=True)
        assert (again.imported, again.skipped, again.messages) == (2, 2, 60)
        assert store.integrity_check() == ["ok"]
        assert len(store.search("note3x17")) == 1
        assert len(store.search("otters", limit=50)) == 12
        for c in range(12):  # every message of every chat imported is indexed
            assert len(store.search(f"note{c}x{c + 17}")) == 1
        assert len(store.search("old walrus")) == 1
        conv = store.create_conversation("written afterwards")  # the triggers are back
        store.add_message(conv.id, "user", "a fresh narwhal")
        assert [hit.conversation_id for hit in store.search("narwhal")] == [conv.id]
        assert store.search("written afterwards")


def test_a_failed_index_after_import_leaves_the_history_as_it_was(tmp_path: Path) -> None:
    chats = _chats(3, 4)

    def broken():
        yield from chats[:2]
        raise RuntimeError("the export ended early")

    with HistoryStore.open(tmp_path / "h.sqlite3", keys=None) as store:
        with pytest.raises(RuntimeError):
            store.import_records(broken(), batch_messages=1, index_after=True)
        assert list(store.iter_conversations()) == []
        conv = store.create_conversation()
        store.add_message(conv.id, "user", "still indexed")
        assert store.search("indexed") and store.integrity_check() == ["ok"]
