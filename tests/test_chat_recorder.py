"""`generate --save` and `chat` write their turns into the history as they stream."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from spark_desktop.cli import main
from spark_desktop.history import HistoryStore

COMMON = ["--temperature", "0", "--ctx", "256", "--max-tokens", "4"]


def test_generate_save_keeps_the_turn(test_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", str(test_model), "-p", "Hello there", "--system", "Be brief.",
                 "--json", "--save", *COMMON]) == 0
    result = json.loads(capsys.readouterr().out)
    with HistoryStore.open() as store:
        (conv,) = store.list_conversations()
        assert conv.system_prompt == "Be brief." and conv.title == "Hello there"
        assert conv.load_settings["n_ctx"] == 256 and conv.sampling_settings["temperature"] == 0
        user, reply = store.active_path(conv.id)
        assert (user.role, user.content) == ("user", "Hello there")
        assert reply.role == "assistant" and reply.content == result["text"]
        assert reply.finish_reason == result["finish_reason"]
        assert reply.completion_tokens == result["completion_tokens"]
        assert reply.model == test_model.name


def test_generate_without_save_writes_nothing(test_model: Path) -> None:
    assert main(["generate", str(test_model), "-p", "Hi", "--json", *COMMON]) == 0
    with HistoryStore.open() as store:
        assert store.list_conversations() == []


def test_chat_saves_each_conversation(test_model: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("First\nSecond\n/reset\nThird\n/exit\n"))
    assert main(["chat", str(test_model), *COMMON]) == 0
    with HistoryStore.open() as store:
        convs = sorted(store.list_conversations(), key=lambda c: c.created_at)
        assert [c.title for c in convs] == ["First", "Third"]
        first = store.active_path(convs[0].id)
        assert [m.role for m in first] == ["user", "assistant", "user", "assistant"]
        assert all(m.finish_reason in ("stop", "length") for m in first if m.role == "assistant")
    assert "saved as conversation" in capsys.readouterr().err
