"""Will this model fit, and how fast will it run? One estimate in well under 1 ms.

Placement follows llama.cpp: with n_gpu_layers = g, the last g of the n_layer+1
"layers" (the output layer counts as the last) go to the GPU devices, split in
proportion to their free memory; token embeddings stay in host memory; each
layer's KV cache lives with its layer; every device holding layers reserves its
own compute buffer, and the CPU backend a full one when it runs layers or only a
small staging buffer (2 n_embd rows per batch token, llama.cpp's CUDA_Host compute
buffer) when all are offloaded; the output buffer and the app's overhead are host
memory. With tied embeddings and the output on a GPU, llama.cpp copies token_embd
to that GPU (on unified memory both copies share the pool). On unified memory (DGX
Spark) host and GPU are one pool; two Sparks over RPC are two pools, each with its
layers, their KV, its own compute buffer and CUDA context.

The verdict is one-sided: FITS only when every pool keeps SAFETY_FRACTION of its size
plus SAFETY_BYTES free; the memory estimate is within 2 % of llama.cpp's own
(tests/test_fit_accuracy.py). Speed: fit.speed; its calibration: benchmarks/README.md.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace

from spark_desktop.fit import memory, speed
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
#: Depths the speed table of `fit --json` and the load dialog's chart give.
SPEED_DEPTHS = (0, 4096, 8192, 16384, 32768)
#: The smallest context a reduced-context verdict may offer.
MIN_USEFUL_CONTEXT = 2048


@dataclass(frozen=True)
class DepthSpeed:
    """Predicted speed with `depth` tokens already in the context."""

    depth: int
    decode_tps: float
    prefill_tps: float    # of a batch of up to n_batch prompt tokens after the depth


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
    by_depth: tuple[DepthSpeed, ...] = ()
    correction: speed.Correction | None = None  # applied from runs on this machine

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
                          "prefill_tps": round(self.prefill_tps, 1),
                          "by_depth": [{"depth": d.depth, "decode_tps": round(d.decode_tps, 1),
                                        "prefill_tps": round(d.prefill_tps, 1)}
                                       for d in self.by_depth]},
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
            "expert_bytes": prof.expert_bytes, "expert_params": prof.layer_expert_params,
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
        self._add_repacked(out_on_device)
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

    def _add_repacked(self, out_on_device: bool) -> None:
        """With mmap, the CPU backend's repacked copies (fit.repack) sit beside the mapped
        file: count them where the CPU runs layers (or the output)."""
        s, target = self.s, self.target
        mmap = s.use_mmap if s.use_mmap is not None else not target.unified
        if not (mmap and s.use_extra_bufts and target.repack_isa):
            return
        prefix, output = memory.repacked_layer_bytes(self.prof, target.repack_isa)
        for pool, lo, hi, on_device in self.ranges:
            if not on_device:
                self.weights[pool] += prefix[hi] - prefix[lo]
        if not out_on_device:
            self.weights[self.out_pool] += output

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


def _gib(n: int) -> str:
    return f"{n / GIB:.1f} GiB"


def estimate(spec: ModelSpec, settings: LoadSettings, target: Target,
             depth: int | None = None, prompt: int | None = None,
             correction: speed.Correction | None = None) -> FitEstimate:
    """Memory, verdict and speed of loading `spec` with `settings` on `target`.

    depth: tokens already in the context when decoding and when the prompt is read
    (default: half the context); prompt: the batch of prompt tokens read at that depth
    (default: n_batch, at most what the context has left). correction: factors learnt
    from runs on this machine (fit.measured), applied to every speed.
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
    depth = s.n_ctx // 2 if depth is None else depth
    fix = correction or speed.Correction()
    decode = speed.decode_tps(plan, depth) * fix.decode
    prefill = speed.prefill_tps(plan, depth, _prompt(s, depth, prompt)) * fix.prefill
    by_depth = _speeds(plan, [d for d in SPEED_DEPTHS if d < s.n_ctx], fix)
    first = target.pools[0]
    return FitEstimate(
        model=spec.name, architecture=spec.architecture, parameters=spec.parameters,
        quantization=spec.quantization, settings=s, notes=notes,
        weights=sum(u.weights for u in uses), kv_cache=sum(u.kv_cache for u in uses),
        compute=sum(u.compute for u in uses), output=sum(u.output for u in uses),
        overhead=sum(u.overhead for u in uses), pools=uses, target=target.name,
        pool_size=first.bytes, bandwidth=first.bandwidth, verdict=verdict, reason=reason,
        max_context=max_ctx, suggestion=suggestion, decode_tps=decode, prefill_tps=prefill,
        by_depth=by_depth, correction=correction)


def speeds_at(spec: ModelSpec, settings: LoadSettings, target: Target, depths: list[int],
              correction: speed.Correction | None = None) -> tuple[DepthSpeed, ...]:
    """Decode and prefill at each depth without the rest of an estimate (a chart's points)."""
    s, _ = settings.effective()
    if s.use_mmap is None:
        s = replace(s, use_mmap=not target.unified)
    return _speeds(_Plan(profile(spec), s, target), depths, correction or speed.Correction())


def _speeds(plan: _Plan, depths: list[int], fix: speed.Correction) -> tuple[DepthSpeed, ...]:
    return tuple(DepthSpeed(d, speed.decode_tps(plan, d) * fix.decode,
                            speed.prefill_tps(plan, d, _prompt(plan.s, d, None)) * fix.prefill)
                 for d in depths)


def _prompt(s: LoadSettings, depth: int, prompt: int | None) -> int:
    """The prompt batch at `depth`: as asked, else n_batch within what the context has left."""
    return prompt if prompt is not None else max(1, min(s.n_batch, s.n_ctx - depth))
