"""What a message or a conversation carries beside its text survives every way out and in."""

from __future__ import annotations

import json
from pathlib import Path

from spark_desktop.history import HistoryStore
from spark_desktop.history.exchange import export_json, import_document


def test_extra_is_kept_on_messages_and_conversations(store: HistoryStore) -> None:
    conv = store.create_conversation(extra={"documents": ["/tmp/a.txt"]})
    user = store.add_message(conv.id, "user", "what is in a?")
    reply = store.add_message(conv.id, "assistant", "see [1]",
                              extra={"citations": [{"n": 1, "file": "/tmp/a.txt"}]})
    assert store.get_conversation(conv.id).extra == {"documents": ["/tmp/a.txt"]}
    page = store.messages_page(conv.id)  # the raw recursive query decodes it too
    assert [m.extra for m in page.messages] == [{}, {"citations": [{"n": 1, "file": "/tmp/a.txt"}]}]
    changed = store.set_message_extra(user.id, {"documents": ["/tmp/a.txt"]})
    assert changed.extra == {"documents": ["/tmp/a.txt"]}
    updated = store.update_conversation(conv.id, extra={"preset": "Precise"})
    assert updated.extra == {"preset": "Precise"}
    assert store.get_message(reply.id).extra["citations"][0]["n"] == 1


def test_extra_round_trips_through_the_json_export(store: HistoryStore, tmp_path: Path) -> None:
    conv = store.create_conversation(extra={"collection": "notes"})
    store.add_message(conv.id, "assistant", '{"tool_call": {}}',
                      extra={"tool_calls": [{"id": "c1", "name": "add", "arguments": "{}"}]})
    document = json.loads(export_json(store))
    with HistoryStore.open(tmp_path / "other.db") as other:
        assert import_document(other, document).imported == 1
        copied = other.get_conversation(conv.id)
        assert copied.extra == {"collection": "notes"}
        assert other.active_path(conv.id)[0].extra["tool_calls"][0]["name"] == "add"
    for item in document["conversations"]:  # a file of an older version has no `extra`
        item.pop("extra")
        for message in item["messages"]:
            message.pop("extra")
    with HistoryStore.open(tmp_path / "old.db") as old:
        import_document(old, document)
        assert old.get_conversation(conv.id).extra == {}
