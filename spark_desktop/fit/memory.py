"""Byte formulas for each part of a llama.cpp load, as llama.cpp sizes them.

Sources in vendor/llama.cpp/src: llama-kv-cache.cpp and llama-kv-cache-iswa.cpp
(KV cells and rows), llama-memory-recurrent.cpp (recurrent state), llama-context.cpp
(context padding, output buffer, compute-buffer reservation) and llama-graph.cpp
(the tensors of the reserved graph).

The compute buffer is the peak of ggml's graph allocator over one n_ubatch-token
prompt batch. We model the few stages that can hold that peak and take the
largest; the per-token widths were fitted to llama.cpp's own dry-run figures
(benchmarks/fit_accuracy.py shows the comparison):

- output:    logits n_vocab·n_out·4 + two n_embd rows per token (+ one Q row per
             token when a quantized KV cache turns on llama.cpp's attention rotation,
             llama-kv-cache.cpp attn_rot_k: quantized type, head size a multiple of 64)
- attention: with flash attention max(5·E, 4·E + K + V); without it the scores
             n_kv·n_ubatch·n_head·4 + 5·E + K + V  (E = widest of n_embd and
             n_head·head_dim, K/V = one token's K and V rows, all f32 bytes)
- FFN:       min(4·n_ff, 3·n_ff + 4·n_embd) (+ n_embd with Gemma's post-norms) (dense)
             or 3·n_ff_exp·n_used + n_embd·n_used + E (MoE)
- recurrent: 6.5·d_inner (Mamba's in-projection, conv and scan intermediates)
plus, for every stage before the output, the attention masks of every window
kind (n_kv·n_ubatch, f16 with flash attention, f32 without) and ~20 bytes of
inputs per token.

Not modelled: where ggml's best-fit allocator happens to place the logits relative to
tensors left from the layers. On Gemma-3-27B with a full-size sliding-window cache this
adds 0, 10.5, ~95 or 136.5 MiB depending on the context (not monotone in it), up to
20 % of the compute buffer but under 0.5 % of the total, inside the safety margin.
"""

from __future__ import annotations

from spark_desktop.fit import repack
from spark_desktop.fit.profile import ModelProfile
from spark_desktop.inference_settings import LoadSettings

F32 = 4
INPUT_BYTES_PER_TOKEN = 20
#: (block size, bytes per block) of each KV cache type, as ggml stores them.
KV_BLOCKS: dict[str, tuple[int, int]] = {"f16": (1, 2), "q8_0": (32, 34), "q4_0": (32, 18)}
#: llama.cpp pads the context to a multiple of this (llama-context.cpp).
CTX_PAD = 256


