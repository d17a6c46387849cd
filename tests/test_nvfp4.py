"""NVFP4 (ggml type 40, Blackwell's native FP4) is a quantization like any other: named in
file names, read from headers, sized and estimated.

Block layout (llama.cpp ggml/src/ggml-common.h, block_nvfp4): 64 weights in 4 UE4M3
scale bytes (one per 16 weights) and 32 bytes of E2M1 nibbles, 36 bytes, 4.5 bits a
weight; the gguf package (>= 0.19) carries the same (64, 36).
"""

from __future__ import annotations

import math
from pathlib import Path

import gguf
import numpy as np
import pytest

from spark_desktop.fit import estimate
from spark_desktop.gguf import read_model
from spark_desktop.hardware import resolve_target
from spark_desktop.hardware.probe import describe
from spark_desktop.hub.variants import quant_of
from spark_desktop.inference_settings import LoadSettings
from spark_desktop.library.scan import quant_from_name
from tests.fixtures import synthetic_models as sm

NVFP4 = gguf.GGMLQuantizationType.NVFP4


def _write(path: Path, n_embd: int = 256, n_ff: int = 512, n_layer: int = 2,
           n_vocab: int = 320) -> Path:
    """A llama-shaped GGUF whose matrices are NVFP4, with a hole for the data."""
    w = gguf.GGUFWriter(path, "llama")
    w.add_name("nvfp4-llama")
    w.add_context_length(4096)
    for key, value in (("embedding_length", n_embd), ("block_count", n_layer),
                       ("feed_forward_length", n_ff), ("attention.head_count", 4),
                       ("attention.head_count_kv", 2)):
        w.add_uint32(f"llama.{key}", value)
    w.add_float32("llama.attention.layer_norm_rms_epsilon", 1e-5)
    sm.add_vocabulary(w, n_vocab)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_NVFP4)
    hd = n_embd // 4
    tensors = [("token_embd.weight", (n_embd, n_vocab)), ("output_norm.weight", (n_embd,)),
               ("output.weight", (n_embd, n_vocab))]
    for il in range(n_layer):
        tensors += [(f"blk.{il}.attn_norm.weight", (n_embd,)),
                    (f"blk.{il}.attn_q.weight", (n_embd, n_embd)),
                    (f"blk.{il}.attn_k.weight", (n_embd, 2 * hd)),
                    (f"blk.{il}.attn_v.weight", (n_embd, 2 * hd)),
                    (f"blk.{il}.attn_output.weight", (n_embd, n_embd)),
                    (f"blk.{il}.ffn_norm.weight", (n_embd,))]
        tensors += [(f"blk.{il}.ffn_{p}.weight", (n_embd, n_ff)) for p in ("gate", "up")]
        tensors += [(f"blk.{il}.ffn_down.weight", (n_ff, n_embd))]
    data = 0
    block, size = gguf.GGML_QUANT_SIZES[NVFP4]
    for name, ne in tensors:
        if len(ne) == 1:
            n_bytes = 4 * ne[0]
            w.add_tensor_info(name, list(reversed(ne)), np.dtype(np.float32), n_bytes)
        else:
            n_bytes = math.prod(ne) // block * size
            w.add_tensor_info(name, [ne[1], ne[0] // block * size], np.dtype(np.uint8),
                              n_bytes, raw_dtype=NVFP4)
        data += -(-n_bytes // 32) * 32
    w.write_header_to_file(path)
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    w.close()
    with open(path, "r+b") as fh:
        header = fh.seek(0, 2)
        fh.truncate(-(-header // 32) * 32 + data)
    return path


@pytest.mark.parametrize("name", ["Qwen3-30B-A3B-NVFP4.gguf", "m.nvfp4.gguf",
                                  "NVFP4/model-00001-of-00002.gguf"])
def test_names_say_nvfp4(name: str) -> None:
    assert quant_of(name) == "NVFP4"  # Discover's variants, `files`
    file_name = name.rsplit("/", 1)[-1]  # My Models and `ls` look at the file name only
    assert quant_from_name(file_name) == ("NVFP4" if "NVFP4" in file_name.upper() else "")


def test_headers_read_sized_and_estimated(tmp_path: Path) -> None:
    assert gguf.GGML_QUANT_SIZES[NVFP4] == (64, 36)
    spec = read_model(_write(tmp_path / "m-NVFP4.gguf"))
    assert spec.quantization == "NVFP4"
    matrices = [t for t in spec.tensors if len(t.shape) == 2]
    assert {t.type_name for t in matrices} == {"NVFP4"}
    assert all(t.n_bytes * 8 / math.prod(t.shape) == 4.5 for t in matrices)
    spark = resolve_target("spark", describe("Cortex-X925", 20, 128 * 2**30, 120 * 2**30, ()))
    e = estimate(spec, LoadSettings(n_ctx=4096), spark)
    assert e.weights == sum(t.n_bytes for t in spec.tensors)
    assert e.decode_tps > 0 and e.prefill_tps > 0
