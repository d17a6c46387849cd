"""`spark-desktop fit MODEL`: will it fit, and how fast will it run? (`--confirm`: and
what does llama.cpp itself plan for it?)"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from spark_desktop.errors import SparkError

if TYPE_CHECKING:
    from spark_desktop.engine.memory_report import MemoryReport
    from spark_desktop.fit import FitEstimate
    from spark_desktop.fit.estimate import PoolUse
    from spark_desktop.fit.measured import MeasuredRun
    from spark_desktop.fit.speed import Correction
    from spark_desktop.gguf.spec import ModelSpec
    from spark_desktop.hardware.probe import Machine
    from spark_desktop.hardware.targets import Target
    from spark_desktop.hub import Variant
    from spark_desktop.inference_settings import LoadSettings


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the `fit` sub-command."""
    p = subparsers.add_parser(
        "fit", parents=[common], help="estimate memory and speed of a model before loading it",
        description="Estimate whether MODEL fits the target's memory and how fast it runs.")
    p.add_argument("model", metavar="MODEL",
                   help="a local GGUF file (any part of a split model) or org/repo:QUANT")
    p.add_argument("--ctx", type=int, default=None, metavar="N",
                   help="context length in tokens (default 4096)")
    p.add_argument("--kv-type", choices=("f16", "q8_0", "q4_0"), default=None,
                   help="KV cache type (default f16)")
    p.add_argument("--gpu-layers", type=int, default=None, metavar="N",
                   help="layers on the GPU, -1 for all (default)")
    p.add_argument("--ubatch", type=int, default=None, metavar="N",
                   help="physical batch size n_ubatch (default 512)")
    p.add_argument("--parallel", type=int, default=None, metavar="N",
                   help="parallel sequences n_seq (default 1)")
    p.add_argument("--target", default="this", metavar="TARGET",
                   help="spark, spark2, this (default) or a size in GiB")
    p.add_argument("--rpc", default=None, metavar="HOST:PORT[,HOST:PORT...]",
                   help="add llama.cpp RPC peers (spark-desktop rpc-server) to the target, "
                        "each with the free memory it reports now")
    p.add_argument("--tensor-split", default=None, metavar="A,B,...",
                   help="shares of the offloaded layers per device: this machine's GPUs, "
                        "then the peers (default: by free memory)")
    p.add_argument("--confirm", action="store_true",
                   help="also have llama.cpp plan the same load without allocating it (its "
                        "no-alloc dry run on the header, in a child process; a few seconds)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--reset-measured", action="store_true",
                   help="forget the speeds measured on this machine before estimating")
    p.set_defaults(handler=_run)


def model_spec(model: str) -> ModelSpec:
    """The ModelSpec for a MODEL argument: a local GGUF path (any part of a split model),
    or `org/repo[:QUANT|:FILE]` whose header is read remotely with a few byte ranges."""
    from pathlib import Path

    from spark_desktop.gguf import read_model

    path = Path(model).expanduser()
    if path.exists():
        return read_model(path)
    from spark_desktop.hub import remote_spec

    return remote_spec(_variant(model))


def _variant(model: str) -> Variant:
    from spark_desktop.hub import find_variant, is_reference

    if is_reference(model):
        return find_variant(model)
    raise SparkError(f"{model} does not exist; give the path of a GGUF file "
                     "or a Hub repository as org/repo:QUANT.")


def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    if not args.confirm or Path(args.model).expanduser().exists():
        return _fit(args, args.model)
    # A remote model to confirm: its headers, read once, become a local sparse stub that
    # both the estimate and llama.cpp's dry run read.
    from spark_desktop.gguf import temporary_stub
    from spark_desktop.hub.remote import HttpByteSource
    from spark_desktop.hub.session import hub_errors

    variant = _variant(args.model)
    sources = [HttpByteSource(variant.repo, f.path, variant.revision, f.size)
               for f in variant.files]
    with hub_errors(variant.repo), temporary_stub(sources) as stub:
        return _fit(args, str(stub))


