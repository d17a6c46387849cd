"""The value describing one model on this machine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class LocalModel:
    name: str                     # file name without .gguf / split suffix
    repo: str | None              # "org/name" when it came from the Hub cache
    quant: str                    # e.g. "Q4_K_M"
    size: int                     # all parts together, bytes
    path: Path                    # first part, as llama.cpp wants it
    parts: tuple[Path, ...]
    architecture: str | None
    parameters: int | None
    context_length: int | None
    has_chat_template: bool
    license: str | None
    source: str                   # "models", "hf-cache", "extra", "import"
    problem: str | None = None    # why the header could not be read, if it could not
