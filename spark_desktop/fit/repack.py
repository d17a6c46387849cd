"""Weights that llama.cpp's CPU backend copies into its repacked buffer (CPU_REPACK).

With its extra buffer types on (the default), ggml-cpu interleaves the rows of some
quantized matrices for faster kernels (ggml-cpu/repack.cpp,
ggml_repack_get_optimal_repack_type). With mmap those tensors live twice — in the
mapped file and in the repacked copy — so the CPU's weights grow by their size (the
test model on an AVX2 build: 235.2 MiB mapped + 12.7 MiB repacked). Which tensors
qualify depends on the type, the row count and the instructions the build uses.
"""

from __future__ import annotations

from collections.abc import Iterable

from spark_desktop.gguf.spec import TensorInfo

#: type → the (instructions the build must use, rows a multiple of) of each repacked layout
RULES: dict[str, tuple[tuple[frozenset[str], int], ...]] = {
    "Q4_0": ((frozenset({"avx2"}), 8), (frozenset({"neon", "i8mm"}), 4),
             (frozenset({"neon", "dotprod"}), 4)),
    "Q4_K": ((frozenset({"avx2"}), 8), (frozenset({"neon", "i8mm"}), 8),
             (frozenset({"neon", "dotprod"}), 8)),
    "Q2_K": ((frozenset({"avx512"}), 8),),
    "Q5_K": ((frozenset({"neon", "i8mm"}), 8), (frozenset({"neon", "dotprod"}), 8)),
    "Q6_K": ((frozenset({"neon", "i8mm"}), 8), (frozenset({"neon", "dotprod"}), 8)),
    "IQ4_NL": ((frozenset({"avx2"}), 8), (frozenset({"neon", "dotprod"}), 4)),
    "MXFP4": ((frozenset({"avx2"}), 8), (frozenset({"neon", "dotprod"}), 4)),
    "Q8_0": ((frozenset({"neon", "i8mm"}), 4), (frozenset({"neon", "dotprod"}), 4)),
}
#: Weights read by GET_ROWS, not a matrix product: never repacked.
_LOOKUP_TABLES = ("token_embd.", "per_layer_token_embd.", "position_embd.", "token_types.")


def is_repacked(tensor: TensorInfo, isa: frozenset[str]) -> bool:
    """Does the CPU backend move this tensor into CPU_REPACK?"""
    if len(tensor.shape) not in (2, 3) or tensor.name.startswith(_LOOKUP_TABLES):
        return False
    return any(needs <= isa and tensor.shape[1] % rows == 0
               for needs, rows in RULES.get(tensor.type_name, ()))


def repacked_bytes(tensors: Iterable[TensorInfo], isa: frozenset[str]) -> int:
    """Bytes of the repacked copies (the same size as the tensors they copy)."""
    return sum(t.n_bytes for t in tensors if is_repacked(t, isa))

