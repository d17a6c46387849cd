"""The speed prediction against llama.cpp's published DGX Spark runs (issue 12).

The models are header-only specs with the benchmarked files' real shapes and types
(tests/fixtures/spark_models.py); the figures are llama-bench's (spark_published.py).
Calibration tables (the shares in fit.speed were fitted to them): decode within ±10 %
and prefill within ±15 % at every depth. The check set (another model, another build,
another benchmark tool) was not fitted; its bounds are looser and its errors are
printed by benchmarks/speed_prediction.py.
"""

from __future__ import annotations

import pytest

from spark_desktop.fit import estimate
from spark_desktop.hardware import resolve_target
from spark_desktop.hardware.probe import describe
from spark_desktop.inference_settings import LoadSettings
from tests.fixtures import spark_models as sm
from tests.fixtures import spark_published as sp

GIB = 1024 ** 3
SPARK = resolve_target("spark", describe("Cortex-X925", 20, 120 * GIB, 110 * GIB, ()))
#: llama-bench's settings: -ub 2048 (n_batch 2048), -fa 1, mmap off, f16 KV cache, and
#: llama.cpp's own sliding-window cache (not the full-size one the app keeps).
BENCH = LoadSettings(n_ctx=sp.DEPTHS[-1] + 4096, n_batch=sp.UBATCH, n_ubatch=sp.UBATCH,
                     use_mmap=False, swa_full=False)
DECODE_BOUND, PREFILL_BOUND = 0.10, 0.15
#: llama-batched-bench and llama-bench differ by up to 12 % on the same model and depth
#: (Qwen3-30B-A3B decode at 8192: 42.6 against 48.6 t/s), so the check allows 20 %.
CHECK_DECODE_BOUND, CHECK_PREFILL_BOUND = 0.20, 0.20

_SPECS = {name: sm.spec(shape) for name, shape in sm.SHAPES.items()}


def errors(calibration: bool) -> list[tuple[str, int, str, float]]:
    """(model and build or tool, depth, "decode"/"prefill", predicted/published - 1) of the
    calibration tables, or of the check set (other tables and llama-batched-bench)."""
    out = []
    for table in sp.TABLES:
        if ((table.model, table.build) in sp.CALIBRATION) != calibration:
            continue
        spec = _SPECS[table.model]
        label = f"{table.model} {table.build.split()[0]}"
        for depth, published in table.decode.items():
            e = estimate(spec, BENCH, SPARK, depth=depth, prompt=sp.PROMPT)
            out.append((label, depth, "decode", e.decode_tps / published - 1))
            out.append((label, depth, "prefill", e.prefill_tps / table.prefill[depth] - 1))
    if not calibration:
        for point in sp.BATCHED:
            spec = _SPECS[point.model]
            label = f"{point.model} batched-bench pp{point.prompt}"
            pre = estimate(spec, BENCH, SPARK, depth=0, prompt=point.prompt)
            dec = estimate(spec, BENCH, SPARK, depth=point.prompt + 16)
            out.append((label, 0, "prefill", pre.prefill_tps / point.prefill - 1))
            out.append((label, point.prompt, "decode", dec.decode_tps / point.decode - 1))
    return out


@pytest.mark.parametrize("shape", sm.SHAPES.values(), ids=lambda s: s.name)
def test_the_specs_have_the_benchmarked_files_sizes(shape: sm.Shape) -> None:
    assert _SPECS[shape.name].file_size / GIB == pytest.approx(shape.weights_gib, rel=0.01)


@pytest.mark.parametrize("point", errors(True), ids=lambda p: f"{p[0]} d{p[1]} {p[2]}")
def test_calibration_models_at_every_depth(point: tuple[str, int, str, float]) -> None:
    _, _, phase, err = point
    assert abs(err) <= (DECODE_BOUND if phase == "decode" else PREFILL_BOUND)


@pytest.mark.parametrize("point", errors(False), ids=lambda p: f"{p[0]} d{p[1]} {p[2]}")
def test_check_set(point: tuple[str, int, str, float]) -> None:
    _, _, phase, err = point
    assert abs(err) <= (CHECK_DECODE_BOUND if phase == "decode" else CHECK_PREFILL_BOUND)


def test_a_moe_prompt_batch_reads_every_expert() -> None:
    """Prefill of a 2048-token batch in gpt-oss 120B costs more than its active parameters:
    smaller physical batches read the (nearly all touched) experts more often."""
    spec = _SPECS["gpt-oss 120B MXFP4 MoE"]
    big = estimate(spec, BENCH, SPARK, depth=0, prompt=2048).prefill_tps
    small = estimate(spec, LoadSettings(n_ctx=8192, n_ubatch=128, use_mmap=False), SPARK,
                     depth=0, prompt=2048).prefill_tps
    assert small < 0.8 * big


def test_decode_falls_with_depth_and_sliding_windows_do_not_grow() -> None:
    """gpt-oss slides on half its layers (128 tokens): it loses less speed with depth than
    Qwen3-30B-A3B, whose 48 layers all read the whole cache."""
    def fall(name: str) -> float:
        spec = _SPECS[name]
        return (estimate(spec, BENCH, SPARK, depth=32768).decode_tps
                / estimate(spec, BENCH, SPARK, depth=0).decode_tps)
    assert fall("qwen3moe 30B.A3B Q8_0") < fall("gpt-oss 20B MXFP4 MoE") < 1
