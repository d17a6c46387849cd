"""A long conversation written straight into a real history database (for UI tests and
benchmarks): 5,000 messages in one branch, Markdown and code in the replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from spark_desktop.history import Conversation, HistoryStore, Message

REPLY = ("Here is **item {i}** with a list:\n\n- one\n- two\n\n```python\nprint({i})\n```\n\n"
         "And a closing sentence that is long enough to wrap on a narrow window, item {i}.")


def long_conversation(store: HistoryStore, n: int = 5000, title: str = "Long chat") -> str:
    """Import a conversation of `n` alternating messages; returns its id."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    conv_id = f"{n:08d}" + "c" * 24
    messages: list[Message] = []
    parent = None
    for i in range(n):
        role = "user" if i % 2 == 0 else "assistant"
        content = f"Question number {i}?" if role == "user" else REPLY.format(i=i)
        msg = Message(id=f"{i:012d}" + "m" * 20, conversation_id=conv_id, parent_id=parent,
                      role=role, content=content, created_at=start + timedelta(seconds=i),
                      depth=i, model="test-model" if role == "assistant" else None,
                      finish_reason="stop" if role == "assistant" else None,
                      completion_tokens=40 if role == "assistant" else None,
                      tokens_per_s=50.0 if role == "assistant" else None,
                      ttft_ms=80.0 if role == "assistant" else None)
        messages.append(msg)
        parent = msg.id
    conv = Conversation(id=conv_id, title=title, created_at=start,
                        updated_at=start + timedelta(seconds=n), active_leaf_id=parent)
    store.import_records([(conv, messages)])
    return conv_id
