"""Numbers as people read them: sizes, counts, speeds, durations, dates."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QLocale


def human_bytes(n: float | None) -> str:
    """1536 → "1.5 KiB" (binary units, as the fit estimate and llama.cpp report memory)."""
    if n is None:
        return "—"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(value) < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def display_name(model: Any) -> str:
    """A library model as menus show it: "gemma-3-270m-it-GGUF · Q4_K_M" (repo and quant),
    or its file name when it has no repository."""
    return f"{model.repo.split('/')[-1]} · {model.quant}" if model.repo else model.name


def grouped(n: int) -> str:
    """32768 → "32,768", grouped the way the window's language writes numbers (the bare
    C locale of a minimal system would not group at all: English grouping then)."""
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        return f"{n:,}"
    return locale.toString(n)


def decimal(value: float, digits: int = 0) -> str:
    """31.24 → "31.2" with digits=1, written the way the window's language writes numbers
    (grouped; English's way under the bare C locale, like `grouped`)."""
    locale = QLocale()
    if locale.language() == QLocale.Language.C:
        return f"{value:,.{digits}f}"
    return locale.toString(float(value), "f", digits)


def human_count(n: int | None) -> str:
    """12345 → "12.3k"."""
    if n is None:
        return "—"
    if n < 1000:
        return str(n)
    if n < 1_000_000:
        return f"{n / 1000:.1f}k"
    return f"{n / 1_000_000:.1f}M"


def human_params(n: int | None) -> str:
    """270_000_000 → "270M", 7_240_000_000 → "7.2B"."""
    if not n:
        return "—"
    if n >= 1_000_000_000:
        return f"{n / 1e9:.1f}B"
    return f"{n / 1e6:.0f}M"


def human_duration(seconds: float | None) -> str:
    """ETA text: "42 s", "3 min", "1 h 05 min"."""
    if seconds is None or seconds < 0 or math.isnan(seconds):
        return "—"
    s = int(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


def human_date(when: datetime | None) -> str:
    """A date as "2026-11-27"; "—" when unknown."""
    if when is None:
        return "—"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone().strftime("%Y-%m-%d")
