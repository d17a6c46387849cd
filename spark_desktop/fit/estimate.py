"""Will this model fit, and how fast will it run? One estimate in well under 1 ms.

Placement follows llama.cpp: with n_gpu_layers = g, the last g of the n_layer+1
"layers" (the output layer counts as the last) go to the GPU devices, split in
proportion to their free memory; token embeddings stay in host memory; each
layer's KV cache lives with its layer; every device holding layers reserves its
own compute buffer, and the CPU backend a full one when it runs layers or only a
small staging buffer (2 n_embd rows per batch token, llama.cpp's CUDA_Host compute
buffer) when all are offloaded; the output buffer and the app's overhead are host
memory. With tied embeddings and the output on a GPU, llama.cpp copies token_embd
to that GPU, so it is counted twice (on unified memory both copies share the pool). On unified memory (DGX Spark) host and GPU are
one pool; two Sparks over RPC are two pools, each with its layers, their KV and
its own compute buffer and CUDA context.

The verdict is one-sided: FITS only when every pool keeps a safety margin of
SAFETY_FRACTION of its size plus SAFETY_BYTES free after the estimate. The
estimate's own error against llama.cpp is within 2 % (tests/test_fit_accuracy.py),
so a load judged FITS does not fail for want of memory the estimate forgot.

Speed. Decode: each pool holding layers spends, per token, the larger of
  - the bandwidth-bound time: the bytes one token reads there (its layers' weights,
    only the active experts of a MoE, the output matrix — token_embd when tied —
    and the KV cache up to the depth) / (DECODE_EFFICIENCY x the pool's bandwidth);
  - the compute-bound time: 2 FLOPs per active parameter (output matrix included)
    plus attention over the depth, / (MATVEC_EFFICIENCY x the pool's peak FLOP/s);
summed over pools, plus DECODE_FIXED_S (graph launch, sampling over the vocabulary,
the worker's streaming) and RPC_HOP_S per extra node.
  DECODE_EFFICIENCY 0.7: llama.cpp's token generation reaches 60-80 % of peak memory
bandwidth on GPUs and on GB10 (published llama-bench runs on DGX Spark: Llama 3.1 8B
Q4_K_M ≈ 38 t/s from a 4.9 GB file at 273 GB/s ≈ 0.7); used for CPUs too, where
big models are bandwidth-bound (70B Q4 on dual-channel DDR5 ≈ 1 t/s is reported).
  MATVEC_EFFICIENCY 0.09: a quantized matrix-vector product dequantizes every weight
block for one row of activations, with no reuse, so a CPU reaches a small share of
its FMA peak (hardware.bandwidth.cpu_flops: cores x 32 FLOPs/cycle x 3 GHz for
AVX2+FMA or NEON). Measured with benchmarks/speed_prediction.py on the project's
machine (AMD EPYC, 2 vCPUs, AVX2+FMA, no AVX-512/AMX; llama-cpp-python 0.3.36 via
the engine worker; Gemma 3 270M Q4_K_M: 100 M layer parameters in Q4_K/Q6_K plus a
tied 168 M-parameter Q8_0 output matrix, ≈ 560 MFLOP per token at depth 313). The
machine is shared (load average 1.6-7 on 2 cores), so the figures spread widely:
1 thread 24-28 t/s when quieter (≈ 15 GFLOP/s ≈ 0.16 of one core's 96 GFLOP/s peak),
12-16 t/s under load; 2 threads, the engine's default, 13-45 t/s, median of runs
23-37 (≈ 0.07-0.11 of two cores' peak): llama.cpp's threads spin-wait for each other and
lose whenever another process takes a core. We take 0.09, the default-thread figure
of this machine, as the app runs with one thread per physical core; on a machine the
model has to itself this is pessimistic (up to ~1.7x by the 1-thread figure). A small
model on a CPU is therefore compute-bound (the test model on 2 cores: ≈ 6 ms of
reading vs ≈ 32 ms of compute per token), a big one bandwidth-bound (70B Q4 on
60 GB/s memory needs ~17 cores before compute stops binding). On a GPU the
compute-bound time is negligible (GB10, 8B model: ≈ 1.8 ms against ≈ 25 ms of
reading; the 8B prediction there stays ≈ 39 t/s).
  Prefill is compute-bound: 2 FLOPs per active layer parameter per prompt token plus
attention over half the prompt on average; the output matrix runs once per prompt
(the engine asks for the last token's logits only), at PREFILL_EFFICIENCY 0.3 of the
pool's peak: DGX Spark runs of gpt-oss-20b prefill ≈ 3,600 t/s at 3.6 B active
parameters ≈ 26 TFLOP/s of ~100; on the CPU above a 249-token prompt (≈ 200 MFLOP
per token) prefilled at 183-224 t/s with 1 thread when quieter (≈ 0.4 of peak),
96-131 under load (≈ 0.25), and at 240-380 t/s with 2 threads when quieter
(0.25-0.4; 45-140 under load), so one factor serves both.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from spark_desktop.fit import memory
from spark_desktop.fit.memory import CTX_PAD
from spark_desktop.fit.profile import ModelProfile, profile
from spark_desktop.gguf.spec import ModelSpec
from spark_desktop.hardware.targets import Target
from spark_desktop.inference_settings import LoadSettings

MIB = 1024 * 1024
GIB = 1024 * MIB
SAFETY_FRACTION = 0.03
SAFETY_BYTES = 256 * MIB
#: The engine's worker process: Python, llama-cpp-python and llama.cpp's libraries,
#: tokenizer tables and graph metadata. (The engine drives llama.cpp through the
#: low-level API, so there is no Llama() object and no n_batch x n_vocab scores array.)
WORKER_PROCESS_BYTES = 192 * MIB
#: CUDA context, cuBLAS workspace and kernels on each GPU (or GB10 node) in use.
CUDA_CONTEXT_BYTES = 512 * MIB
DECODE_EFFICIENCY = 0.7
PREFILL_EFFICIENCY = 0.3
MATVEC_EFFICIENCY = 0.09
RPC_HOP_S = 0.0005
#: Per-token time that does not scale with bytes: graph launch, sampling, Python.
DECODE_FIXED_S = 0.002
#: The smallest context a reduced-context verdict may offer.
MIN_USEFUL_CONTEXT = 2048


class Verdict(enum.Enum):
    FITS = "fits"
    FITS_REDUCED = "fits_reduced"
    DOES_NOT_FIT = "does_not_fit"


@dataclass(frozen=True)
class PoolUse:
    """What one pool must hold, next to what it offers."""

    name: str
    available: int
    weights: int
    kv_cache: int
    compute: int
    output: int
    overhead: int

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.compute + self.output + self.overhead

    @property
    def limit(self) -> int:
        """The most this pool may hold and still keep the safety margin."""
        return int(self.available * (1 - SAFETY_FRACTION)) - SAFETY_BYTES

    @property
    def fits(self) -> bool:
        return self.total <= self.limit


@dataclass(frozen=True)
class FitEstimate:
    model: str
    architecture: str
    parameters: int
    quantization: str
    settings: LoadSettings           # as llama.cpp will run (after effective())
    notes: tuple[str, ...]
    weights: int
    kv_cache: int
    compute: int
    output: int
    overhead: int
    pools: tuple[PoolUse, ...]
    target: str
    pool_size: int                   # usable bytes of the first pool
    bandwidth: float                 # bytes/s of the first pool
    verdict: Verdict
    reason: str
    max_context: int                 # largest context that fits with the other settings (0: none)
    suggestion: LoadSettings | None  # the reduced settings that fit, for FITS_REDUCED
    decode_tps: float
    prefill_tps: float

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.compute + self.output + self.overhead

    def to_dict(self) -> dict[str, object]:
        """The `spark-desktop fit --json` object (sizes in bytes)."""
        return {
            "model": self.model, "architecture": self.architecture,
            "parameters": self.parameters, "quantization": self.quantization,
            "context": self.settings.n_ctx, "kv_type": self.settings.type_v,
            "gpu_layers": self.settings.n_gpu_layers,
            "memory": {"weights": self.weights, "kv_cache": self.kv_cache,
                       "compute": self.compute, "output": self.output,
                       "overhead": self.overhead, "total": self.total},
            "target": {"name": self.target, "pool": self.pool_size, "bandwidth": self.bandwidth},
            "fits": self.verdict.value, "max_context": self.max_context,
            "predicted": {"decode_tps": round(self.decode_tps, 1),
                          "prefill_tps": round(self.prefill_tps, 1)},
            "settings": self.settings.echo(),
        }


def _offload_pools(target: Target) -> list[int]:
    return [i for i, p in enumerate(target.pools) if p.kind in ("gpu", "unified")]


def _host_pool(target: Target) -> int:
    for i, p in enumerate(target.pools):
        if p.kind == "host":
            return i
    return 0


def _layer_ranges(prof: ModelProfile, s: LoadSettings, target: Target
                  ) -> tuple[list[tuple[int, int, int, bool]], int, bool]:
    """(pool, first layer, end layer, on a GPU device) ranges of the repeating layers,
    and the output layer's pool and whether it is on a device, by llama.cpp's rule
    (llama_model::load_tensors: with g = n_gpu_layers the last g of the n_layer + 1
    layers are offloaded, layer il to the first device whose cumulative share of free
    memory exceeds (il - i_gpu_start) / g)."""
    n = prof.n_layer
    host = _host_pool(target)
    devices = _offload_pools(target)
    g = n + 1 if s.n_gpu_layers < 0 else min(s.n_gpu_layers, n + 1)
    if not devices or g == 0:
        return [(host, 0, n, False)], host, False
    start = n + 1 - g
    # llama.cpp splits by free memory, or by the shares the person set (tensor_split)
    shares = (list(s.tensor_split) if len(s.tensor_split) == len(devices)
              else [target.pools[i].bytes for i in devices])
    total = sum(shares) or 1
    ranges = [(host, 0, start, False)] if start > 0 else []
    lo, acc, out_pool = start, 0, devices[-1]
    for k, dev in enumerate(devices):
        acc += shares[k]
        # il belongs here while il - start < share * g, i.e. il < start + share * g
        end = n + 1 if k == len(devices) - 1 else min(n + 1, -int(-(start + acc / total * g)))
        if end > lo:
            ranges.append((dev, lo, min(end, n), True))
            if end > n:
                out_pool = dev
        lo = max(lo, end)
    return [r for r in ranges if r[2] > r[1]], out_pool, True


def _prefix(prof: ModelProfile, s: LoadSettings) -> dict[str, list[int]]:
    """Prefix sums over layers, so any range of layers costs two lookups."""
    key = ("prefix", s.type_k, s.type_v, s.uses_flash_attn)
    cached = prof.memo.get(key)
    if cached is None:
        rows = memory.kv_rows(prof, s)
        series = {
            "bytes": prof.layer_bytes, "active": prof.layer_active_bytes,
            "params": prof.layer_active_params,
            "full": [0 if w else r for r, w in zip(rows, prof.swa)],
            "swa": [r if w else 0 for r, w in zip(rows, prof.swa)],
            "recurrent": [int(x) for x in prof.recurrent],
            "full_n": [int(bool(r) and not w) for r, w in zip(rows, prof.swa)],
            "swa_n": [int(bool(r) and w) for r, w in zip(rows, prof.swa)],
        }
        cached = {}
        for name, values in series.items():
            acc, out = 0, [0]
            for v in values:
                acc += v
                out.append(acc)
            cached[name] = out
        prof.memo[key] = cached
    return cached


class _Plan:
    """Where everything goes for fixed settings except the context length.

    Built once per estimate; `uses(n_ctx)` is then a few multiplications per pool,
    so the binary search for the largest context stays cheap.
    """

    def __init__(self, prof: ModelProfile, s: LoadSettings, target: Target) -> None:
        self.prof, self.s, self.target = prof, s, target
        n_pools = len(target.pools)
        self.weights = [0] * n_pools
        self.full_rows = [0] * n_pools     # KV bytes per cell of full-attention layers
        self.swa_rows = [0] * n_pools      # ... of sliding-window layers
        self.fixed_kv = [0] * n_pools      # recurrent state (context-independent)
        self.fixed = [0] * n_pools         # CUDA contexts, mmap copies
        self.host = host = _host_pool(target)
        self.ranges, out_pool, out_on_device = _layer_ranges(prof, s, target)
        self.out_pool = out_pool
        pre = self.prefix = _prefix(prof, s)
        state = prof.rs_values * memory.F32 * max(1, s.n_seq)
        device_weights = [0] * n_pools
        for pool, lo, hi, on_device in self.ranges:
            layer_bytes = pre["bytes"][hi] - pre["bytes"][lo]
            self.weights[pool] += layer_bytes
            if on_device:
                device_weights[pool] += layer_bytes
            self.full_rows[pool] += pre["full"][hi] - pre["full"][lo]
            self.swa_rows[pool] += pre["swa"][hi] - pre["swa"][lo]
            self.fixed_kv[pool] += (pre["recurrent"][hi] - pre["recurrent"][lo]) * state
        self.weights[host] += prof.embd_bytes + prof.other_bytes
        self.weights[out_pool] += prof.output_bytes
        if out_on_device:
            device_weights[out_pool] += prof.output_bytes
            if prof.tied_output:
                # llama.cpp copies token_embd to the output device (the host keeps its own).
                self.weights[out_pool] += prof.embd_bytes
                device_weights[out_pool] += prof.embd_bytes
        # Each GPU (or node) in use: its own compute buffer and CUDA context.
        self.device_pools = {r[0] for r in self.ranges if r[3]} | (
            {out_pool} if out_on_device else set())
        # The CPU backend needs a full compute buffer when it runs layers (or the output);
        # otherwise only a small staging buffer for the token embeddings.
        self.cpu_runs_layers = not out_on_device or any(not r[3] for r in self.ranges)
        for pool in self.device_pools:
            self.fixed[pool] += CUDA_CONTEXT_BYTES
            if s.use_mmap and target.unified:
                # mmap keeps the file in the page cache next to the device copy.
                self.fixed[host] += device_weights[pool]

    def uses(self, n_ctx: int) -> tuple[PoolUse, ...]:
        prof, target, s = self.prof, self.target, self.s
        full, swa = memory.kv_cells(prof, s, n_ctx)
        full_compute = memory.compute_bytes(prof, s, n_ctx)
        out = []
        for i, p in enumerate(target.pools):
            kv = (self.full_rows[i] * full + self.swa_rows[i] * swa) * s.n_seq + self.fixed_kv[i]
            compute = full_compute if i in self.device_pools else 0
            output = overhead = 0
            if i == self.host:
                compute += (full_compute if self.cpu_runs_layers
                            else 2 * prof.n_embd * memory.F32 * s.n_ubatch)
                output = memory.output_bytes(prof, s)
                overhead = WORKER_PROCESS_BYTES
            out.append(PoolUse(p.name, p.bytes, self.weights[i], kv, compute, output,
                               overhead + self.fixed[i]))
        return tuple(out)

    def fits(self, n_ctx: int) -> bool:
        return all(u.fits for u in self.uses(n_ctx))


def _fits(prof: ModelProfile, s: LoadSettings, target: Target) -> bool:
    return _Plan(prof, s, target).fits(s.n_ctx)


def _max_context(plan: _Plan, ceiling: int) -> int:
    """Largest n_ctx (a multiple of 256, at most `ceiling`) that fits; 0 if none."""
    lo, hi = 0, max(1, ceiling // CTX_PAD)
    if plan.fits(ceiling):
        return ceiling
    while lo < hi - 1:
        mid = (lo + hi) // 2
        if plan.fits(mid * CTX_PAD):
            lo = mid
        else:
            hi = mid
    return lo * CTX_PAD


def _max_gpu_layers(prof: ModelProfile, s: LoadSettings, target: Target) -> int:
    """Most layers on the GPU(s) that fit; -1 if even none does."""
    lo, hi = -1, prof.n_layer + 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _fits(prof, replace(s, n_gpu_layers=mid), target):
            lo = mid
        else:
            hi = mid - 1
    return lo


def _attention_flops(prof: ModelProfile, pre: dict[str, list[int]], lo: int, hi: int,
                     cells: float, swa_cells: float) -> float:
    """FLOPs of one token's attention (Q·K and the weighted sum of V) over `cells` cached
    tokens in full-attention layers lo..hi and `swa_cells` in sliding-window ones."""
    per_cell = 2 * prof.n_head_max * (prof.head_dim_k + prof.head_dim_v)
    return per_cell * ((pre["full_n"][hi] - pre["full_n"][lo]) * cells
                       + (pre["swa_n"][hi] - pre["swa_n"][lo]) * swa_cells)


def _speed(plan: _Plan, depth: int) -> tuple[float, float]:
    """(decode, prefill) tokens/s: decode at `depth` cached tokens, prefill of a prompt
    of `depth` tokens (see the module text for the model and its efficiencies)."""
    prof, s, target, pre = plan.prof, plan.s, plan.target, plan.prefix
    n_pools = len(target.pools)
    read = [0.0] * n_pools
    decode_flops = [0.0] * n_pools
    prefill_flops = [0.0] * n_pools
    n_swa = memory.kv_cells(prof, s)[1]
    swa_depth = min(depth, n_swa)
    state_rw = 2 * prof.rs_values * memory.F32  # recurrent state read and written back
    for pool, lo, hi, _ in plan.ranges:
        read[pool] += (pre["active"][hi] - pre["active"][lo]
                       + (pre["full"][hi] - pre["full"][lo]) * depth
                       + (pre["swa"][hi] - pre["swa"][lo]) * swa_depth
                       + (pre["recurrent"][hi] - pre["recurrent"][lo]) * state_rw)
        weights = 2 * (pre["params"][hi] - pre["params"][lo])
        decode_flops[pool] += weights + _attention_flops(prof, pre, lo, hi, depth, swa_depth)
        # A prompt token attends to half the prompt on average.
        prefill_flops[pool] += weights + _attention_flops(
            prof, pre, lo, hi, depth / 2, min(depth / 2, n_swa))
    # The output matrix (token_embd when tied): every decoded token reads it; a prompt
    # computes logits only for its last token (llama_batch_get_one).
    read[plan.out_pool] += prof.output_bytes + (prof.embd_bytes if prof.tied_output else 0)
    decode_flops[plan.out_pool] += 2 * prof.output_active_params
    prefill_flops[plan.out_pool] += 2 * prof.output_active_params / max(1, depth)
    used = [i for i in range(n_pools) if read[i]]
    pools = target.pools
    decode_s = DECODE_FIXED_S + sum(
        max(read[i] / (DECODE_EFFICIENCY * pools[i].bandwidth),
            decode_flops[i] / (MATVEC_EFFICIENCY * pools[i].flops)) for i in used)
    decode_s += RPC_HOP_S * (len(used) - 1) if target.linked else 0
    prefill_s = sum(prefill_flops[i] / (PREFILL_EFFICIENCY * pools[i].flops) for i in used)
    return (1 / decode_s if decode_s else 0.0), (1 / prefill_s if prefill_s else 0.0)


def _gib(n: int) -> str:
    return f"{n / GIB:.1f} GiB"


def estimate(spec: ModelSpec, settings: LoadSettings, target: Target,
             depth: int | None = None) -> FitEstimate:
    """Memory, verdict and speed of loading `spec` with `settings` on `target`.

    depth: how many tokens of context the decode speed assumes, and the prompt length the
    prefill speed assumes (default: half the context).
    """
    prof = profile(spec)
    s, notes = settings.effective()
    if s.use_mmap is None:
        s = replace(s, use_mmap=not target.unified)  # the engine's default_use_mmap()
    plan = _Plan(prof, s, target)
    uses = plan.uses(s.n_ctx)
    # Up to the trained context (or the asked one, if larger: llama.cpp allows it).
    ceiling = max(spec.context_length, s.n_ctx)
    max_ctx = _max_context(plan, ceiling)
    suggestion: LoadSettings | None = None
    if all(u.fits for u in uses):
        verdict = Verdict.FITS
        reason = (f"needs {_gib(sum(u.total for u in uses))} of "
                  f"{_gib(sum(u.available for u in uses))} with a safety margin to spare")
    else:
        tight = max(uses, key=lambda u: u.total - u.limit)
        short = (f"needs {_gib(tight.total)} in {tight.name} but it offers "
                 f"{_gib(tight.available)} ({_gib(tight.limit)} after the safety margin)")
        layers = _max_gpu_layers(prof, s, target) if any(
            p.kind == "gpu" for p in target.pools) and s.n_gpu_layers != 0 else -1
        if max_ctx >= min(MIN_USEFUL_CONTEXT, s.n_ctx):
            verdict = Verdict.FITS_REDUCED
            suggestion = replace(s, n_ctx=max_ctx)
            reason = f"{short}; fits with a context of {max_ctx} tokens"
        elif layers >= 0:
            verdict = Verdict.FITS_REDUCED
            suggestion = replace(s, n_gpu_layers=layers)
            reason = (f"{short}; fits with {layers} of {prof.n_layer + 1} layers on the GPU "
                      "(the rest runs on the CPU, slower)")
        else:
            verdict = Verdict.DOES_NOT_FIT
            reason = short
    decode, prefill = _speed(plan, depth if depth is not None else s.n_ctx // 2)
    first = target.pools[0]
    return FitEstimate(
        model=spec.name, architecture=spec.architecture, parameters=spec.parameters,
        quantization=spec.quantization, settings=s, notes=notes,
        weights=sum(u.weights for u in uses), kv_cache=sum(u.kv_cache for u in uses),
        compute=sum(u.compute for u in uses), output=sum(u.output for u in uses),
        overhead=sum(u.overhead for u in uses), pools=uses, target=target.name,
        pool_size=first.bytes, bandwidth=first.bandwidth, verdict=verdict, reason=reason,
        max_context=max_ctx, suggestion=suggestion, decode_tps=decode, prefill_tps=prefill)
