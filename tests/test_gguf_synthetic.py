"""The synthetic test models are real: llama.cpp loads each and generates, and the
reader gives back exactly the parameters they were written with."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from spark_desktop.engine.dryrun import simulate_load
from spark_desktop.gguf import FileSource, GGUFError, read_model, write_sparse, write_stub
from spark_desktop.inference_settings import LoadSettings
from tests.fixtures.synthetic_models import (
    WRITERS,
    SyntheticModel,
    write_gemma3,
    write_lfm2,
    write_llama,
    write_qwen3moe,
)

# llama.cpp can abort the process on a bad file, so it runs in a child.
_LOAD = """
import sys, llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=512, n_threads=1, verbose=True)
# random weights may pick EOS first: bar it, so exactly max_tokens tokens come out
out = llm("ab", max_tokens=2, temperature=0.0, logit_bias={llm.token_eos(): -1e9})
print("GENERATED", out["usage"]["completion_tokens"], "TOKENS")
"""


def _load_in_llama_cpp(path: Path) -> str:
    proc = subprocess.run([sys.executable, "-c", _LOAD, str(path)], check=False,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "GENERATED 2 TOKENS" in proc.stdout, proc.stdout + proc.stderr[-3000:]
    return proc.stderr


def _check_roundtrip(model: SyntheticModel) -> None:
    spec = read_model(model.path)
    assert spec.architecture == model.architecture
    assert spec.name == model.name
    assert spec.n_layer == model.n_layer
    assert spec.n_embd == model.n_embd
    assert spec.context_length == model.context_length
    assert spec.vocab_size == model.vocab_size
    assert spec.parameters == model.parameters
    assert sum(t.n_bytes for t in spec.tensors) == model.tensor_bytes
    assert spec.file_size == model.file_size
    assert spec.split_count == len(model.paths)
    assert {t.name: t.type_name for t in spec.tensors} == model.tensor_types
    assert spec.n_expert == model.n_expert
    assert spec.n_expert_used == model.n_expert_used
    assert spec.n_swa == model.n_swa
    if model.swa_layers:
        assert spec.swa_layers == model.swa_layers
    else:
        assert not any(spec.swa_layers)


@pytest.mark.parametrize("arch", sorted(WRITERS))
def test_llama_cpp_loads_and_generates(arch: str, tmp_path: Path) -> None:
    model = WRITERS[arch](tmp_path)
    log = _load_in_llama_cpp(model.path)
    assert f"arch                  = {arch}" in log
    _check_roundtrip(model)


def test_llama_cpp_loads_a_split_quantized_model(tmp_path: Path) -> None:
    model = write_llama(tmp_path, tensor_type="Q8_0", split=3)
    assert [p.name for p in model.paths] == [f"tiny-llama-0000{i}-of-00003.gguf" for i in (1, 2, 3)]
    log = _load_in_llama_cpp(model.path)
    assert "file type   = Q8_0" in log
    _check_roundtrip(model)


def test_llama_cpp_loads_k_quant_gemma3(tmp_path: Path) -> None:
    model = write_gemma3(tmp_path, tensor_type="Q4_K", n_embd=256, head_dim=64, n_ff=512)
    log = _load_in_llama_cpp(model.path)
    assert "Q4_K - Medium" in log
    assert read_model(model.path).quantization == "Q4_K_M"
    _check_roundtrip(model)


@pytest.mark.parametrize("tensor_type", ["F32", "F16", "BF16", "Q8_0", "Q4_0", "Q5_1", "Q6_K"])
def test_tensor_types_roundtrip(tensor_type: str, tmp_path: Path) -> None:
    model = write_qwen3moe(tmp_path, tensor_type=tensor_type, n_embd=256, head_dim=64,
                           n_ff_exp=256)
    _check_roundtrip(model)
    assert read_model(model.path).quantization == tensor_type


def test_gemma3_patterns_roundtrip(tmp_path: Path) -> None:
    by_period = write_gemma3(tmp_path / "p", n_layer=8, swa_pattern=4)
    assert by_period.swa_layers == (True, True, True, False) * 2
    _check_roundtrip(by_period)
    flags = (True, False, False, True, True, False)
    by_flags = write_gemma3(tmp_path / "f", swa_pattern=flags)
    _check_roundtrip(by_flags)
    assert read_model(by_flags.path).swa_layers == flags


def test_lfm2_marks_attention_layers(tmp_path: Path) -> None:
    model = write_lfm2(tmp_path, attention_layers=(False, False, True, False, True), n_swa=64)
    spec = read_model(model.path)
    assert spec.n_head_kv == (0, 0, 2, 0, 2)
    assert spec.swa_layers == (False, False, True, False, True)
    assert spec.recurrent_layers == (True, True, False, True, False)
    _check_roundtrip(model)


def test_mamba_is_recurrent_everywhere(tmp_path: Path) -> None:
    model = WRITERS["mamba"](tmp_path, n_layer=3, d_state=8)
    spec = read_model(model.path)
    assert spec.recurrent_layers == (True, True, True)
    assert spec.hparam("ssm.state_size") == 8 and spec.hparam("ssm.inner_size") == 2 * spec.n_embd
    assert spec.n_head == (0, 0, 0) and spec.head_dim_k == 0


def test_header_stub_dry_runs_like_the_real_file(tmp_path: Path) -> None:
    model = write_gemma3(tmp_path / "real", split=2, tensor_type="Q8_0")
    stubs = write_stub([FileSource(p) for p in model.paths], tmp_path / "stub")
    assert [p.name for p in stubs] == [p.name for p in model.paths]
    assert [p.stat().st_size for p in stubs] == [p.stat().st_size for p in model.paths]
    assert read_model(stubs[0]) == read_model(model.path)
    settings = LoadSettings(n_ctx=512, n_gpu_layers=0)
    planned = simulate_load(stubs[0], settings)
    assert planned.weights > 0 and planned == simulate_load(model.path, settings)


def test_a_stub_that_cannot_be_written_says_where(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"not a folder")
    with pytest.raises(GGUFError, match=f"Cannot write a header stub to {blocker}"):
        write_sparse(blocker / "stub.gguf", b"GGUF", 1 << 20)
    stub = write_sparse(tmp_path / "deep" / "stub.gguf", b"GGUF", 1 << 30)
    with stub.open("rb") as fh:
        assert fh.read(8) == b"GGUF" + bytes(4)
    assert stub.stat().st_size == 1 << 30
    assert stub.stat().st_blocks * 512 < 1 << 20  # a hole, not a gigabyte of zeros


def test_quantization_is_guessed_without_a_file_type(tmp_path: Path) -> None:
    model = write_llama(tmp_path, tensor_type="Q8_0", file_type=None)
    spec = read_model(model.path)
    assert "general.file_type" not in spec.metadata
    assert spec.quantization == "Q8_0"