def _fit(args: argparse.Namespace, model: str) -> int:
    from spark_desktop.engine.peers import parse_split
    from spark_desktop.fit import estimate, measured
    from spark_desktop.hardware.probe import probe

    spec = model_spec(model)
    settings = load_settings(ctx=args.ctx, kv_type=args.kv_type, gpu_layers=args.gpu_layers,
                             ubatch=args.ubatch, parallel=args.parallel,
                             tensor_split=parse_split(args.tensor_split))
    machine = probe()
    if args.reset_measured:
        print(f"forgot {measured.reset()} measured runs", file=sys.stderr)
    runs = measured.load_runs() if learns_here(args.target, machine) and not args.rpc else None
    here, correction = learnt(spec, settings, machine, runs)
    target = planned_target(args.target, args.rpc, machine)
    result = estimate(spec, settings, target, correction=correction)
    planned = confirm(model, result.settings) if args.confirm else None
    # A plan without a GPU device cannot confirm the GPU's share of an offloaded load
    # (e.g. a Spark estimate checked on a laptop without CUDA).
    like_target = planned is None or not (
        result.settings.n_gpu_layers != 0 and any(p.kind != "host" for p in target.pools)
        and all(name == "CPU" for name in planned.devices))
    if args.json:
        data = result.to_dict()
        if planned is not None:
            data["confirmed"] = confirmed_dict(planned, like_target)
        if here or correction:
            data["measured"] = {
                "decode_tps": round(here[0], 1) if here else None,
                "prefill_tps": round(here[1], 1) if here else None,
                "runs": here[2] if here else 0,
                "correction": {"decode": round(correction.decode, 3),
                               "prefill": round(correction.prefill, 3),
                               "basis": correction.basis} if correction else None}
        if args.rpc:
            data["pools"] = [pool_dict(u) for u in result.pools]
        print(json.dumps(data))
    else:
        print(format_table(result, here) + ("" if planned is None else
                                      "\n\n" + format_confirmed(result, planned, like_target)))
    return 0


def load_settings(*, ctx: int | None = None, kv_type: str | None = None,
                  gpu_layers: int | None = None, ubatch: int | None = None,
                  parallel: int | None = None,
                  tensor_split: tuple[float, ...] = ()) -> LoadSettings:
    """The engine's default LoadSettings with the command line's choices (None: default)."""
    from dataclasses import replace

    from spark_desktop.inference_settings import LoadSettings

    changes = {"n_ctx": ctx, "type_k": kv_type, "type_v": kv_type, "n_gpu_layers": gpu_layers,
               "n_ubatch": ubatch, "n_seq": parallel, "tensor_split": tensor_split or None}
    settings = replace(LoadSettings(), **{k: v for k, v in changes.items() if v is not None})
    if ubatch is not None and ubatch > settings.n_batch:
        settings = replace(settings, n_batch=ubatch)
    return settings


def planned_target(target: str, rpc: str | None, machine: Machine) -> Target:
    """`--target` resolved on `machine`, plus the `--rpc` peers probed now."""
    from spark_desktop.engine.peers import parse_peer_list, with_peers
    from spark_desktop.hardware import resolve_target

    resolved = resolve_target(target, machine)
    return with_peers(resolved, parse_peer_list(rpc)) if rpc else resolved


def learnt(spec: ModelSpec, settings: LoadSettings, machine: Machine,
           runs: list[MeasuredRun] | None
           ) -> tuple[tuple[float, float, int] | None, Correction | None]:
    """What the runs measured here say of `spec`: (decode, prefill, replies) measured, and
    the correction of the prediction (both None without runs: another target)."""
    from spark_desktop.fit import measured

    if runs is None:
        return None, None
    key = measured.machine_key(machine)
    return (measured.measured_here(runs, spec, key), measured.correction(
        runs, spec, key, measured.backend_of(settings.n_gpu_layers, machine)))


def pool_dict(use: PoolUse) -> dict[str, object]:
    """One node of `fit --json --rpc`'s `pools` (bytes)."""
    return {"name": use.name, "available": use.available, "weights": use.weights,
            "kv_cache": use.kv_cache, "compute": use.compute, "output": use.output,
            "overhead": use.overhead, "total": use.total, "fits": use.fits}


def confirm(path: str, settings: LoadSettings) -> MemoryReport:
    """llama.cpp's own plan for loading the local GGUF `path` with `settings` (its no-alloc
    dry run, in a child process); a split model is opened by its first part, as llama.cpp
    wants, whichever part `path` names."""
    from pathlib import Path

    from spark_desktop.engine.dryrun import simulate_load
    from spark_desktop.gguf import split_part_names

    model = Path(path).expanduser()
    return simulate_load(model.with_name(split_part_names(model.name)[0]), settings)


def confirmed_dict(report: MemoryReport, like_target: bool = True) -> dict[str, object]:
    """The `confirmed` object of `fit --json --confirm` (bytes, as llama.cpp planned them).

    `like_target` is False when llama.cpp here planned on other devices than the target's."""
    return {"weights": report.weights, "kv_cache": report.kv_cache,
            "compute": report.compute, "output": report.output, "total": report.total,
            "devices": {name: dev.total for name, dev in report.devices.items()},
            "like_target": like_target}