def ctx_seq(n_ctx: int, n_seq: int) -> int:
    """KV cells per sequence: the context padded to 256, split over the sequences (each
    its own stream, kv_unified off) and padded again (llama_context's constructor)."""
    padded = -(-n_ctx // CTX_PAD) * CTX_PAD
    if n_seq > 1:
        padded = -(-(padded // n_seq) // CTX_PAD) * CTX_PAD
    return padded


def _pad(n: int, to: int) -> int:
    return -(-n // to) * to


def row_bytes(kv_type: str, values: int) -> int:
    """Bytes of `values` values stored as kv_type (ggml_row_size)."""
    block, size = KV_BLOCKS[kv_type]
    return values // block * size


def kv_cells(prof: ModelProfile, s: LoadSettings, n_ctx: int | None = None) -> tuple[int, int]:
    """(cells of a full-attention layer, cells of a sliding-window layer) per sequence."""
    full = ctx_seq(s.n_ctx if n_ctx is None else n_ctx, s.n_seq)
    if not prof.n_swa or s.swa_full:
        return full, full
    # llama_kv_cache_iswa: PAD(min(size_base, n_swa*(unified ? n_seq : 1) + n_ubatch), 256);
    # kv_unified is off (llama.cpp's default), so one window per sequence stream.
    return full, _pad(min(full, prof.n_swa + s.n_ubatch), CTX_PAD)


def kv_rows(prof: ModelProfile, s: LoadSettings) -> tuple[int, ...]:
    """KV bytes of one cell of one sequence in each layer (0 for layers without KV)."""
    flash_attn = s.uses_flash_attn
    key = ("rows", s.type_k, s.type_v, flash_attn)
    rows = prof.memo.get(key)
    if rows is None:
        # Without flash attention V is stored transposed and padded to the widest layer.
        v_max = max(prof.kv_v_row, default=0)
        rows = tuple(
            0 if prof.recurrent[il] or not k else
            row_bytes(s.type_k, k) + row_bytes(s.type_v, v_max if v and not flash_attn else v)
            for il, (k, v) in enumerate(zip(prof.kv_k_row, prof.kv_v_row)))
        prof.memo[key] = rows
    return rows


def kv_layer_bytes(prof: ModelProfile, s: LoadSettings, n_ctx: int | None = None
                   ) -> tuple[int, ...]:
    """KV cache (or recurrent state) bytes of each layer, all sequences together."""
    full, swa = kv_cells(prof, s, n_ctx)
    rows = kv_rows(prof, s)
    state = prof.rs_values * F32 * max(1, s.n_seq)
    return tuple(state if prof.recurrent[il] else
                 row * (swa if prof.swa[il] else full) * s.n_seq
                 for il, row in enumerate(rows))


def output_bytes(prof: ModelProfile, s: LoadSettings) -> int:
    """llama.cpp's output buffer: logits of one token per sequence (output_reserve)."""
    return prof.n_vocab * F32 * s.n_seq


def compute_bytes(prof: ModelProfile, s: LoadSettings, n_ctx: int | None = None) -> int:
    """The compute buffer llama.cpp reserves for one n_ubatch batch (see module doc)."""
    t = s.n_ubatch
    n_out = min(t, s.n_batch)
    full, swa = kv_cells(prof, s, n_ctx)
    # One mask per kind of attention present (full, sliding window), both inputs.
    kinds = prof.memo.get("attn_kinds")
    if kinds is None:
        kinds = prof.memo["attn_kinds"] = tuple(sorted(
            {prof.swa[il] for il, k in enumerate(prof.kv_k_row) if k and not prof.recurrent[il]}))
    # With several sequences each stream sees its own cells and its share of the batch.
    kinds_kv = [swa if is_swa else full for is_swa in kinds]
    mask_elem = 2 if s.uses_flash_attn else F32
    masks = sum(n_kv * t * mask_elem for n_kv in kinds_kv)

    e = max(prof.n_embd, prof.q_width) * F32
    kv = prof.kv_width * F32
    stages = [0]
    if kinds:
        if s.uses_flash_attn:
            stages.append(max(5 * e, 4 * e + kv) * t)
        else:
            n_kv = max(kinds_kv)
            stages.append(n_kv * t * prof.n_head_max * F32 + (5 * e + kv) * t)
    if prof.n_ff:
        ffn = min(4 * prof.n_ff, 3 * prof.n_ff + 4 * prof.n_embd)
        stages.append((ffn + prof.post_norm * prof.n_embd) * F32 * t)
    if prof.n_ff_exp:
        used = max(1, prof.n_expert_used)
        stages.append((3 * prof.n_ff_exp * used + prof.n_embd * used) * F32 * t + e * t)
    if prof.rs_values:
        stages.append(int(6.5 * prof.ssm_d_inner * F32 * t) if prof.ssm_d_inner
                      else 6 * prof.n_embd * F32 * t)
    inner = max(stages) + masks + INPUT_BYTES_PER_TOKEN * t
    output = prof.n_vocab * n_out * F32 + 2 * prof.n_embd * F32 * t
    if kinds and s.type_k != "f16" and prof.head_dim_k % 64 == 0:
        output += prof.q_width * F32 * t  # the Hadamard rotation of a quantized KV cache
    return max(inner, output)


def repacked_layer_bytes(prof: ModelProfile, isa: frozenset[str]) -> tuple[list[int], int]:
    """Prefix sums of the repacked bytes over the layers, and the output's, for this ISA
    (memoised on the profile: a slider sweep pays for it once)."""
    key = ("repack", isa)
    cached = prof.memo.get(key)
    if cached is None:
        per_layer = [0] * prof.n_layer
        output = 0
        for tensor in prof.repack_candidates:
            if not repack.is_repacked(tensor, isa):
                continue
            if tensor.layer is not None and tensor.layer < prof.n_layer:
                per_layer[tensor.layer] += tensor.n_bytes
            elif tensor.name.startswith("output."):
                output += tensor.n_bytes
        prefix, acc = [0], 0
        for b in per_layer:
            acc += b
            prefix.append(acc)
        cached = prof.memo[key] = (prefix, output)
    return cached
