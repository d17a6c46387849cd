"""The fit estimator: placement on targets, verdicts, largest context, speed, CLI.

Large models are described by ModelSpecs (tests/fixtures/specs.py; no file needed:
the estimator reads only the header's description); small real ones come from the
synthetic writers and the real Gemma 3 270M.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from spark_desktop import cli
from spark_desktop.engine.dryrun import simulate_load
from spark_desktop.fit import Verdict, estimate
from spark_desktop.fit.estimate import CUDA_CONTEXT_BYTES, SAFETY_BYTES, SAFETY_FRACTION
from spark_desktop.fit.repack import repacked_bytes
from spark_desktop.gguf import read_model
from spark_desktop.hardware import parse_nvidia_smi, resolve_target
from spark_desktop.hardware.probe import describe
from spark_desktop.hardware.targets import GIB
from spark_desktop.inference_settings import LoadSettings, SettingsError
from tests.fixtures import synthetic_models as sm
from tests.fixtures.specs import make_spec

CPU_ONLY = describe("AMD EPYC", 8, 64 * GIB, 60 * GIB, ())


def test_json_has_exactly_the_keys_of_the_issue(test_model: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["fit", str(test_model), "--json", "--target", "spark", "--ctx", "8192",
                     "--kv-type", "q8_0", "--ubatch", "256", "--parallel", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"model", "architecture", "parameters", "quantization", "context",
                         "kv_type", "gpu_layers", "memory", "target", "fits", "max_context",
                         "predicted", "settings"}
    assert set(data["memory"]) == {"weights", "kv_cache", "compute", "output", "overhead",
                                   "total"}
    assert set(data["target"]) == {"name", "pool", "bandwidth"}
    assert set(data["predicted"]) == {"decode_tps", "prefill_tps", "by_depth"}
    by_depth = data["predicted"]["by_depth"]
    assert [d["depth"] for d in by_depth] == [0, 4096]  # up to the 8192-token context
    assert by_depth[0]["decode_tps"] > by_depth[1]["decode_tps"] > 0
    assert data["settings"] == {"n_ctx": 8192, "n_batch": 2048, "n_ubatch": 256, "n_seq": 2,
                                "flash_attn": "auto", "type_k": "q8_0", "type_v": "q8_0",
                                "swa_full": True, "n_gpu_layers": -1, "use_mmap": False}
    assert data["fits"] == "fits" and data["architecture"] == "gemma3"
    assert data["memory"]["total"] == sum(v for k, v in data["memory"].items() if k != "total")


def test_table_output_and_errors(test_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["fit", str(test_model), "--target", "spark"]) == 0
    out = capsys.readouterr().out
    assert "FITS on spark" in out and "KV cache" in out and "tokens/s" in out
    assert cli.main(["fit", str(test_model), "--target", "moon"]) == 2
    assert cli.main(["fit", "/nonexistent.gguf"]) == 2


def test_any_part_of_a_split_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = sm.write_llama(tmp_path, split=2, context_length=2048)
    assert cli.main(["fit", str(model.paths[1]), "--json", "--ctx", "1024"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["parameters"] == model.parameters and data["max_context"] == 2048
    assert data["memory"]["weights"] == model.tensor_bytes


def test_tied_embeddings_are_copied_to_the_gpu(test_model: Path) -> None:
    """Gemma ties output and token embeddings: with the output on the GPU llama.cpp
    keeps token_embd on the CPU and a copy on the GPU (both in the Spark's one pool).
    On the CPU, with mmap, the repacked copies of some matrices come on top (fit.repack)."""
    spec = read_model(test_model)
    embd = next(t.n_bytes for t in spec.tensors if t.name == "token_embd.weight")
    total = sum(t.n_bytes for t in spec.tensors)
    spark = estimate(spec, LoadSettings(), resolve_target("spark", CPU_ONLY))
    here = estimate(spec, LoadSettings(), resolve_target("this", CPU_ONLY))
    repacked = repacked_bytes(spec.tensors, CPU_ONLY.repack_isa)
    assert spark.weights == total + embd and here.weights == total + repacked
    assert repacked > 0  # an AVX2-class CPU repacks this model's Q4_K matrices
    # all layers offloaded: the CPU backend keeps only a staging buffer, the GPU a full one
    assert spark.compute - here.compute == 2 * spec.n_embd * 4 * 512
    assert spark.overhead - here.overhead == CUDA_CONTEXT_BYTES


def test_quantized_v_cache_turns_flash_attention_on() -> None:
    s, notes = LoadSettings(type_k="q8_0", type_v="q8_0", flash_attn="off").effective()
    assert s.flash_attn == "on" and notes and "flash attention" in notes[0]
    assert LoadSettings(type_k="q8_0", flash_attn="off").effective() == (
        LoadSettings(type_k="q8_0", flash_attn="off"), ())  # only V needs it
    with pytest.raises(SettingsError):
        LoadSettings(type_k="q5_1")  # type: ignore[arg-type]
    e = estimate(make_spec(), LoadSettings(type_k="q4_0", type_v="q4_0", flash_attn="off"),
                 resolve_target("spark", CPU_ONLY))
    assert e.settings.flash_attn == "on" and e.notes


@pytest.mark.slow
def test_never_fits_where_llama_cpp_would_not_at_the_margin(test_model: Path) -> None:
    """One-sided verdict, checked against llama.cpp's own plan of the same load."""
    settings = LoadSettings(n_ctx=32768, n_gpu_layers=0)
    real = simulate_load(test_model, settings)
    spec = read_model(test_model)
    verdicts = []
    for tenth_gib in range(5, 40):
        target = resolve_target(str(tenth_gib / 10), CPU_ONLY)
        e = estimate(spec, settings, target)
        verdicts.append(e.verdict)
        if e.verdict is Verdict.FITS:
            pool = target.pools[0].bytes
            assert real.total + e.overhead <= pool * (1 - SAFETY_FRACTION) - SAFETY_BYTES
    # the sweep crosses the edge: small pools are refused, large ones fit
    assert verdicts[0] is not Verdict.FITS and verdicts[-1] is Verdict.FITS


def test_largest_context_is_the_edge(tmp_path: Path) -> None:
    spec = make_spec()
    target = resolve_target("48", CPU_ONLY)
    e = estimate(spec, LoadSettings(n_ctx=131072), target)
    assert e.verdict is Verdict.FITS_REDUCED and 2048 <= e.max_context < 131072
    assert e.suggestion is not None and e.suggestion.n_ctx == e.max_context
    assert "context" in e.reason
    assert estimate(spec, LoadSettings(n_ctx=e.max_context), target).verdict is Verdict.FITS
    assert estimate(spec, LoadSettings(n_ctx=e.max_context + 256),
                    target).verdict is not Verdict.FITS
    assert estimate(spec, LoadSettings(), resolve_target("20", CPU_ONLY)).verdict \
        is Verdict.DOES_NOT_FIT


def test_spark_and_two_sparks() -> None:
    big = make_spec(n_layer=126, n_embd=16384, n_head=128, n_head_kv=8, n_ff=53248,
                    bits=5.0)  # ~405B at 5 bits: ~236 GiB
    one = estimate(big, LoadSettings(), resolve_target("spark", CPU_ONLY))
    assert one.verdict is Verdict.DOES_NOT_FIT and "DGX Spark" in one.reason
    two = estimate(big, LoadSettings(), resolve_target("spark2", CPU_ONLY))
    assert two.verdict is Verdict.DOES_NOT_FIT  # two pools of 115.7 GiB, not one of 256 GB
    mid = make_spec(n_layer=96, n_embd=12288, n_head=96, n_head_kv=8, n_ff=40960,
                    bits=6.0)  # ~125 GiB
    assert estimate(mid, LoadSettings(), resolve_target("spark", CPU_ONLY)).verdict \
        is Verdict.DOES_NOT_FIT
    pair = estimate(mid, LoadSettings(), resolve_target("spark2", CPU_ONLY))
    assert pair.verdict is Verdict.FITS and len(pair.pools) == 2
    a, b = pair.pools
    assert abs(a.weights - b.weights) < 0.1 * pair.weights  # layers split over the nodes
    assert a.compute > 0 and b.compute > 0 and b.overhead >= CUDA_CONTEXT_BYTES
    assert a.kv_cache > 0 and b.kv_cache > 0 and b.output == 0


def test_seventy_b_on_one_spark() -> None:
    e = estimate(make_spec(), LoadSettings(n_ctx=32768), resolve_target("spark", CPU_ONLY))
    assert e.verdict is Verdict.FITS
    assert 36 * GIB < e.weights < 40 * GIB
    assert e.kv_cache == 80 * 2 * 8 * 128 * 2 * 32768  # layers x (K+V) x kv heads x dim x f16
    assert 3 < e.decode_tps < 6  # ~40 GB read per token at 0.7 x 273 GB/s


def test_discrete_gpu_offers_partial_offload() -> None:
    gpus = parse_nvidia_smi("NVIDIA GeForce RTX 4090, 24564, 500, 8.9, 560.35\n")
    pc = describe("AMD Ryzen 9 7950X", 16, 64 * GIB, 60 * GIB, gpus)
    target = resolve_target("this", pc)
    e = estimate(make_spec(), LoadSettings(n_ctx=8192), target)
    assert e.verdict is Verdict.FITS_REDUCED and e.suggestion is not None
    assert 0 < e.suggestion.n_gpu_layers < 81 and "GPU" in e.reason
    partial = estimate(make_spec(), e.suggestion, target)
    gpu, host = partial.pools
    assert partial.verdict is Verdict.FITS and gpu.weights > 0 and host.weights > 0
    cpu_only = estimate(make_spec(), LoadSettings(n_ctx=8192, n_gpu_layers=0), target)
    assert cpu_only.pools[0].total == 0 and cpu_only.decode_tps < partial.decode_tps


def test_moe_decode_reads_only_active_experts() -> None:
    moe = {"n_layer": 48, "n_embd": 2048, "n_head": 32, "n_head_kv": 4, "n_expert": 128,
           "n_ff_exp": 768}
    few = estimate(make_spec(**moe, n_expert_used=8), LoadSettings(),
                   resolve_target("spark", CPU_ONLY))
    many = estimate(make_spec(**moe, n_expert_used=64), LoadSettings(),
                    resolve_target("spark", CPU_ONLY))
    assert few.weights == many.weights
    assert few.decode_tps > 3 * many.decode_tps


def test_sliding_window_recurrent_and_mla(tmp_path: Path) -> None:
    gemma = read_model(sm.write_gemma3(tmp_path / "g", n_layer=6, n_swa=128, head_dim=32,
                                       context_length=32768).path)
    target = resolve_target("spark", CPU_ONLY)
    window = estimate(gemma, LoadSettings(n_ctx=32768, swa_full=False), target).kv_cache
    full = estimate(gemma, LoadSettings(n_ctx=32768), target).kv_cache
    row = 2 * 32 * 2  # K+V, one kv head of 32, f16
    assert window == row * (32768 + 5 * 768) and full == row * 32768 * 6
    mamba = read_model(sm.write_mamba(tmp_path / "m", n_embd=64).path)
    short = estimate(mamba, LoadSettings(n_ctx=512), target).kv_cache
    assert short == estimate(mamba, LoadSettings(n_ctx=2048), target).kv_cache > 0
    assert estimate(mamba, LoadSettings(n_seq=2), target).kv_cache == 2 * short
    mla = make_spec(arch="deepseek2", n_layer=4, n_embd=1024, n_head=16, n_head_kv=1,
                    head_dim=576, n_ff=2048, n_vocab=1000,
                    metadata={"deepseek2.attention.key_length_mla": 192})
    e = estimate(mla, LoadSettings(n_ctx=4096), target)
    assert e.kv_cache == 4 * 576 * 2 * 4096  # K only, no V


def test_parallel_sequences_split_the_context() -> None:
    spec = make_spec(n_layer=2)
    target = resolve_target("spark", CPU_ONLY)
    one = estimate(spec, LoadSettings(n_ctx=8192), target)
    four = estimate(spec, LoadSettings(n_ctx=8192, n_seq=4), target)
    assert four.kv_cache == one.kv_cache and four.output == 4 * one.output
    odd = estimate(spec, replace(LoadSettings(), n_ctx=1000, n_seq=3), target)
    # 1000 -> 1024 cells, / 3 sequences = 341 -> padded to 512 cells per sequence
    assert odd.kv_cache == 2 * 2 * 8 * 128 * 2 * 512 * 3
