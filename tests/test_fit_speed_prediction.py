"""Speed prediction: decode is max(bandwidth-bound, compute-bound) per pool, prefill is
compute-bound. Pure tests on constructed targets; measured figures live in
benchmarks/speed_prediction.py (no timed assertions here)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from spark_desktop.fit import estimate
from spark_desktop.gguf import read_model
from spark_desktop.gguf.spec import ModelSpec
from spark_desktop.hardware.bandwidth import cpu_flops
from spark_desktop.hardware.probe import describe
from spark_desktop.hardware.targets import Pool, Target, resolve_target, target_for_machine
from spark_desktop.inference_settings import LoadSettings
from tests.fixtures.specs import make_spec

GIB = 1024 ** 3
SETTINGS = LoadSettings(n_ctx=8192)


def cpu_target(cores: int = 2, bandwidth: float = 60e9, flops: float | None = None) -> Target:
    """A CPU-only machine with lots of memory, so every model fits and the speed is all
    that differs."""
    pool = Pool("system memory", 512 * GIB, bandwidth,
                cpu_flops(cores, frozenset({"avx2", "fma"}), "x86_64") if flops is None
                else flops, "host")
    return Target("cpu", (pool,), unified=False)


def small_spec() -> ModelSpec:
    return make_spec(n_layer=8, n_embd=1024, n_head=8, n_head_kv=4, n_ff=3072,
                     n_vocab=32000)


def decode(spec: ModelSpec, target: Target, depth: int = 1024) -> float:
    return estimate(spec, SETTINGS, target, depth=depth).decode_tps


def test_small_model_on_a_cpu_is_compute_bound() -> None:
    spec = small_spec()
    base = decode(spec, cpu_target())
    assert decode(spec, cpu_target(bandwidth=120e9)) == pytest.approx(base)
    assert decode(spec, cpu_target(cores=4)) > 1.5 * base


def test_big_model_on_a_cpu_is_bandwidth_bound() -> None:
    spec = make_spec()  # Llama-3-70B-shaped, ~40 GB at 4.5 bits
    base = decode(spec, cpu_target(cores=64))
    assert decode(spec, cpu_target(cores=128)) == pytest.approx(base)
    assert decode(spec, cpu_target(cores=64, bandwidth=120e9)) > 1.8 * base


def test_few_cores_make_even_a_big_model_compute_bound() -> None:
    spec = make_spec()
    assert decode(spec, cpu_target(cores=2, bandwidth=120e9)) == pytest.approx(
        decode(spec, cpu_target(cores=2)))


def test_the_real_test_model_is_compute_bound_on_two_cores(test_model: Path) -> None:
    spec = read_model(test_model)
    machine = describe("AMD EPYC", 2, 24 * GIB, 20 * GIB, (), frozenset({"avx2", "fma"}),
                       "x86_64")
    target = target_for_machine(machine)
    base = decode(spec, target)
    faster_memory = dataclasses.replace(
        target, pools=(dataclasses.replace(target.pools[0], bandwidth=1e12),))
    assert decode(spec, faster_memory) == pytest.approx(base)
    # Its tied output matrix (token_embd, 168 M parameters) is read by every token:
    # without it the bandwidth-bound time would be several times smaller.
    slow_memory = dataclasses.replace(
        target, pools=(dataclasses.replace(target.pools[0], bandwidth=1e9),))
    assert 1e9 / decode(spec, slow_memory) > 0.2e9  # > 200 MB read per token


def test_gpu_targets_stay_bandwidth_bound() -> None:
    spark = resolve_target("spark", describe("Cortex-X925", 20, 120 * GIB, 110 * GIB, ()))
    spec = make_spec(n_layer=32, n_embd=4096, n_head=32, n_ff=14336)  # Llama-3-8B-shaped
    base = decode(spec, spark)
    more_flops = dataclasses.replace(
        spark, pools=(dataclasses.replace(spark.pools[0], flops=1e16),))
    assert decode(spec, more_flops) == pytest.approx(base)


@pytest.mark.parametrize("target", [cpu_target(), cpu_target(cores=64)])
def test_moe_decode_costs_only_its_active_experts(target: Target) -> None:
    """Decode multiplies and reads only the active experts; a prompt batch multiplies only
    them too, but reads nearly every expert once per physical batch."""
    moe = make_spec(n_layer=24, n_embd=2048, n_head=32, n_head_kv=4, n_expert=128,
                    n_expert_used=8, n_ff_exp=768, n_vocab=151936)
    dense_active = make_spec(n_layer=24, n_embd=2048, n_head=32, n_head_kv=4,
                             n_ff=768 * 8, n_vocab=151936)
    dense_all = make_spec(n_layer=24, n_embd=2048, n_head=32, n_head_kv=4,
                          n_ff=768 * 128, n_vocab=151936)
    assert decode(moe, target) == pytest.approx(decode(dense_active, target), rel=1e-3)
    prefill = estimate(moe, SETTINGS, target, depth=1024).prefill_tps
    assert (estimate(dense_all, SETTINGS, target, depth=1024).prefill_tps < prefill
            < estimate(dense_active, SETTINGS, target, depth=1024).prefill_tps)
    assert decode(moe, target) > 4 * decode(dense_all, target)


@pytest.mark.parametrize("target", [cpu_target(), cpu_target(cores=64),
                                    resolve_target("spark", describe("x", 20, 0, 0, ()))])
def test_predictions_fall_with_depth(target: Target) -> None:
    spec = make_spec(n_layer=16, n_embd=2048, n_head=16, n_ff=8192)
    settings = LoadSettings(n_ctx=131072)
    depths = [0, 512, 4096, 32768, 131072]
    runs = [estimate(spec, settings, target, depth=d) for d in depths]
    decodes = [e.decode_tps for e in runs]
    assert decodes == sorted(decodes, reverse=True) and decodes[0] > decodes[-1]
    # Prefill per token grows with the prompt (attention); from 512 tokens on, the
    # once-per-prompt output matrix no longer hides it.
    prefills = [e.prefill_tps for e in runs[1:]]
    assert prefills == sorted(prefills, reverse=True) and prefills[0] > prefills[-1]


def test_prefill_is_far_faster_than_decode_on_a_cpu() -> None:
    e = estimate(small_spec(), SETTINGS, cpu_target(), depth=256)
    assert e.prefill_tps > 3 * e.decode_tps


def test_cpu_flops_follow_the_instruction_set() -> None:
    wide = cpu_flops(4, frozenset({"avx2", "fma", "sse2"}), "x86_64")
    assert cpu_flops(4, frozenset({"neon"}), "aarch64") == wide
    assert cpu_flops(4, frozenset({"sse2"}), "x86_64") == wide / 2
    assert cpu_flops(8, frozenset({"avx2", "fma"}), "x86_64") == 2 * wide
