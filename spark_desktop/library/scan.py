"""Find the models on this machine: the models folder, the HF cache, extra folders, imports.

Hugging Face cache folders are read as snapshots/<commit>/<path> links; plain folders
are searched for *.gguf. Split parts are shown as one model, vision projectors
(mmproj) are not models, and partial downloads never appear (they are not linked
into snapshots until verified).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from spark_desktop import paths, settings
from spark_desktop.gguf import split_part_names
from spark_desktop.gguf.splits import split_base_name
from spark_desktop.library.headers import read_many
from spark_desktop.library.model import LocalModel

_QUANT = re.compile(
    r"(?<![A-Za-z0-9])((?:UD-)?(?:IQ\d_(?:XXS|XS|NL|S|M|L)|TQ\d_\d|Q\d_K(?:_(?:XXL|XL|L|M|S))?"
    r"|Q\d_\d|MXFP4(?:_MOE)?|NVFP4|BF16|F16|F32|FP16|FP8))(?![A-Za-z0-9])", re.IGNORECASE)


@dataclass(frozen=True)
class Root:
    path: Path
    kind: str   # "models", "hf-cache", "extra", "import"


def imports_dir() -> Path:
    """Where single imported GGUF files are linked or copied (inside the data folder)."""
    path = paths.imports_dir()
    path.mkdir(parents=True, exist_ok=True)
    return path


def roots() -> tuple[Root, ...]:
    """Every folder the library looks in, without duplicates."""
    found: list[Root] = [Root(paths.models_dir(), "models")]
    hf = paths.hf_cache_dir()
    if hf.exists():
        found.append(Root(hf, "hf-cache"))
    found += [Root(Path(d).expanduser(), "extra") for d in settings.load().extra_model_dirs]
    found.append(Root(imports_dir(), "import"))
    unique: dict[Path, Root] = {}
    for root in found:
        key = root.path.resolve()
        if key not in unique and root.path.is_dir():
            unique[key] = root
    return tuple(unique.values())


def quant_from_name(name: str) -> str:
    found = list(_QUANT.finditer(name))
    return found[-1].group(1).upper() if found else ""


def _is_model_file(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(".gguf") and "mmproj" not in name and path.is_file()


def _first_parts(files: list[Path]) -> list[tuple[Path, tuple[Path, ...]]]:
    """(first part, all parts) per model; incomplete split sets are left out."""
    names = {p.name for p in files}
    models = []
    for p in files:
        parts = split_part_names(p.name)
        if parts[0] != p.name or not all(n in names for n in parts):
            continue
        models.append((p, tuple(p.with_name(n) for n in parts)))
    return models


def _hf_cache_models(root: Path) -> list[tuple[str, Path, tuple[Path, ...]]]:
    found = []
    for repo_dir in sorted(root.glob("models--*")):
        repo = "/".join(repo_dir.name.split("--")[1:])
        seen: set[Path] = set()
        for snapshot in sorted((repo_dir / "snapshots").glob("*")):
            by_folder: dict[Path, list[Path]] = {}
            for f in snapshot.rglob("*.gguf"):
                if _is_model_file(f):
                    by_folder.setdefault(f.parent, []).append(f)
            for files in by_folder.values():
                for first, parts in _first_parts(sorted(files)):
                    blob = first.resolve()
                    if blob not in seen:
                        seen.add(blob)
                        found.append((repo, first, parts))
    return found


def _folder_models(root: Path) -> list[tuple[None, Path, tuple[Path, ...]]]:
    by_folder: dict[Path, list[Path]] = {}
    for f in root.rglob("*.gguf"):
        if _is_model_file(f) and "snapshots" not in f.parts and "blobs" not in f.parts:
            by_folder.setdefault(f.parent, []).append(f)
    return [(None, first, parts) for files in by_folder.values()
            for first, parts in _first_parts(sorted(files))]


def scan() -> tuple[LocalModel, ...]:
    """Every model on this machine, each once, sorted by name."""
    entries: list[tuple[str | None, Path, tuple[Path, ...], str]] = []
    seen: set[Path] = set()
    for root in roots():
        listed = _hf_cache_models(root.path) + _folder_models(root.path)
        for repo, first, parts in listed:
            key = first.resolve()
            if key in seen:
                continue
            seen.add(key)
            entries.append((repo, first, parts, root.kind))
    facts = read_many([first for _, first, _, _ in entries])
    models = []
    for repo, first, parts, kind in entries:
        f = facts[first]
        models.append(LocalModel(
            name=split_base_name(first.name), repo=repo,
            quant=quant_from_name(first.name) or f.quantization or "?",
            size=sum(p.stat().st_size for p in parts), path=first, parts=parts,
            architecture=f.architecture, parameters=f.parameters,
            context_length=f.context_length, has_chat_template=f.has_chat_template,
            license=f.license, source=kind, problem=f.problem))
    models.sort(key=lambda m: (m.name.lower(), str(m.path)))
    return tuple(models)
