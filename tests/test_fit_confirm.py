# ruff: noqa: F811  (fixtures imported from tests.fakehub are used as arguments)
"""`fit --confirm`: the estimate beside llama.cpp's own no-alloc plan of the same load,
for a local file, and for models on the (fake) Hub that are never downloaded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spark_desktop.cli import main
from spark_desktop.engine.dryrun import simulate_load
from spark_desktop.fit.repack import repacked_bytes
from spark_desktop.gguf import read_model
from spark_desktop.hardware.probe import probe
from spark_desktop.inference_settings import LoadSettings
from tests.fakehub import FakeHub, fake_hub, hub, tiny_files  # noqa: F401  (fixtures)

CPU = ["--gpu-layers", "0", "--target", "this"]


def _fit(capsys: pytest.CaptureFixture[str], *argv: str) -> dict:
    assert main(["fit", *argv, "--json", "--confirm"]) == 0
    return json.loads(capsys.readouterr().out)


def test_confirm_puts_llama_cpps_plan_beside_the_estimate(
        test_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = _fit(capsys, str(test_model), "--ctx", "4096", *CPU)
    planned = simulate_load(test_model, LoadSettings(n_ctx=4096, n_gpu_layers=0))
    confirmed = data["confirmed"]
    assert confirmed == {"weights": planned.weights, "kv_cache": planned.kv_cache,
                         "compute": planned.compute, "output": planned.output,
                         "total": planned.total, "like_target": True,
                         "devices": {name: dev.total for name, dev in planned.devices.items()}}
    # both are the exact bytes; a mapped load on this CPU adds the repacked copies (fit.repack)
    repacked = repacked_bytes(read_model(test_model).tensors, probe().repack_isa)
    assert confirmed["weights"] + repacked == data["memory"]["weights"] > 0
    assert confirmed["kv_cache"] == data["memory"]["kv_cache"] > 0
    assert main(["fit", str(test_model), "--confirm", "--ctx", "4096", *CPU]) == 0
    table = capsys.readouterr().out
    assert "confirmed by llama.cpp" in table
    assert "weights" in table.split("confirmed by llama.cpp")[1]
    assert ("repacked CPU copies" in table) == (repacked > 0)


def test_a_plan_on_other_devices_than_the_target_says_so(
        test_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    confirmed = _fit(capsys, str(test_model), "--ctx", "2048", "--target", "spark")["confirmed"]
    assert confirmed["like_target"] == (set(confirmed["devices"]) != {"CPU"})


def test_a_remote_split_model_is_confirmed_from_its_headers(
        hub: FakeHub, tiny_files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    mark = hub.mark()
    remote = _fit(capsys, "acme/tiny-GGUF:F16", "--ctx", "2048", *CPU)
    parts = [p for name, p in tiny_files.items() if name.startswith("F16/")]
    assert 0 < hub.bytes_since(mark) <= sum(p.stat().st_size for p in parts)  # read once
    mark = hub.mark()
    _fit(capsys, "acme/tiny-GGUF:Q8_0", "--ctx", "2048", *CPU)
    assert 0 < hub.bytes_since(mark) < tiny_files["tiny-Q8_0.gguf"].stat().st_size / 2
    local = _fit(capsys, str(parts[1]), "--ctx", "2048", *CPU)  # any part names the model
    assert remote["confirmed"] == local["confirmed"]
    assert remote["confirmed"]["weights"] == remote["memory"]["weights"] > 0
