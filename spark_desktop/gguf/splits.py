"""Split models: `name-0000N-of-0000M.gguf` parts, as llama.cpp's gguf-split writes them."""

from __future__ import annotations

import re

_PART = re.compile(r"^(?P<prefix>.+)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


def split_part_names(filename: str) -> list[str]:
    """Every part's name of the split set `filename` belongs to, in order; else [filename].

    Works on bare names and on repository paths ("Q4_K_M/model-00001-of-00003.gguf").
    """
    head, sep, base = filename.rpartition("/")
    m = _PART.match(base)
    if not m:
        return [filename]
    no, count = int(m["no"]), int(m["count"])
    if count < 1 or not 1 <= no <= count:
        return [filename]
    return [f"{head}{sep}{m['prefix']}-{i:05d}-of-{count:05d}.gguf" for i in range(1, count + 1)]


def split_base_name(filename: str) -> str:
    """The model's file name without the part suffix ("model-00001-of-00002.gguf" -> "model")."""
    base = filename.rpartition("/")[2]
    m = _PART.match(base)
    stem = m["prefix"] if m else base
    return stem[:-5] if stem.lower().endswith(".gguf") else stem
