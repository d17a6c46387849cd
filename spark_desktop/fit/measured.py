"""Speeds measured on this machine, so predictions learn from real runs.

Every finished reply records its decode and prefill tokens/s as one JSON line
(paths.measured_runs_path()), with the model, its quantization, the settings, the
depth, the backend and the machine, and what the estimator predicted for that very
run without any correction. The ratio measured / predicted is how far this machine
is from the shares fit.speed assumes; `correction()` turns the runs into factors on
the predicted speeds:

- runs of the same model (name and quantization) on the same machine and backend
  count fully; without any, runs of the same family (architecture) and quantization
  count half-way (the square root of their ratio), as another model shares the kernels
  but not the shapes;
- the factor is the geometric mean of the ratios, bounded to MAX_FACTOR either way, so
  a few runs on a busy machine cannot drag a prediction anywhere;
- `reset()` (spark-desktop fit --reset-measured) forgets every run.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING

from spark_desktop import paths
from spark_desktop.errors import SparkError
from spark_desktop.fit.speed import Correction

if TYPE_CHECKING:
    from spark_desktop.engine.events import ChatDone, LoadedModel
    from spark_desktop.gguf.spec import ModelSpec
    from spark_desktop.hardware.probe import Machine

#: A learnt factor never moves a prediction by more than this, either way.
MAX_FACTOR = 1.5
#: Shorter replies or prompts say more about fixed costs than about speed: not recorded.
MIN_TOKENS = 16


@dataclass(frozen=True)
class MeasuredRun:
    """One reply's speeds, with everything that decides them."""

    file: str              # the GGUF's file name
    name: str              # the model's name (general.name)
    family: str            # architecture
    quant: str
    n_ctx: int
    depth: int             # tokens in the context half-way through the reply
    prompt: int            # prompt tokens read
    n_batch: int
    n_ubatch: int
    backend: str           # "gpu" (layers offloaded) or "cpu"
    machine: str
    decode_tps: float
    prefill_tps: float
    predicted_decode: float    # the estimator's figure for this run, uncorrected
    predicted_prefill: float   # 0 when a cached prefix was not read again (not comparable)
    when: float            # Unix time


def machine_key(machine: Machine) -> str:
    """The CPU and GPUs that decide speed, in words (memory size does not)."""
    gpus = ", ".join(g.name for g in machine.gpus)
    return f"{machine.cpu_model} ({machine.cpu_cores} cores)" + (f", {gpus}" if gpus else "")


def backend_of(gpu_layers: int, machine: Machine) -> str:
    return "gpu" if machine.gpus and gpu_layers != 0 else "cpu"


def run_from_reply(loaded: LoadedModel, done: ChatDone, machine: Machine,
                   spec: ModelSpec | None = None) -> MeasuredRun | None:
    """The run of one finished reply, or None when it is too short to say much."""
    from spark_desktop.fit.estimate import estimate
    from spark_desktop.gguf import read_model
    from spark_desktop.hardware.targets import target_for_machine

    if done.error or done.completion_tokens < MIN_TOKENS or done.prompt_tokens < MIN_TOKENS:
        return None
    path = Path(loaded.info.path)
    spec = spec or read_model(path)
    settings = loaded.options  # the resolved LoadSettings the engine ran with
    depth = done.prompt_tokens + done.completion_tokens // 2
    target = target_for_machine(machine)
    decode = estimate(spec, settings, target, depth=depth).decode_tps
    # The engine reuses the cached prefix of a conversation and reports the speed of the
    # rest only. prefill_tps x time to first output bounds the tokens it read from above:
    # well short of the prompt means a cached prefix, and no prefill figure to compare.
    whole = done.prefill_tps * done.ttft_ms / 1000 >= 0.8 * done.prompt_tokens
    prefill = estimate(spec, settings, target, depth=0,
                       prompt=done.prompt_tokens).prefill_tps if whole else 0.0
    return MeasuredRun(
        file=path.name, name=spec.name, family=spec.architecture, quant=spec.quantization,
        n_ctx=settings.n_ctx, depth=depth, prompt=done.prompt_tokens, n_batch=settings.n_batch,
        n_ubatch=settings.n_ubatch, backend=backend_of(settings.n_gpu_layers, machine),
        machine=machine_key(machine), decode_tps=done.decode_tps,
        prefill_tps=done.prefill_tps, predicted_decode=decode, predicted_prefill=prefill,
        when=time.time())


