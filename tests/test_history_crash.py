"""Crash safety: a child process streams replies and is SIGKILLed at random moments.

The child is forked from the test process (no database connection open at that moment),
so twenty kills cost no twenty interpreter start-ups; it has its own SQLite connections.

After each kill the database must pass integrity_check, hold every message the child
reported as committed, and the reply that was streaming must keep its text up to the last
flush the child reported and be marked `interrupted` once the history is reopened.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from pathlib import Path

from spark_desktop.history import HistoryStore

KILLS = 20

def _child(db: Path, conversation_id: str, seed: int, out: int) -> None:
    """Runs in the forked child: stream replies forever, reporting each commit on `out`."""
    rng = random.Random(seed)

    def say(**event: str | bool) -> None:
        os.write(out, (json.dumps(event) + "\n").encode())

    store = HistoryStore.open(db)
    say(ready=True)
    for turn in range(10_000):
        user = store.add_message(conversation_id, "user", f"question {seed}.{turn}")
        say(committed=user.id, content=user.content)
        tokens = [f"tok{seed}.{turn}.{i} " for i in range(rng.randint(5, 80))]
        writer = store.begin_stream(conversation_id, model="test", flush_interval=0.01)
        say(stream=writer.message_id, full="".join(tokens))
        for token in tokens:
            if writer.append(token):
                say(flushed=writer.message_id, content=writer.content)
            time.sleep(0.001)
        reply = writer.finish("stop", completion_tokens=len(tokens))
        say(committed=reply.id, content=reply.content)


def _run_and_kill(db: Path, conversation_id: str, seed: int, rng: random.Random) -> list[dict]:
    """Fork a writer (no database connection is open in this process at that moment),
    let it stream for a random while, then SIGKILL it; return what it reported."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_end)
        try:
            _child(db, conversation_id, seed, write_end)
        finally:
            os._exit(1)
    os.close(write_end)
    events: list[dict] = []
    ready = threading.Event()

    def read() -> None:
        with os.fdopen(read_end, "r") as lines:
            for line in lines:
                events.append(json.loads(line))
                ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert ready.wait(60), "child did not start"
    time.sleep(rng.uniform(0.02, 0.5))
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    reader.join(30)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    return events


def test_sigkill_while_streaming_loses_nothing_committed(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    with HistoryStore.open(db) as store:
        conversation_id = store.create_conversation("crash test").id
    rng = random.Random(1234)
    committed: dict[str, str] = {}
    interrupted_seen = 0
    for seed in range(KILLS):
        events = _run_and_kill(db, conversation_id, seed, rng)
        streams = {e["stream"]: e["full"] for e in events if "stream" in e}
        done = {e["committed"] for e in events if "committed" in e}
        flushed = {e["flushed"]: e["content"] for e in events if "flushed" in e}
        committed.update({e["committed"]: e["content"] for e in events if "committed" in e})
        open_streams = [sid for sid in streams if sid not in done]
        with HistoryStore.open(db) as store:
            assert store.integrity_check() == ["ok"]
            for message_id, content in committed.items():
                assert store.get_message(message_id).content == content
            for stream_id in open_streams:  # at most one: the reply cut off by the kill
                msg = store.get_message(stream_id)
                assert not msg.streaming
                full = streams[stream_id]
                if msg.finish_reason == "stop":  # killed after the final commit, before saying so
                    assert msg.content == full
                    continue
                interrupted_seen += 1
                assert msg.finish_reason == "interrupted"
                assert full.startswith(msg.content)
                assert msg.content.startswith(flushed.get(stream_id, ""))
    assert interrupted_seen >= KILLS // 2
    with HistoryStore.open(db) as store:
        path = store.active_path(conversation_id)
        assert {m.id for m in path} >= set(committed)
        assert not any(m.streaming for m in path)
