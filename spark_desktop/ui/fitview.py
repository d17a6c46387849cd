"""How the GUI shows a fit estimate: badge colour and words, memory segments, speeds.

The one place in ui/ that reads fit.FitEstimate and turns the load choices the GUI offers
into the LoadSettings that both the estimate and the engine take, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from spark_desktop.inference_settings import LoadSettings
from spark_desktop.ui.format import human_bytes
from spark_desktop.ui.theme import AMBER, GREEN, RED
from spark_desktop.ui.widgets import Segment

WEIGHTS, KV, COMPUTE, OTHER = "#4c8cdc", "#8e6bd8", "#e08a3c", "#7f8c8d"


@dataclass(frozen=True)
class Badge:
    level: str     # "fits", "tight", "no"
    text: str      # a few words for the table cell
    reason: str    # a sentence for the tooltip and the dialog
    colour: str


def with_choices(base: LoadSettings, *, n_ctx: int, kv_type: str, n_gpu_layers: int,
                 flash_attn: bool) -> LoadSettings:
    """`base` with what the load dialog and the settings page offer: one KV type for K
    and V, and flash attention as a box that is ticked for "auto" and "on" (ticking it
    keeps "auto" where `base` had it)."""
    mode = ("auto" if base.flash_attn == "auto" else "on") if flash_attn else "off"
    return replace(base, n_ctx=n_ctx, type_k=kv_type, type_v=kv_type,  # type: ignore[arg-type]
                   n_gpu_layers=n_gpu_layers, flash_attn=mode)


def estimate(spec: Any, chosen: LoadSettings, target: Any, learnt: Learnt | None = None) -> Any:
    """fit.estimate for these choices (pure and fast: fine on the GUI thread); `learnt` is
    a Learnt from `learnt_here`, whose correction applies."""
    from spark_desktop import fit

    fix = learnt.correction(spec, chosen.n_gpu_layers) if learnt is not None else None
    return fit.estimate(spec, chosen, target, correction=fix)


#: Points of the load dialog's speed chart, from an empty context to the whole one.
CHART_POINTS = 9


def decode_curve(spec: Any, chosen: LoadSettings, target: Any,
                 est: Any) -> list[tuple[int, float]]:
    """(depth, decode tok/s) from an empty context to the chosen one, with the estimate's
    correction."""
    from spark_desktop import fit

    depths = [round(chosen.n_ctx * i / (CHART_POINTS - 1)) for i in range(CHART_POINTS)]
    return [(d.depth, d.decode_tps) for d in fit.speeds_at(
        spec, chosen, target, depths, est.correction)]


@dataclass(frozen=True)
class Learnt:
    """The runs measured on this machine, read once per dialog."""

    runs: tuple[Any, ...]
    machine: Any

    def correction(self, spec: Any, gpu_layers: int) -> Any:
        from spark_desktop.fit import measured

        return measured.correction(list(self.runs), spec, measured.machine_key(self.machine),
                                   measured.backend_of(gpu_layers, self.machine))

    def here(self, spec: Any) -> tuple[float, float, int] | None:
        from spark_desktop.fit import measured

        return measured.measured_here(list(self.runs), spec,
                                      measured.machine_key(self.machine))


def learnt_here(target: Any) -> Learnt | None:
    """Runs measured here, when the target is this machine and some were recorded (a small
    file read and a machine probe: a few milliseconds, once per dialog)."""
    from spark_desktop.fit import measured
    from spark_desktop.hardware.probe import probe

    if target.name != "this":
        return None
    runs = measured.load_runs()
    return Learnt(tuple(runs), probe()) if runs else None


def measured_text(learnt: Learnt | None, spec: Any) -> str:
    """" Measured here: 31.2 tok/s (median of 4 replies)." or ""."""
    here = learnt.here(spec) if learnt is not None else None
    return f" Measured here: {here[0]:.1f} tok/s (median of {here[2]} replies)." if here else ""


def badge(est: Any) -> Badge:
    """Green fits / amber fits with less context or partial offload / red does not fit."""
    from spark_desktop.fit import Verdict

    reason = est.reason[:1].upper() + est.reason[1:] + "."
    if est.verdict == Verdict.FITS:
        return Badge("fits", "fits", reason, GREEN)
    if est.verdict == Verdict.DOES_NOT_FIT:
        return Badge("no", "does not fit", reason, RED)
    smaller_context = est.suggestion is not None and \
        est.suggestion.n_ctx < est.settings.n_ctx
    return Badge("tight", "fits with less context" if smaller_context else "partial offload",
                 reason, AMBER)


def memory_segments(est: Any) -> list[Segment]:
    """Weights / KV cache / compute / the rest (output buffer and runtime overhead)."""
    return [Segment("weights", est.weights, WEIGHTS), Segment("KV cache", est.kv_cache, KV),
            Segment("compute", est.compute, COMPUTE),
            Segment("other", est.output + est.overhead, OTHER)]


def node_segments(use: Any) -> list[Segment]:
    """memory_segments for one node of a cluster (a fit.PoolUse)."""
    return [Segment("weights", use.weights, WEIGHTS), Segment("KV cache", use.kv_cache, KV),
            Segment("compute", use.compute, COMPUTE),
            Segment("other", use.output + use.overhead, OTHER)]


def pool_bytes(est: Any) -> int:
    """All the memory the target offers (every pool together)."""
    return sum(p.available for p in est.pools)


def decode_speed_text(est: Any) -> str:
    """"≈ 42 tok/s" for the variants table; "—" before the estimate is known."""
    if est is None or not getattr(est, "decode_tps", None):
        return "—"
    return f"≈ {est.decode_tps:.0f} tok/s"


def speed_text(est: Any) -> str:
    return (f"Predicted speed: {decode_speed_text(est)} writing, "
            f"≈ {est.prefill_tps:.0f} tok/s reading the prompt. "
            f"Largest context that fits: {est.max_context:,} tokens.")


def target_label(target: Any) -> str:
    """The target as people say it ("a DGX Spark", "two DGX Sparks", "this machine",
    "a 48 GiB pool"): the one way ui/ names a hardware.Target, never its key."""
    return str(target.label)


def target_text(target: Any) -> str:
    """"a DGX Spark (115.7 GiB usable)" for the load dialog's memory bar."""
    return f"{target_label(target)} ({human_bytes(target.total_bytes)} usable)"


def planning_text(target: Any) -> str:
    """"Planning for a DGX Spark — 115.7 GiB usable, 273 GB/s": what estimates are made
    against when the settings plan for another machine than this one."""
    bandwidth = target.pools[0].bandwidth / 1e9 if target.pools else 0.0
    return (f"Planning for {target_label(target)} — {human_bytes(target.total_bytes)} "
            f"usable, {bandwidth:.0f} GB/s")


def unbreakable(text: str) -> str:
    """`text` with non-breaking spaces, so a word-wrapped label never splits a figure."""
    return text.replace(" ", "\u00a0")
