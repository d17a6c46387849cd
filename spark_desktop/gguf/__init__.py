"""GGUF header reading: a typed ModelSpec from a local file, a split set or remote bytes.

    from spark_desktop.gguf import read_model
    spec = read_model("model-00001-of-00003.gguf")   # finds and reads every part
    spec = read_model([source1, source2])            # ByteSources, one per part, in order
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from spark_desktop.gguf.errors import GGUFError
from spark_desktop.gguf.reader import ArraySummary, GGUFHeader, read_header
from spark_desktop.gguf.sources import FileSource
from spark_desktop.gguf.spec import ByteSource, ModelSpec, TensorInfo
from spark_desktop.gguf.spec_builder import build_spec
from spark_desktop.gguf.splits import split_base_name, split_part_names
from spark_desktop.gguf.stub import temporary_stub, write_sparse, write_stub

__all__ = [
    "ArraySummary", "ByteSource", "FileSource", "GGUFError", "GGUFHeader", "ModelSpec",
    "TensorInfo", "read_header", "read_model", "split_base_name", "split_part_names",
    "temporary_stub", "write_sparse", "write_stub",
]


def read_model(path_or_sources: str | os.PathLike[str] | Sequence[ByteSource]) -> ModelSpec:
    """Describe a model from its GGUF header(s) without reading its weights.

    A path may name any part of a split model; every part must be next to it.
    A sequence of ByteSources must hold every part, in order.
    """
    if isinstance(path_or_sources, (str, os.PathLike)):
        sources: Sequence[ByteSource] = _local_parts(Path(path_or_sources))
    else:
        sources = list(path_or_sources)
        if not sources:
            raise GGUFError("No GGUF file was given to read.")
    headers = [read_header(s) for s in sources]
    _check_split(headers)
    return build_spec(headers, split_base_name(sources[0].name))


def _local_parts(path: Path) -> list[FileSource]:
    names = split_part_names(path.name)
    if len(names) == 1:
        return [FileSource(path)]
    parts = [path.with_name(n) for n in names]
    missing = [p for p in parts if not p.exists()]
    if missing:
        raise GGUFError(
            f"{missing[0].name} is missing: {path.name} is one of {len(parts)} parts of a split "
            f"model, and every part must be in {path.parent}.")
    return [FileSource(p) for p in parts]


def _split_key(h: GGUFHeader, key: str) -> int | None:
    value = h.metadata.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _check_split(headers: Sequence[GGUFHeader]) -> None:
    """Every part present, in order, agreeing on the count; tensors add up."""
    count = len(headers)
    first = headers[0]
    declared = _split_key(first, "split.count")
    if count == 1:
        if declared is not None and declared > 1:
            no = (_split_key(first, "split.no") or 0) + 1
            raise GGUFError(
                f"{first.name} is part {no} of a split model of {declared} parts; the other "
                "parts are needed, named like model-00001-of-0000N.gguf next to it.")
        return
    for i, h in enumerate(headers):
        if _split_key(h, "split.count") != count or _split_key(h, "split.no") != i:
            raise GGUFError(
                f"{h.name} does not belong at position {i + 1} of this {count}-part split model "
                f"(it says part {(_split_key(h, 'split.no') or 0) + 1} of "
                f"{_split_key(h, 'split.count') or 1}); the parts come from different downloads.")
    total = _split_key(first, "split.tensors.count")
    found = sum(len(h.tensors) for h in headers)
    if total is not None and total != found:
        raise GGUFError(
            f"{first.name}'s split model should hold {total} tensors but its parts hold {found}; "
            "a part is damaged or from a different download.")
