"""How the GUI shows a fit estimate: badge colour and words, memory segments, speeds.

The one place in ui/ that reads fit.FitEstimate and turns the load choices the GUI offers
into the LoadSettings that both the estimate and the engine take, so they agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QCoreApplication

from spark_desktop.inference_settings import LoadSettings
from spark_desktop.ui.format import decimal, grouped, human_bytes
from spark_desktop.ui.theme import AMBER, GREEN, RED
from spark_desktop.ui.widgets import Segment

WEIGHTS, KV, COMPUTE, OTHER = "#4c8cdc", "#8e6bd8", "#e08a3c", "#7f8c8d"
translate = QCoreApplication.translate
_CJK = "[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]"
_CJK_GAP = re.compile(f"(?<={_CJK})(?=.)|(?<=.)(?={_CJK})")


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
    if not here:
        return ""
    speed, _, replies = here
    return " " + translate("fitview", "Measured here: {speed} tok/s (median of %n replies).",
                           "", replies).format(speed=decimal(speed, 1))


def pool_name(name: str) -> str:
    """A memory pool's name in the window's language (device names stay as they are)."""
    return translate("fitview", "system memory") if name == "system memory" else name


def reason_text(est: Any) -> str:
    """The estimate's verdict in a sentence, built here from its figures so that it reads in
    the window's language (fit.FitEstimate.reason is the core's English one)."""
    from spark_desktop.fit import Verdict

    uses = est.pools
    if est.verdict == Verdict.FITS:
        return translate("fitview", "Needs {need} of {have}, with a safety margin to spare."
                         ).format(need=human_bytes(sum(u.total for u in uses)),
                                  have=human_bytes(sum(u.available for u in uses)))
    tight = max(uses, key=lambda u: u.total - u.limit)
    short = translate("fitview", "Needs {need} in {pool} but it offers {have} ({limit} after "
                      "the safety margin)").format(
        need=human_bytes(tight.total), pool=pool_name(tight.name),
        have=human_bytes(tight.available), limit=human_bytes(tight.limit))
    chosen, smaller = est.settings, est.suggestion
    if est.verdict == Verdict.FITS_REDUCED and smaller is not None:
        if smaller.n_ctx < chosen.n_ctx:
            return translate("fitview", "{short}; fits with a context of {tokens} tokens."
                             ).format(short=short, tokens=grouped(smaller.n_ctx))
        layers = smaller.n_gpu_layers  # (lupdate reads a plain name as the count)
        return translate("fitview", "{short}; fits with %n layer(s) on the GPU (the rest "
                         "runs on the CPU, slower).", "", layers).format(short=short)
    return translate("fitview", "{short}.").format(short=short)


def badge(est: Any) -> Badge:
    """Green fits / amber fits with less context or partial offload / red does not fit."""
    from spark_desktop.fit import Verdict

    reason = reason_text(est)
    if est.verdict == Verdict.FITS:
        return Badge("fits", translate("fitview", "fits"), reason, GREEN)
    if est.verdict == Verdict.DOES_NOT_FIT:
        return Badge("no", translate("fitview", "does not fit"), reason, RED)
    smaller_context = est.suggestion is not None and \
        est.suggestion.n_ctx < est.settings.n_ctx
    return Badge("tight", translate("fitview", "fits with less context") if smaller_context
                 else translate("fitview", "partial offload"), reason, AMBER)


def memory_segments(est: Any) -> list[Segment]:
    """Weights / KV cache / compute / the rest (output buffer and runtime overhead)."""
    return node_segments(est)


def node_segments(use: Any) -> list[Segment]:
    """memory_segments for one node of a cluster (a fit.PoolUse: the same fields)."""
    return [Segment(translate("fitview", "weights"), use.weights, WEIGHTS),
            Segment(translate("fitview", "KV cache"), use.kv_cache, KV),
            Segment(translate("fitview", "compute"), use.compute, COMPUTE),
            Segment(translate("fitview", "other"), use.output + use.overhead, OTHER)]


def pool_bytes(est: Any) -> int:
    """All the memory the target offers (every pool together)."""
    return sum(p.available for p in est.pools)


def decode_speed_text(est: Any) -> str:
    """"≈ 42 tok/s" for the variants table; "—" before the estimate is known."""
    if est is None or not getattr(est, "decode_tps", None):
        return "—"
    return f"≈ {decimal(est.decode_tps)} tok/s"


def speed_text(est: Any) -> str:
    return translate("fitview", "Predicted speed: {decode} writing, ≈ {prefill} tok/s reading "
                     "the prompt. Largest context that fits: {tokens} tokens.").format(
        decode=decode_speed_text(est), prefill=decimal(est.prefill_tps),
        tokens=grouped(est.max_context))


def correction_text(fix: Any) -> str:
    """The speed's tooltip: how the prediction was made (fix: the estimate's correction)."""
    if fix is None:
        return translate("fitview", "Predicted from the model's header and the machine's "
                         "bandwidth and compute; replies run here refine it.")
    return translate("fitview", "Prediction corrected by the replies measured on this "
                     "machine: writing ×{decode}, reading the prompt ×{prefill}.").format(
        decode=decimal(fix.decode, 2), prefill=decimal(fix.prefill, 2))


def target_label(target: Any) -> str:
    """The target as people say it ("a DGX Spark", "two DGX Sparks", "this machine",
    "a 48 GiB pool") in the window's language: the one way ui/ names a hardware.Target,
    never its key. The core's English label decides the article ("an 8 GiB pool")."""
    fixed = {"spark": translate("fitview", "a DGX Spark"),
             "spark2": translate("fitview", "two DGX Sparks"),
             "this": translate("fitview", "this machine")}
    if target.name in fixed:
        return fixed[target.name]
    base, plus, _ = target.name.partition("+")
    if plus:  # a cluster: the planned machine and its peers
        alone = replace(target, name=base, pools=target.local_pools, linked=False)
        peers = len(target.pools) - len(target.local_pools)
        return translate("fitview", "{machine} and %n RPC peer(s)", "", peers).format(
            machine=target_label(alone))
    if str(target.label).startswith("an "):
        return translate("fitview", "an {size} pool").format(size=target.name)
    return translate("fitview", "a {size} pool").format(size=target.name)


def target_text(target: Any) -> str:
    """"a DGX Spark (115.7 GiB usable)" for the load dialog's memory bar."""
    return translate("fitview", "{target} ({size} usable)").format(
        target=target_label(target), size=human_bytes(target.total_bytes))


def planning_text(target: Any) -> str:
    """"Planning for a DGX Spark — 115.7 GiB usable, 273 GB/s": what estimates are made
    against when the settings plan for another machine than this one."""
    bandwidth = target.pools[0].bandwidth / 1e9 if target.pools else 0.0
    return translate("fitview", "Planning for {target} — {size} usable, {bandwidth} GB/s"
                     ).format(target=target_label(target), size=human_bytes(target.total_bytes),
                              bandwidth=decimal(bandwidth))


def unbreakable(text: str) -> str:
    """`text` that a word-wrapped label never splits: non-breaking spaces, and word joiners
    next to CJK characters (Chinese may break between any two)."""
    return _CJK_GAP.sub("\u2060", text.replace(" ", "\u00a0"))
