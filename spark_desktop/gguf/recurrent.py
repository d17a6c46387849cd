"""Which layers hold recurrent state instead of a KV cache, as llama.cpp 0.3.36 decides.

Pure recurrent architectures (llm_arch_is_recurrent) use it in every layer; hybrids
mark layers per architecture in load_arch_hparams (vendor/llama.cpp/src/models/).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_ALL = {"mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7", "falcon-h1"}
_NO_KV_HEADS = {"jamba", "plamo2", "granitehybrid", "lfm2", "lfm2moe", "kimi-linear",
                "bailingmoe3", "kimi-k3", "glm5-next"}
_NO_KV_HEADS_NO_FFN = {"nemotron_h", "nemotron_h_moe"}
# linear attention except every full_attention_interval-th layer (default interval)
_INTERVAL = {"qwen3next": 4, "qwen35": 4, "qwen35moe": 4, "qwen4exp": 4, "minimax-01": 8}


def recurrent_layers(arch: str, meta: Mapping[str, Any], n_layer: int, n_head_kv: Sequence[int],
                     n_ff: Sequence[int]) -> tuple[bool, ...]:
    """One flag per layer: True where the layer keeps recurrent state."""
    if arch in _ALL:
        return (True,) * n_layer
    if arch in _NO_KV_HEADS:
        return tuple(kv == 0 for kv in n_head_kv)
    if arch in _NO_KV_HEADS_NO_FFN:
        return tuple(kv == 0 and ff == 0 for kv, ff in zip(n_head_kv, n_ff))
    if arch in _INTERVAL:
        n_main = n_layer - min(_uint(meta.get(f"{arch}.nextn_predict_layers"), 0), n_layer)
        flags = meta.get(f"{arch}.attention.recurrent_layers")
        if isinstance(flags, tuple) and len(flags) == n_layer:
            return tuple(bool(f) for f in flags)
        interval = _uint(meta.get(f"{arch}.full_attention_interval"), _INTERVAL[arch]) or 1
        return tuple(i < n_main and (i + 1) % interval != 0 for i in range(n_layer))
    return (False,) * n_layer


def _uint(value: Any, default: int) -> int:
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= 0
    return value if ok else default