def record(run: MeasuredRun, path: Path | None = None) -> None:
    """Append one run."""
    path = path or paths.measured_runs_path()
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(run), sort_keys=True) + "\n")


def record_reply(loaded: LoadedModel, done: ChatDone) -> None:
    """Record a finished reply; a failure to do so never disturbs the chat."""
    from spark_desktop.hardware.probe import probe

    try:
        run = run_from_reply(loaded, done, probe())
        if run is not None:
            record(run)
    except (OSError, SparkError, ValueError):
        pass


def load_runs(path: Path | None = None) -> list[MeasuredRun]:
    """Every recorded run; lines that do not read as one (a torn write) are skipped."""
    path = path or paths.measured_runs_path()
    names = {f.name for f in fields(MeasuredRun)}
    runs = []
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    data = json.loads(line)
                    if isinstance(data, dict) and set(data) == names:
                        runs.append(MeasuredRun(**data))
                except ValueError:
                    continue
    except FileNotFoundError:
        return []
    return runs


def reset(path: Path | None = None) -> int:
    """Forget every run; returns how many there were."""
    path = path or paths.measured_runs_path()
    count = len(load_runs(path))
    path.unlink(missing_ok=True)
    return count


def _same_model(run: MeasuredRun, spec: ModelSpec) -> bool:
    return run.name == spec.name and run.quant == spec.quantization


def _factor(ratios: list[float], power: float) -> float:
    mean = math.exp(statistics.fmean(math.log(r) for r in ratios) * power)
    return min(MAX_FACTOR, max(1 / MAX_FACTOR, mean))


def correction(runs: list[MeasuredRun], spec: ModelSpec, machine: str,
               backend: str) -> Correction | None:
    """Factors for `spec` on `machine` with `backend` from the runs (module text), or None
    when no run applies."""
    here = [r for r in runs if r.machine == machine and r.backend == backend
            and r.predicted_decode > 0 and r.decode_tps > 0]
    same = [r for r in here if _same_model(r, spec)]
    kin = [r for r in here if r.family == spec.architecture and r.quant == spec.quantization]
    chosen, power = (same, 1.0) if same else (kin, 0.5)
    if not chosen:
        return None
    decode = _factor([r.decode_tps / r.predicted_decode for r in chosen], power)
    read = [r.prefill_tps / r.predicted_prefill for r in chosen
            if r.predicted_prefill > 0 and r.prefill_tps > 0]
    prefill = _factor(read, power) if read else 1.0
    whose = ("this model" if same else
             f"other {spec.architecture} {spec.quantization} models, counted half-way")
    basis = (f"learnt from {len(chosen)} run{'s' * (len(chosen) != 1)} of {whose} here: "
             f"decode x{decode:.2f}, prefill x{prefill:.2f} (bounded to x{MAX_FACTOR:g} "
             "either way; spark-desktop fit --reset-measured forgets them)")
    return Correction(decode, prefill, basis)


def measured_here(runs: list[MeasuredRun], spec: ModelSpec, machine: str
                  ) -> tuple[float, float, int] | None:
    """(median decode, median prefill tokens/s, number of runs) of this model here; the
    prefill median counts only runs that read their whole prompt (0 when none did)."""
    same = [r for r in runs if r.machine == machine and _same_model(r, spec)]
    if not same:
        return None
    whole = [r.prefill_tps for r in same if r.predicted_prefill > 0] or [0.0]
    return (statistics.median(r.decode_tps for r in same), statistics.median(whole), len(same))
