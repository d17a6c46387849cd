"""Typed description of a model, read from its GGUF header (no weights needed).

This is the value that crosses from the GGUF reader to the fit estimator, the hub
variants table, the library and the UI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol


class ByteSource(Protocol):
    """Random access to the bytes of one GGUF file, local or remote (byte ranges)."""

    name: str

    def size(self) -> int:
        """Total size of the file in bytes."""

    def read(self, offset: int, length: int) -> bytes:
        """Up to `length` bytes from `offset`; fewer only at end of file."""


@dataclass(frozen=True)
class TensorInfo:
    name: str
    ggml_type: int          # numeric ggml type (gguf.GGMLQuantizationType)
    type_name: str          # e.g. "Q4_K", "F16"
    shape: tuple[int, ...]  # ne[0], ne[1], ... as stored in GGUF
    n_bytes: int            # from the gguf package's block sizes
    layer: int | None       # "blk.N." -> N; None for token embeddings, output, norms
    offset: int             # byte offset of the data within its file
    part: int = 0           # which split part holds it (0-based)


@dataclass(frozen=True)
class ModelSpec:
    architecture: str
    name: str
    parameters: int
    n_layer: int
    n_embd: int
    n_head: tuple[int, ...]       # per layer
    n_head_kv: tuple[int, ...]    # per layer (0 for layers without attention)
    head_dim_k: int
    head_dim_v: int
    n_swa: int                    # sliding window size, 0 if none
    swa_layers: tuple[bool, ...]  # per layer: True if that layer uses the sliding window
    n_expert: int
    n_expert_used: int
    context_length: int
    vocab_size: int
    quantization: str             # file type as people say it, e.g. "Q4_K_M"
    chat_template: str | None
    license: str | None
    file_size: int                # all parts together
    split_count: int
    tensors: tuple[TensorInfo, ...]
    metadata: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # per layer: True where llama.cpp keeps recurrent state (Mamba, RWKV, hybrids'
    # linear-attention/conv layers) rather than a KV cache
    recurrent_layers: tuple[bool, ...] = ()
    n_ff: tuple[int, ...] = ()    # per layer feed-forward size (0 where there is none)

    def hparam(self, suffix: str, default: Any = None) -> Any:
        """An architecture key from the metadata, e.g. hparam("ssm.state_size")."""
        return self.metadata.get(f"{self.architecture}.{suffix}", default)
