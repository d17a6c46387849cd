"""`spark-desktop ask` end to end with SmolLM2: whole documents when they fit, retrieved
passages with citations when they do not, unchanged files not indexed twice, and bad files
refused before a model loads."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spark_desktop import paths
from spark_desktop.cli import main
from tests.fixtures.pdf import write_pdf
from tests.fixtures.real_model import smollm2_path
from tests.test_documents import ANSWER, QUESTION, filler_lines, make_collection

GREEDY = ["--temperature", "0", "--max-tokens", "24"]


def ask(*args: str) -> list[str]:
    return ["ask", str(smollm2_path()), *args]


def test_a_large_set_is_retrieved_and_the_citation_points_at_the_passage(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = make_collection(tmp_path / "docs")
    files[0].write_text("\n".join(filler_lines(60)) + "\n")  # too much for an 768-token context
    docs = [arg for path in files for arg in ("--doc", str(path))]
    assert main(ask(*docs, "-p", QUESTION, "--ctx", "768", *GREEDY, "--json")) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mode"] == "retrieved"
    assert 0 < result["prompt_tokens"] <= 768 - 24
    assert 0 < result["completion_tokens"] <= 24
    first = result["citations"][0]
    assert first["n"] == 1
    assert first["file"] == str(files[1].resolve())
    assert first["location"].startswith("page 2, lines ")
    assert ANSWER in first["text"]
    assert [c["n"] for c in result["citations"]] == list(range(1, len(result["citations"]) + 1))
    assert result["retrieval_ms"] > 0
    assert paths.database_path().exists()  # the index lives in the history database

    # Asked again: nothing to index, the same passage first, sources listed after the answer.
    assert main(ask(*docs, "-p", QUESTION, "--ctx", "768", *GREEDY)) == 0
    shown = capsys.readouterr()
    assert "indexed" not in shown.err
    assert "[retrieved:" in shown.err
    assert f"[1] {files[1].resolve()}, {first['location']}" in shown.out


def test_documents_that_fit_go_in_whole(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Shopping list\n" + ANSWER + "\n")
    pdf = write_pdf(tmp_path / "card.pdf", [["Opening hours: nine to six."]])
    assert main(ask("--doc", str(note), "--doc", str(pdf), "-p", QUESTION, "--ctx", "2048",
                    *GREEDY, "--json")) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["mode"] == "whole"
    assert [(c["file"], c["location"]) for c in result["citations"]] == [
        (str(note.resolve()), "lines 1-2"), (str(pdf.resolve()), "page 1, line 1")]
    assert result["retrieval_ms"] == 0
    assert not paths.database_path().exists()  # nothing indexed, nothing written


def test_bad_documents_are_refused_before_the_model_loads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "gone.txt"
    assert main(["ask", str(tmp_path / "no-model.gguf"), "--doc", str(missing),
                 "-p", "Anything?"]) == 2
    assert f"The document {missing} is not there" in capsys.readouterr().err
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7\n%garbage")
    assert main(["ask", str(tmp_path / "no-model.gguf"), "--doc", str(broken),
                 "-p", "Anything?"]) == 2
    assert "broken.pdf cannot be read" in capsys.readouterr().err
    note = tmp_path / "note.txt"
    note.write_text("Some text.\n")
    assert main(["ask", str(tmp_path / "no-model.gguf"), "--doc", str(note), "--embed-model",
                 str(tmp_path / "no-embedder.gguf"), "-p", "Anything?"]) == 2
    assert "There is no embedding model file at" in capsys.readouterr().err
    assert not paths.database_path().exists()
