"""Which layers use a sliding window, derived exactly as llama.cpp 0.3.36 derives it.

llama.cpp decides per architecture (vendor/llama.cpp/src/models/<arch>.cpp,
`load_arch_hparams`): a default window and layer period, overridable by the
`<arch>.attention.sliding_window` and `<arch>.attention.sliding_window_pattern`
keys (a period, or one flag per layer). The KV cache of a sliding layer holds only
the window, so the fit estimate depends on getting this right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class _Rule:
    period: int | None       # default layer period; None: the per-layer array key is required
    dense_first: bool = False
    default_window: int = 0  # used when the window key is absent
    needs_window_key: bool = False  # no sliding window unless the key is present and > 0


# From each architecture's load_arch_hparams in llama.cpp 0.3.36.
_RULES: dict[str, _Rule] = {
    "gemma2": _Rule(2, default_window=4096),
    "gemma3": _Rule(6, needs_window_key=True),
    "gemma3n": _Rule(5),
    "gemma-embedding": _Rule(6),
    "cohere2": _Rule(4),
    "cohere2moe": _Rule(4, dense_first=True),
    "exaone4": _Rule(4, default_window=4096),  # only the 64-layer (32B) model slides
    "exaone-moe": _Rule(4, default_window=128),
    "olmo2": _Rule(4, needs_window_key=True),
    "plamo3": _Rule(8, needs_window_key=True),
    "llama4": _Rule(4, default_window=8192),
    "gpt-oss": _Rule(2),
    "mellum": _Rule(4, needs_window_key=True),
    "afmoe": _Rule(4, needs_window_key=True),
    "laguna": _Rule(4, dense_first=True, needs_window_key=True),
    "smallthinker": _Rule(4, dense_first=True, needs_window_key=True),
    "modern-bert": _Rule(3, dense_first=True, needs_window_key=True),
    "muse-glimmer": _Rule(4),
    "gemma4": _Rule(None),
    "gemma4-assistant": _Rule(None),
    "maple": _Rule(None),
    "mimo2": _Rule(None),
    "granite_swa": _Rule(None),
    "dots3note": _Rule(None),
    "step35": _Rule(None),
    "spark2_5": _Rule(None),
    "deepseek4": _Rule(0),
}


def layers_by_period(n_layer: int, period: int, dense_first: bool = False) -> tuple[bool, ...]:
    """llama_hparams::set_swa_pattern: with period p, every p-th layer is full attention."""
    if dense_first:
        return tuple(period == 0 or i % period != 0 for i in range(n_layer))
    return tuple(period == 0 or i % period < period - 1 for i in range(n_layer))


def sliding_window(arch: str, meta: Mapping[str, Any], n_layer: int,
                   n_head_kv: Sequence[int]) -> tuple[int, tuple[bool, ...]]:
    """(window size, per-layer flags) for a model; (0, all False) when none slides."""
    none = (0, (False,) * n_layer)
    window = meta.get(f"{arch}.attention.sliding_window")
    window = window if _is_uint(window) else None
    if arch in ("lfm2", "lfm2moe"):
        if not window:
            return none
        return window, tuple(kv > 0 for kv in n_head_kv)
    if arch == "exaone4" and n_layer != 64:
        return none
    rule = _RULES.get(arch)
    if rule is None:
        return none
    if rule.needs_window_key and not window:
        return none
    if arch == "llama4" and window == 0:
        return none
    size = window if window is not None else rule.default_window
    if arch == "smallthinker":
        size = 4096
    pattern = meta.get(f"{arch}.attention.sliding_window_pattern")
    if isinstance(pattern, tuple):
        flags = tuple(bool(x) for x in pattern[:n_layer])
        return size, flags + (False,) * (n_layer - len(flags))
    if rule.period is None:
        return none
    period = pattern if _is_uint(pattern) else rule.period
    flags = layers_by_period(n_layer, period, rule.dense_first)
    return (size, flags) if size and any(flags) else none


def _is_uint(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0
