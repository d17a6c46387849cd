# ruff: noqa: F811  (fixtures imported from tests.fakehub are used as arguments)
"""The hub commands end to end against the fake Hub: search, files, pull, ls, rm."""

from __future__ import annotations

import json

import pytest

from spark_desktop.cli import main
from tests.fakehub import FakeHub, fake_hub, hub, tiny_files  # noqa: F401  (fixtures)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_search_and_files(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "search", "tiny", "--json")
    assert code == 0 and json.loads(out)[0]["repo"] == "acme/tiny-GGUF"
    code, out, _ = _run(capsys, "search", "--sort", "likes")
    assert code == 0 and out.splitlines()[0].startswith("acme/tiny-GGUF")
    code, out, _ = _run(capsys, "files", "acme/tiny-GGUF", "--json", "--ctx", "4096")
    data = json.loads(out)
    assert code == 0 and {v["quant"] for v in data["variants"]} == {"Q8_0", "F16", "Q4_0"}
    f16 = next(v for v in data["variants"] if v["quant"] == "F16")
    assert len(f16["files"]) == 2 and data["projectors"][0]["path"] == "mmproj-tiny-F16.gguf"
    assert f16["fit"]["fits"] in ("fits", "fits_reduced", "does_not_fit")
    assert f16["fit"]["context"] == 4096
    code, out, _ = _run(capsys, "files", "acme/tiny-GGUF", "--target", "spark")
    assert code == 0 and "fits on" in out
    code, out, _ = _run(capsys, "files", "acme/tiny-GGUF", "--no-fit")
    assert "(2 parts)" in out and "vision projector" in out


def test_pull_ls_rm(hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "pull", "acme/tiny-GGUF:F16", "--json")
    pulled = json.loads(out)
    assert code == 0 and pulled["sha256_verified"] is True
    assert pulled["files"] == ["F16/tiny-F16-00001-of-00002.gguf",
                               "F16/tiny-F16-00002-of-00002.gguf"]
    assert pulled["bytes"] == sum(hub.repos["acme/tiny-GGUF"].files[f].size
                                  for f in pulled["files"])
    code, out, _ = _run(capsys, "ls", "--json")
    (model,) = json.loads(out)
    assert model["repo"] == "acme/tiny-GGUF" and model["quant"] == "F16"
    assert model["architecture"] == "llama" and model["path"] == pulled["path"]
    code, out, _ = _run(capsys, "rm", "acme/tiny-GGUF:F16")
    assert code == 0 and "freed" in out
    code, out, _ = _run(capsys, "ls", "--json")
    assert json.loads(out) == []


def test_user_errors_are_sentences(hub: FakeHub, capsys: pytest.CaptureFixture[str],
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _run(capsys, "pull", "acme/tiny-GGUF:IQ1_S")
    assert code == 2 and "has no 'IQ1_S'" in err
    code, _, err = _run(capsys, "pull", "acme/gated-GGUF")
    assert code == 2 and "accept the licence" in err and "Traceback" not in err
    code, _, err = _run(capsys, "pull", "acme/missing-GGUF")
    assert code == 2 and "was not found" in err
    code, _, err = _run(capsys, "rm", "nothing-here")
    assert code == 2 and "spark-desktop ls" in err
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    code, _, err = _run(capsys, "search", "x")
    assert code == 2 and "You are offline" in err


def test_fit_reads_a_remote_variant_like_the_downloaded_file(
        hub: FakeHub, capsys: pytest.CaptureFixture[str]) -> None:
    mark = hub.mark()
    code, out, _ = _run(capsys, "fit", "acme/tiny-GGUF:Q8_0", "--json", "--ctx", "2048")
    remote = json.loads(out)
    assert code == 0 and remote["quantization"] == "Q8_0" and remote["context"] == 2048
    header_bytes = hub.bytes_since(mark)
    code, out, _ = _run(capsys, "pull", "acme/tiny-GGUF:Q8_0", "--json")
    code, out, _ = _run(capsys, "fit", json.loads(out)["path"], "--json", "--ctx", "2048")
    local = json.loads(out)
    assert local["memory"] == remote["memory"] and local["parameters"] == remote["parameters"]
    assert 0 < header_bytes <= hub.bytes_since(mark) - header_bytes  # at most the file itself
    code, _, err = _run(capsys, "fit", "acme/tiny-GGUF:IQ1_S")
    assert code == 2 and "has no 'IQ1_S'" in err
