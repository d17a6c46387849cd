"""`spark-desktop collection` and `ask --collection` end to end with SmolLM2 embedding the
passages and answering (a few greedy tokens)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spark_desktop.cli import main
from spark_desktop.history import HistoryStore
from tests.fixtures.real_model import smollm2_path
from tests.test_collections import OTTER, two_files
from tests.test_documents import ANSWER, QUESTION

GREEDY = ["--temperature", "0", "--max-tokens", "8"]


def test_collection_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault, lighthouse = two_files(tmp_path / "notes")
    model = str(smollm2_path())
    assert main(["collection", "list"]) == 0
    assert "No collections yet" in capsys.readouterr().out
    assert main(["collection", "add", "Notes", str(tmp_path / "notes"),
                 "--embed-model", model]) == 0
    out = capsys.readouterr().out
    assert f"collection Notes: {(tmp_path / 'notes').resolve()}" in out
    assert "Notes: 2 added, 0 updated, 0 removed, 0 unchanged" in out
    assert main(["collection", "add", "Notes", str(tmp_path)]) == 2
    assert "already a collection called 'Notes'" in capsys.readouterr().err
    assert main(["collection", "add", "Gone", str(tmp_path / "nowhere")]) == 2
    assert "is not there" in capsys.readouterr().err

    assert main(["collection", "list"]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    name, folder, counts, synced, embedder = line.split("\t")
    assert (name, folder) == ("Notes", str((tmp_path / "notes").resolve()))
    with HistoryStore.open() as store:
        passages = sum(d.chunk_count for d in store.documents.under(folder))
    assert counts == f"2 files, {passages} passages"
    assert synced.startswith("synced 20") and embedder == Path(model).name

    lighthouse.write_text(OTTER + "\nIt was repainted in spring.\n")
    (tmp_path / "notes" / "broken.pdf").write_bytes(b"%PDF-1.4\ngarbage")
    assert main(["collection", "sync", "Notes"]) == 1  # a file could not be read
    shown = capsys.readouterr()
    assert "Notes: 0 added, 1 updated, 0 removed, 1 unchanged, 1 could not be read" in shown.out
    assert "broken.pdf cannot be read" in shown.err

    assert main(["collection", "remove", "Notes"]) == 0
    assert "2 files' passages forgotten" in capsys.readouterr().out
    with HistoryStore.open() as store:
        assert store.collections.list() == []
        assert store.documents.under(folder) == []
    assert vault.exists() and lighthouse.exists()
    assert main(["collection", "sync", "Notes"]) == 2
    assert "no collection called 'Notes'" in capsys.readouterr().err


def test_ask_a_collection(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    vault, _ = two_files(tmp_path / "notes")
    model = str(smollm2_path())
    assert main(["collection", "add", "Notes", str(tmp_path / "notes")]) == 0  # no embedder yet
    assert "added" not in capsys.readouterr().out
    assert main(["ask", model, "--collection", "Notes", "-p", QUESTION, *GREEDY,
                 "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mode"] == "retrieved"  # a collection is always searched
    assert result["citations"][0]["file"] == str(vault)
    assert ANSWER in result["citations"][0]["text"]
    assert 0 < result["completion_tokens"] <= 8
    with HistoryStore.open() as store:  # synced by the question, with the chat model
        assert store.collections.get("Notes").synced_at is not None
        assert {d.embed_model for d in store.documents.under(str(vault.parent))} == {
            Path(model).stem}

    extra = tmp_path / "extra.txt"  # a document outside the folder, searched alongside
    extra.write_text("The harbour of Tollesby closes at dusk.\n")
    assert main(["ask", model, "--collection", "Notes", "--doc", str(extra), "-p",
                 "When does the harbour of Tollesby close?", *GREEDY, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    files = [c["file"] for c in result["citations"]]
    assert files[0] == str(extra.resolve()) and str(vault) in files

    assert main(["ask", model, "--collection", "Nope", "-p", QUESTION]) == 2
    assert "no collection called 'Nope'" in capsys.readouterr().err
    assert main(["ask", model, "-p", QUESTION]) == 2
    assert "give documents with --doc FILE, or a collection" in capsys.readouterr().err


def test_a_collection_without_a_model_follows_the_apps_setting(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from spark_desktop import settings

    two_files(tmp_path / "notes")
    assert main(["collection", "add", "Notes", str(tmp_path / "notes")]) == 0
    assert main(["collection", "sync", "Notes"]) == 2
    assert "has no embedding model yet" in capsys.readouterr().err
    settings.save(settings.Settings(extra={settings.DOCUMENTS_EMBED_MODEL: str(smollm2_path())}))
    assert main(["collection", "sync", "Notes"]) == 0
    assert "Notes: 2 added" in capsys.readouterr().out
    with HistoryStore.open() as store:
        assert store.collections.get("Notes").embed_model == ""  # still follows the setting
