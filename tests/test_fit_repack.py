"""The CPU backend's repacked weights (CPU_REPACK), predicted and as llama.cpp reports them."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from spark_desktop.fit import estimate
from spark_desktop.fit.repack import is_repacked, repacked_bytes
from spark_desktop.gguf import TensorInfo, read_model
from spark_desktop.hardware.probe import cpu_flags, llama_build_isa, probe
from spark_desktop.hardware.targets import target_for_machine

MIB = 1024 * 1024


def _t(name: str, type_name: str, *shape: int) -> TensorInfo:
    return TensorInfo(name=name, shape=shape, ggml_type=0, type_name=type_name, offset=0,
                      n_bytes=1000, layer=0, part=0)


def test_build_isa_is_the_portable_builds() -> None:
    assert llama_build_isa(frozenset({"avx2", "avx512f", "amx_tile"}), "x86_64") == {"avx2"}
    assert llama_build_isa(frozenset({"sse4_2"}), "x86_64") == frozenset()
    gb10 = frozenset({"asimd", "asimddp", "i8mm"})
    assert llama_build_isa(gb10, "aarch64") == {"neon", "dotprod"}


@pytest.mark.parametrize(("tensor", "isa", "expected"), [
    (_t("blk.0.ffn_down.weight", "Q4_K", 1024, 640), {"avx2"}, True),
    (_t("blk.0.ffn_down.weight", "Q4_K", 1024, 644), {"avx2"}, False),   # rows not by 8
    (_t("token_embd.weight", "Q4_0", 640, 262144), {"avx2"}, False),     # a lookup table
    (_t("blk.0.attn_norm.weight", "Q4_0", 640), {"avx2"}, False),        # one dimension
    (_t("blk.0.attn_k.weight", "Q5_0", 640, 256), {"avx2"}, False),      # no layout
    (_t("blk.0.ffn_up.weight", "Q2_K", 640, 2048), {"avx2"}, False),     # needs AVX-512
    (_t("blk.0.ffn_up_exps.weight", "MXFP4", 640, 2048, 32), {"avx2"}, True),  # experts
    (_t("blk.0.ffn_up.weight", "Q8_0", 640, 2044), {"neon", "dotprod"}, True),
    (_t("blk.0.ffn_up.weight", "Q6_K", 640, 2048), {"neon", "dotprod"}, True),
    (_t("blk.0.ffn_up.weight", "Q6_K", 640, 2048), {"avx2"}, False),
])
def test_repack_rules(tensor: TensorInfo, isa: set[str], expected: bool) -> None:
    assert is_repacked(tensor, frozenset(isa)) is expected


@pytest.mark.slow
def test_repacked_bytes_match_llama_cpp_on_this_machine(test_model: Path, tmp_path: Path) -> None:
    """llama.cpp's own CPU_REPACK buffer for the real model, to its 2-decimal MiB."""
    import os

    from spark_desktop.engine import Client
    from tests.conftest import chat_options

    with Client(log_path=tmp_path / "engine.log") as client:
        loaded = client.load(test_model, chat_options())
    reported = sum(float(m.group(1)) for line in loaded.log_lines
                   if (m := re.search(r"CPU_REPACK model buffer size = +([\d.]+) MiB", line)))
    isa = llama_build_isa(cpu_flags(), os.uname().machine)
    spec = read_model(test_model)
    repacked = repacked_bytes(spec.tensors, isa)
    predicted = repacked / MIB
    assert predicted == pytest.approx(reported, abs=0.006)
    assert predicted > 0 or not isa  # the AVX2 / dot-product builds repack this model's Q4_K
    # and the estimate's weights on this machine hold mapped file + repacked copies (1 %)
    weights = loaded.memory.devices["CPU"].weights
    estimated = estimate(spec, chat_options(), target_for_machine(probe())).weights
    assert abs(estimated - weights) <= 0.01 * weights
    # without the extra buffer types nothing is repacked, in llama.cpp and in the estimate
    plain = estimate(spec, replace(chat_options(), use_extra_bufts=False),
                     target_for_machine(probe())).weights
    assert plain == estimated - repacked
