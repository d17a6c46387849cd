"""`spark-desktop history ...` end to end, in-process, on a private data folder."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from spark_desktop.cli import main
from spark_desktop.history import HistoryStore


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_history_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(capsys, "history", "list")[1] == "No conversations yet.\n"
    with HistoryStore.open() as store:
        conv = store.create_conversation(model="gemma")
        store.add_message(conv.id, "user", "Tell me about <tides> and the moon")
        store.add_message(conv.id, "assistant", "Tides follow the moon.", finish_reason="stop")
    code, out, _ = _run(capsys, "history", "list")
    assert code == 0 and conv.id[:8] in out and "Tell me about <tides>" in out
    listed = json.loads(_run(capsys, "history", "list", "--json")[1])
    assert listed[0]["id"] == conv.id and listed[0]["model"] == "gemma"

    out = _run(capsys, "history", "show", conv.id[:6])[1]
    assert "## Assistant" in out and "Tides follow the moon." in out
    shown = json.loads(_run(capsys, "history", "show", conv.id, "--json")[1])
    assert len(shown["messages"]) == 2

    out = _run(capsys, "history", "search", "moon", "tides")[1]
    assert "[tides]" in out.lower() or "[Tides]" in out
    hits = json.loads(_run(capsys, "history", "search", "moon", "--json")[1])
    assert {hit["conversation_id"] for hit in hits} == {conv.id}

    exported = tmp_path / "out.json"
    assert _run(capsys, "history", "export", "--format", "json", "-o", str(exported))[0] == 0
    assert stat.S_IMODE(exported.stat().st_mode) == 0o600
    assert "# Tell me about" in _run(capsys, "history", "export", conv.id[:8], "--format", "md")[1]

    assert "Deleted" in _run(capsys, "history", "rm", conv.id[:8])[1]
    assert _run(capsys, "history", "list", "--json")[1].strip() == "[]"
    result = json.loads(_run(capsys, "history", "import", str(exported), "--json")[1])
    assert result == {"imported": 1, "skipped": 0, "messages": 2}

    code, _, err = _run(capsys, "history", "show", "nonexistent")
    assert code == 2 and "history list" in err


def test_data_dir_option_after_the_subcommand(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    other = tmp_path / "elsewhere"
    assert _run(capsys, "history", "list", "--data-dir", str(other))[0] == 0
    assert (other / "history.sqlite3").exists()
