"""The estimate against what llama.cpp itself plans, on the CPU backend (gpu_layers 0).

llama.cpp runs its no_alloc dry run in a child process (engine.dryrun) on the real
Gemma 3 270M and on tiny real models of four architectures (dense GQA llama,
Gemma-3 sliding window, Qwen3-MoE, Mamba), at contexts from 512 to each model's
maximum, with f16 and q8_0 KV caches; and, for real-scale dimensions, on header-only
stubs shaped like Llama 3.1 8B, Qwen3-30B-A3B and Gemma 3 27B (a real header over a
sparse hole: the dry run never reads weights). The models, the comparison and the
issue's bounds are in tests/fixtures/fit_accuracy.py; benchmarks/fit_accuracy.py prints
the same comparison as a table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from spark_desktop.engine.dryrun import simulate_load
from spark_desktop.engine.memory_report import MIB
from spark_desktop.fit.profile import profile
from spark_desktop.gguf import FileSource, read_model, write_stub
from spark_desktop.inference_settings import LoadSettings
from tests.fixtures.fit_accuracy import (
    Comparison,
    compare_many,
    write_accuracy_models,
    write_real_scale_stubs,
)

pytestmark = pytest.mark.slow


# (model, n_ctx (None: the model's maximum), kv type, flash attention, full-size SWA cache,
#  parallel sequences)
GRID: tuple[tuple[str, int | None, str, bool, bool, int], ...] = (
    ("gemma-3-270m", 512, "f16", True, True, 1),
    ("gemma-3-270m", None, "q8_0", True, False, 1),
    ("gemma-3-270m", None, "f16", True, True, 1),
    ("llama", 512, "f16", True, True, 1),
    ("llama", None, "q8_0", True, True, 1),
    ("llama", 4096, "f16", False, True, 1),
    ("gemma3", 512, "q8_0", True, False, 1),
    ("gemma3", None, "f16", True, False, 1),
    ("gemma3", 2048, "f16", False, True, 1),
    ("gemma3", 8192, "f16", True, False, 3),
    ("qwen3moe", 512, "f16", True, True, 1),
    ("qwen3moe", None, "q8_0", True, True, 1),
    ("mamba", 512, "f16", True, True, 1),
    ("mamba", None, "q8_0", True, True, 1),
    ("llama-8b-shape", 32768, "q8_0", True, True, 1),
    ("llama-8b-shape", 8192, "f16", False, True, 1),
    ("llama-8b-shape", 8192, "q4_0", True, True, 4),
    ("qwen3-30b-a3b-shape", None, "f16", True, True, 1),
    ("gemma3-27b-shape", 32768, "q8_0", True, False, 1),
    ("gemma3-27b-shape", 8192, "f16", False, True, 1),
)


@pytest.fixture(scope="module")
def comparisons(tmp_path_factory: pytest.TempPathFactory, test_model: Path
                ) -> dict[tuple, Comparison]:
    """Every point of GRID, planned by llama.cpp once per model."""
    directory = tmp_path_factory.mktemp("fit-accuracy")
    models = write_accuracy_models(directory)
    models.update(write_real_scale_stubs(directory / "stubs"))
    models["gemma-3-270m"] = test_model
    out: dict[tuple, Comparison] = {}
    for name, path in models.items():
        cases = [point[1:] for point in GRID if point[0] == name]
        for case, result in zip(cases, compare_many(name, path, cases)):
            out[(name, *case)] = result
    return out


@pytest.mark.parametrize("point", GRID, ids=lambda p: "-".join(map(str, p)))
def test_estimate_matches_llama_cpp(comparisons: dict[tuple, Comparison], point: tuple) -> None:
    c = comparisons[point]
    assert c.within_bounds() == [], (c.estimate, c.llama)


def test_the_estimate_uses_the_real_weight_bytes(test_model: Path) -> None:
    """No rounding anywhere: the weights are the tensors' exact bytes."""
    report = simulate_load(test_model, LoadSettings(n_ctx=512, n_gpu_layers=0))
    assert profile(read_model(test_model)).total_bytes == report.weights


def test_a_sparse_stub_plans_like_the_real_file(test_model: Path, tmp_path: Path) -> None:
    """Only the header at the real size is needed: a remote model can be confirmed
    before it is downloaded."""
    stub, = write_stub([FileSource(test_model)], tmp_path / "stub")
    assert stub.stat().st_size == test_model.stat().st_size
    assert stub.stat().st_blocks * 512 < 16 * MIB  # sparse: the weights are not on disk
    settings = LoadSettings(n_ctx=8192, n_gpu_layers=0)
    assert simulate_load(stub, settings) == simulate_load(test_model, settings)
