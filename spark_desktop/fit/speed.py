"""Tokens per second from what a token reads and computes on each pool.

Decode, per pool holding layers: the larger of reading (the active weights, the output
matrix, the KV cache up to the depth, sliding-window layers only their window) and
computing (2 FLOPs per active parameter plus attention), plus a fixed time per token
and per layer (kernel launches, sampling, streaming). Prefill of a `prompt`-token batch
after `depth` cached tokens: every physical batch (n_ubatch tokens) reads the weights
once, and in a MoE that batch touches nearly every expert; the matrix products run at
the large-batch share of peak (lower for expert products, which split the batch into
small per-expert groups); attention covers the depth plus half the batch, at a share
that depends on the head size (llama.cpp's flash-attention kernels are built per size).
The shares are fitted to published DGX Spark runs (GB10) and to this project's CPU;
benchmarks/README.md gives the figures, sources and errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from spark_desktop.fit import memory

if TYPE_CHECKING:
    from spark_desktop.fit.profile import ModelProfile
    from spark_desktop.hardware.targets import Pool, Target
    from spark_desktop.inference_settings import LoadSettings


class Plan(Protocol):
    """What the speed model reads of the estimate's placement (fit.estimate._Plan)."""

    prof: ModelProfile
    s: LoadSettings
    target: Target
    ranges: list[tuple[int, int, int, bool]]   # (pool, first layer, end layer, on a device)
    out_pool: int
    prefix: dict[str, list[int]]               # prefix sums over the layers

RPC_HOP_S = 0.0005


@dataclass(frozen=True)
class Efficiency:
    """How much of a device's peak llama.cpp reaches, by kind of work."""

    weights: float      # of the bandwidth, reading weights
    kv: float           # of the bandwidth, reading the KV cache while decoding
    matvec: float       # of the peak FLOP/s, one-token matrix-vector products
    dense: float        # of the peak FLOP/s, batched dense matrix products
    experts: float      # of the peak FLOP/s, batched expert products
    attention: tuple[tuple[int, float], ...]  # (head size, share of peak), batched attention
    token_s: float      # per decoded token: graph launch, sampling, the worker's streaming
    layer_s: float      # per layer per decoded token

    def attention_at(self, head_dim: int) -> float:
        """The share for `head_dim`: the nearest head size fitted (the larger on a tie)."""
        return min(self.attention, key=lambda p: (abs(p[0] - head_dim), -p[0]))[1]


#: GB10 (DGX Spark), fitted to llama.cpp build b6918's llama-bench tables of gpt-oss 20B,
#: Qwen3-Coder-30B-A3B, Qwen2.5-Coder-7B and Gemma 3 4B; used for every NVIDIA GPU (only
#: GB10 is measured).
GPU = Efficiency(weights=0.78, kv=0.74, matvec=0.09, dense=0.35, experts=0.24,
                 attention=((64, 0.23), (128, 0.44), (256, 0.22)),
                 token_s=0.00048, layer_s=0.00001)
#: x86 with AVX2 (this project's 2-core machine, llama.cpp built portable); AVX-512 and
#: ARM CPUs use the same shares, unmeasured.
CPU = Efficiency(weights=0.7, kv=0.7, matvec=0.09, dense=0.3, experts=0.3,
                 attention=((128, 0.3),), token_s=0.002, layer_s=0.0)


def efficiency(pool: Pool) -> Efficiency:
    return CPU if pool.kind == "host" else GPU


@dataclass(frozen=True)
class Correction:
    """Factors on the predicted tokens/s learnt from runs on this machine (fit.measured)."""

    decode: float = 1.0
    prefill: float = 1.0
    basis: str = ""     # which runs, in words


def _attention_flops(plan: Plan, lo: int, hi: int, cells: float, swa_cells: float) -> float:
    """FLOPs of one token's attention (Q·K and the weighted sum of V) over `cells` cached
    tokens in full-attention layers lo..hi and `swa_cells` in sliding-window ones."""
    prof, pre = plan.prof, plan.prefix
    per_cell = 2 * prof.n_head_max * (prof.head_dim_k + prof.head_dim_v)
    return per_cell * ((pre["full_n"][hi] - pre["full_n"][lo]) * cells
                       + (pre["swa_n"][hi] - pre["swa_n"][lo]) * swa_cells)