def format_confirmed(e: FitEstimate, report: MemoryReport, like_target: bool = True) -> str:
    """llama.cpp's figures beside the estimate's (which adds runtime overhead on top)."""
    devices = ", ".join(sorted(report.devices)) or "CPU"
    lines = [f"confirmed by llama.cpp (no-alloc dry run with this machine's build: {devices})"]
    for label, ours, theirs in (("weights", e.weights, report.weights),
                                ("KV cache", e.kv_cache, report.kv_cache),
                                ("compute", e.compute, report.compute),
                                ("output", e.output, report.output)):
        lines.append(f"  {label:<10}{_size(theirs):>12}{_difference(ours, theirs)}")
    planned = e.weights + e.kv_cache + e.compute + e.output
    lines.append(f"  {'total':<10}{_size(report.total):>12}{_difference(planned, report.total)}")
    if e.weights > report.weights and e.settings.use_mmap is not False:
        lines.append(f"note: llama.cpp plans without mmap; a mapped load also keeps "
                     f"{_size(e.weights - report.weights)} of repacked CPU copies beside the "
                     "file (counted in the estimate's weights).")
    if not like_target:
        lines.append(f"note: llama.cpp here has no GPU device, so it planned the load on the "
                     f"CPU; on {e.target} the GPU's share (compute buffers, the output weights' "
                     "copy) can differ. Run --confirm on the target, or use --gpu-layers 0.")
    return "\n".join(lines)


def _difference(ours: int, theirs: int) -> str:
    if theirs == 0:
        return "" if ours == 0 else f"   (estimate {_size(ours)})"
    return f"   (estimate {100 * (ours - theirs) / theirs:+.1f} %)"


def learns_here(target: str, machine: Machine) -> bool:
    """Runs measured here apply to this machine, and to "spark" when this is one."""
    key = target.strip().lower()
    return key == "this" or (key == "spark" and any("GB10" in g.name for g in machine.gpus))


def _size(n: float) -> str:
    for unit, scale in (("GiB", 1024 ** 3), ("MiB", 1024 ** 2), ("KiB", 1024)):
        if n >= scale:
            return f"{n / scale:.2f} {unit}"
    return f"{n:.0f} B"


def format_table(e: FitEstimate, here: tuple[float, float, int] | None = None) -> str:
    """A short human table of one estimate."""
    s = e.settings
    kv = s.type_k if s.type_k == s.type_v else f"{s.type_k}/{s.type_v}"
    lines = [
        f"{e.model}  ({e.architecture}, {e.parameters / 1e9:.2f} B parameters, {e.quantization})",
        (f"context {s.n_ctx}, KV {kv}, GPU layers {s.n_gpu_layers}, "
         f"ubatch {s.n_ubatch}, parallel {s.n_seq}, flash attention {s.flash_attn}"),
        "",
        f"  {'weights':<10}{_size(e.weights):>12}",
        f"  {'KV cache':<10}{_size(e.kv_cache):>12}",
        f"  {'compute':<10}{_size(e.compute):>12}",
        f"  {'output':<10}{_size(e.output):>12}",
        f"  {'overhead':<10}{_size(e.overhead):>12}",
        f"  {'total':<10}{_size(e.total):>12}",
        "",
    ]
    for u in e.pools:
        lines.append(f"  {u.name}: {_size(u.total)} of {_size(u.available)}"
                     f"{'' if u.fits else '  (too much)'}")
    verdict = {"fits": "FITS", "fits_reduced": "FITS WITH CHANGES",
               "does_not_fit": "DOES NOT FIT"}[e.verdict.value]
    lines += [
        "",
        f"{verdict} on {e.target}: {e.reason}",
        f"largest context that fits: {e.max_context}",
        (f"predicted: {e.decode_tps:.1f} tokens/s generating, "
         f"{e.prefill_tps:.0f} tokens/s reading the prompt"),
    ]
    if here:
        lines.append(f"measured here: {here[0]:.1f} tokens/s generating, {here[1]:.0f} "
                     f"reading the prompt (median of {here[2]} replies)")
    if e.correction:
        lines.append(f"prediction {e.correction.basis}")
    if e.by_depth:
        lines.append("generating at depth: " + ", ".join(
            f"{d.depth // 1024}k {d.decode_tps:.1f}" if d.depth else f"0 {d.decode_tps:.1f}"
            for d in e.by_depth) + " tokens/s")
    lines += [f"note: {n}" for n in e.notes]
    return "\n".join(lines)
