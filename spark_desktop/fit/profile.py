"""The numbers of a model that the memory and speed formulas need, derived once.

A ModelSpec carries every tensor; summing them on each estimate would cost more
than the whole estimate may (< 1 ms), so `profile(spec)` condenses it once and
remembers the answer for as long as the spec lives.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import Any

from spark_desktop.fit.repack import RULES
from spark_desktop.gguf.spec import ModelSpec, TensorInfo

# Architectures whose every layer is recurrent (llama.cpp's llm_arch_is_recurrent).
RECURRENT_ARCHS = frozenset({"mamba", "mamba2", "rwkv6", "rwkv6qwen2", "rwkv7", "arwkv7"})


@dataclass(frozen=True)
class ModelProfile:
    n_layer: int
    n_embd: int
    n_vocab: int
    layer_bytes: tuple[int, ...]          # weights of each repeating layer
    expert_bytes: tuple[int, ...]         # of which routed-expert weights
    embd_bytes: int                       # token_embd (stays on the CPU; one row read per token)
    output_bytes: int                     # output norm + output matrix (or 0 when tied)
    tied_output: bool                     # no output.weight: token_embd doubles as the output
    other_bytes: int                      # any other non-layer tensor
    total_bytes: int
    matmul_params: int                    # parameters one token multiplies (experts: active only)
    layer_active_bytes: tuple[int, ...]   # weights one token reads in each layer
    layer_active_params: tuple[int, ...]  # parameters one token multiplies in each layer
    layer_expert_params: tuple[int, ...]  # of which in routed experts (active ones only)
    n_expert: int
    output_active_params: int             # the output matrix (token_embd when tied)
    kv_k_row: tuple[int, ...]             # K values per cell for each layer (0: no KV)
    kv_v_row: tuple[int, ...]             # V values per cell (0 for MLA / no KV)
    swa: tuple[bool, ...]
    n_swa: int
    recurrent: tuple[bool, ...]
    rs_values: int                        # f32 values of recurrent state per layer per sequence
    n_head_max: int
    q_width: int                          # n_head * head_dim_k (widest layer)
    kv_width: int                         # K + V values of one token (widest layer)
    n_ff: int                             # dense FFN width (0 if none)
    n_ff_exp: int                         # expert FFN width (0 if not MoE)
    n_expert_used: int
    ssm_d_inner: int
    head_dim_k: int
    head_dim_v: int
    post_norm: bool                       # Gemma-style norm after the FFN (one more row alive)
    repack_candidates: tuple[TensorInfo, ...] = ()  # matrices of a type CPU_REPACK knows
    memo: dict = field(default_factory=dict, compare=False, repr=False)  # per-setting caches


_CACHE: dict[int, tuple[weakref.ref, ModelProfile]] = {}


def _meta_int(meta: Any, key: str, default: int = 0) -> int:
    value = meta.get(key, default) if meta is not None else default
    if isinstance(value, tuple):
        value = max((v for v in value if isinstance(v, int)), default=default)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def profile(spec: ModelSpec) -> ModelProfile:
    """The condensed numbers of `spec` (computed once per spec object)."""
    hit = _CACHE.get(id(spec))
    if hit is not None and hit[0]() is spec:
        return hit[1]
    prof = _build(spec)
    key = id(spec)
    _CACHE[key] = (weakref.ref(spec, lambda _r: _CACHE.pop(key, None)), prof)
    return prof


def _build(spec: ModelSpec) -> ModelProfile:
    arch, meta, n_layer = spec.architecture, spec.metadata, spec.n_layer
    layer_bytes = [0] * n_layer
    expert_bytes = [0] * n_layer
    embd = output = other = matmul = 0
    layer_params = [0] * n_layer
    layer_expert = [0] * n_layer
    has_output = False
    n_ff = n_ff_exp = 0
    for t in spec.tensors:
        elements = 1
        for d in t.shape:
            elements *= d
        is_expert = "_exps" in t.name
        if t.layer is not None and t.layer < n_layer:
            layer_bytes[t.layer] += t.n_bytes
            if is_expert:
                expert_bytes[t.layer] += t.n_bytes
        elif t.name.startswith("token_embd."):
            embd += t.n_bytes
        elif t.name.startswith(("output.", "output_norm.")):
            output += t.n_bytes
            has_output = has_output or t.name == "output.weight"
        else:
            other += t.n_bytes
        if len(t.shape) >= 2 and not t.name.startswith("token_embd."):
            if is_expert and spec.n_expert:
                elements = elements * spec.n_expert_used // spec.n_expert
            matmul += elements
            if t.layer is not None and t.layer < n_layer:
                layer_params[t.layer] += elements
                if is_expert:
                    layer_expert[t.layer] += elements
        if t.name.endswith("ffn_up.weight") and len(t.shape) >= 2:
            n_ff = max(n_ff, t.shape[1])
        if t.name.endswith("ffn_up_exps.weight") and len(t.shape) >= 2:
            n_ff_exp = max(n_ff_exp, t.shape[1])
    tied = not has_output
    if tied:
        matmul += spec.n_embd * spec.vocab_size
    share = spec.n_expert_used / spec.n_expert if spec.n_expert else 1.0
    active_bytes = tuple(int(b - e + e * share) for b, e in zip(layer_bytes, expert_bytes))

    # KV cache widths per layer (llama_hparams::n_embd_k_gqa / n_embd_v_gqa).
    mla = f"{arch}.attention.key_length_mla" in (meta or {})
    recurrent_arch = arch in RECURRENT_ARCHS
    keys = meta or {}
    has_ssm = f"{arch}.ssm.state_size" in keys or f"{arch}.shortconv.l_cache" in keys
    k_row, v_row, recurrent = [], [], []
    for il in range(n_layer):
        kv_heads = spec.n_head_kv[il] if il < len(spec.n_head_kv) else 0
        is_recr = recurrent_arch or (has_ssm and kv_heads == 0)
        recurrent.append(is_recr)
        if is_recr or kv_heads == 0:
            k_row.append(0)
            v_row.append(0)
        else:
            k_row.append(spec.head_dim_k * kv_heads)
            v_row.append(0 if mla else spec.head_dim_v * kv_heads)

    # Recurrent state (llama_hparams::n_embd_r / n_embd_s), f32.
    d_conv = _meta_int(meta, f"{arch}.ssm.conv_kernel")
    d_inner = _meta_int(meta, f"{arch}.ssm.inner_size")
    d_state = _meta_int(meta, f"{arch}.ssm.state_size")
    n_group = _meta_int(meta, f"{arch}.ssm.group_count")
    l_cache = _meta_int(meta, f"{arch}.shortconv.l_cache")
    if l_cache:
        r_values = spec.n_embd * (l_cache - 1)
    else:
        r_values = max(d_conv - 1, 0) * (d_inner + 2 * n_group * d_state)
    rs_values = r_values + d_state * d_inner

    swa = tuple(bool(x) for x in spec.swa_layers[:n_layer]) + (False,) * max(
        0, n_layer - len(spec.swa_layers))
    heads = [h for h in spec.n_head] or [0]
    return ModelProfile(
        n_layer=n_layer, n_embd=spec.n_embd, n_vocab=spec.vocab_size,
        layer_bytes=tuple(layer_bytes), expert_bytes=tuple(expert_bytes),
        embd_bytes=embd, output_bytes=output, tied_output=tied, other_bytes=other,
        total_bytes=sum(layer_bytes) + embd + output + other, matmul_params=matmul,
        layer_active_bytes=active_bytes, layer_active_params=tuple(layer_params),
        layer_expert_params=tuple(layer_expert), n_expert=spec.n_expert,
        output_active_params=spec.n_embd * spec.vocab_size,
        kv_k_row=tuple(k_row), kv_v_row=tuple(v_row), swa=swa,
        n_swa=spec.n_swa if any(swa) else 0, recurrent=tuple(recurrent), rs_values=rs_values,
        n_head_max=max(heads), q_width=max(heads) * spec.head_dim_k,
        kv_width=max((k + v for k, v in zip(k_row, v_row)), default=0),
        n_ff=n_ff, n_ff_exp=n_ff_exp, n_expert_used=spec.n_expert_used, ssm_d_inner=d_inner,
        head_dim_k=spec.head_dim_k, head_dim_v=spec.head_dim_v,
        post_norm=any(t.name.endswith("post_ffw_norm.weight") for t in spec.tensors),
        repack_candidates=tuple(t for t in spec.tensors
                                if t.type_name in RULES and len(t.shape) in (2, 3)))