def decode_tps(plan: Plan, depth: int) -> float:
    """Tokens/s generating with `depth` tokens in the cache."""
    prof, pre, pools = plan.prof, plan.prefix, plan.target.pools
    window = min(depth, prof.n_swa) if prof.n_swa else depth
    state_rw = 2 * prof.rs_values * memory.F32  # recurrent state read and written back
    weights = [0.0] * len(pools)
    kv = [0.0] * len(pools)
    flops = [0.0] * len(pools)
    layers = [0] * len(pools)
    for pool, lo, hi, _ in plan.ranges:
        weights[pool] += (pre["active"][hi] - pre["active"][lo]
                          + (pre["recurrent"][hi] - pre["recurrent"][lo]) * state_rw)
        kv[pool] += ((pre["full"][hi] - pre["full"][lo]) * depth
                     + (pre["swa"][hi] - pre["swa"][lo]) * window)
        flops[pool] += (2 * (pre["params"][hi] - pre["params"][lo])
                        + _attention_flops(plan, lo, hi, depth, window))
        layers[pool] += hi - lo
    # The output matrix (token_embd when tied): every decoded token reads it.
    weights[plan.out_pool] += prof.output_bytes + (prof.embd_bytes if prof.tied_output else 0)
    flops[plan.out_pool] += 2 * prof.output_active_params
    used = [i for i in range(len(pools)) if weights[i]]
    seconds = efficiency(pools[plan.out_pool]).token_s
    for i in used:
        e, p = efficiency(pools[i]), pools[i]
        seconds += max(weights[i] / (e.weights * p.bandwidth) + kv[i] / (e.kv * p.bandwidth),
                       flops[i] / (e.matvec * p.flops)) + layers[i] * e.layer_s
    if len(used) > 1 and plan.target.linked:
        seconds += RPC_HOP_S * (len(used) - 1)
    return 1 / seconds if seconds else 0.0


def prefill_tps(plan: Plan, depth: int, prompt: int) -> float:
    """Tokens/s reading a `prompt`-token batch after `depth` cached tokens."""
    prof, pre, pools = plan.prof, plan.prefix, plan.target.pools
    prompt = max(1, prompt)
    ubatch = min(prompt, plan.s.n_ubatch)
    chunks = -(-prompt // ubatch)
    # Share of a MoE's experts that one physical batch touches (each token picks k of n).
    touched = (1 - (1 - prof.n_expert_used / prof.n_expert) ** ubatch) if prof.n_expert else 1.0
    cells = depth + prompt / 2           # a batch token sees the depth and half the batch
    window = min(cells, prof.n_swa) if prof.n_swa else cells
    seconds = 0.0
    for pool, lo, hi, _ in plan.ranges:
        e, p = efficiency(pools[pool]), pools[pool]
        experts = pre["expert_bytes"][hi] - pre["expert_bytes"][lo]
        read = chunks * (pre["bytes"][hi] - pre["bytes"][lo] - experts + experts * touched)
        expert_flops = 2 * (pre["expert_params"][hi] - pre["expert_params"][lo])
        dense_flops = 2 * (pre["params"][hi] - pre["params"][lo]) - expert_flops
        seconds += (read / prompt / (e.weights * p.bandwidth)
                    + dense_flops / (e.dense * p.flops)
                    + expert_flops / (e.experts * p.flops)
                    + _attention_flops(plan, lo, hi, cells, window)
                    / (e.attention_at(prof.head_dim_k) * p.flops))
    # The output matrix runs once per prompt (llama.cpp computes the last token's logits).
    out, e = pools[plan.out_pool], efficiency(pools[plan.out_pool])
    seconds += (2 * prof.output_active_params / (e.dense * out.flops)
                + prof.output_bytes / (e.weights * out.bandwidth)) / prompt
    return 1 / seconds if seconds else 0.0
