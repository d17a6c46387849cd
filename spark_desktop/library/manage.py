"""Change the library: import a GGUF file, remove a model (freeing the disk), reveal it."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from spark_desktop.errors import SparkError
from spark_desktop.gguf import read_model, split_part_names
from spark_desktop.library.model import LocalModel
from spark_desktop.library.scan import imports_dir, roots, scan


class ModelNotFoundError(SparkError):
    """No model in the library matches what was asked for."""


class RemoveRefusedError(SparkError):
    """The model lies outside the folders the library manages."""


def find(query: str, models: Sequence[LocalModel] | None = None) -> LocalModel:
    """A model by path, name, repo or repo:QUANT, as `ls` shows them; among `models` when
    the caller already scanned the library (several look-ups, one scan)."""
    models = scan() if models is None else models
    wanted = query.strip()
    repo, _, quant = wanted.partition(":")

    def matches(m: LocalModel) -> bool:
        return (str(m.path) == wanted or m.name == wanted or m.path.name == wanted
                or (m.repo == repo and (not quant or m.quant.upper() == quant.upper())))

    found = [m for m in models if matches(m)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ModelNotFoundError(f"No model called {query!r} on this machine; "
                                 "`spark-desktop ls` lists them.")
    raise ModelNotFoundError(f"{query!r} matches {len(found)} models; name one by its quant "
                             "(repo:QUANT) or its path.")


def reveal(model: LocalModel) -> Path:
    """The folder that really holds the model's file (for a file manager to open)."""
    return model.path.resolve().parent


def import_file(path: Path, copy: bool = False) -> LocalModel:
    """Add a GGUF file (all parts of a split one) by linking, or copying, into the imports."""
    path = Path(path).expanduser().resolve()
    read_model(path)  # refuse what is not a readable GGUF before touching anything
    target_dir = imports_dir()
    for name in split_part_names(path.name):
        source, target = path.with_name(name), target_dir / name
        if target.exists() or target.is_symlink():
            raise SparkError(f"A model named {name} is already imported.")
        if copy:
            tmp = target.with_name(name + ".copying")
            shutil.copyfile(source, tmp)
            os.replace(tmp, target)
        else:
            target.symlink_to(source)
    first = target_dir / split_part_names(path.name)[0]
    return next(m for m in scan() if m.path == first)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False


def remove(model: LocalModel) -> int:
    """Delete the model's files (the HF cache blobs too); return the bytes freed."""
    managed = [r.path for r in roots()]
    if not any(_inside(model.path.absolute(), root.absolute()) for root in managed):
        raise RemoveRefusedError(f"{model.path} is outside the folders this app manages; "
                                 "it was not removed.")
    if model.source == "import":
        linked = model.path.is_symlink()
        for part in model.parts:
            part.unlink()  # a link (or our own copy); the original file stays
        return 0 if linked else model.size
    freed = 0
    for part in model.parts:
        if part.is_symlink() and "snapshots" in part.parts:
            blob = part.resolve()
            part.unlink()
            repo_dir = Path(*part.parts[:part.parts.index("snapshots")])
            if blob.exists() and not _still_linked(blob, repo_dir):
                freed += blob.stat().st_size
                blob.unlink()
        else:
            freed += part.stat().st_size
            part.unlink()
    _prune(model.path.parent, managed)
    return freed


def _still_linked(blob: Path, repo_dir: Path) -> bool:
    return any(link.is_symlink() and link.resolve() == blob
               for link in (repo_dir / "snapshots").rglob("*"))


def _prune(folder: Path, managed: list[Path]) -> None:
    """Remove folders left empty, up to the managed root; a repo with no snapshots goes too."""
    stop = {m.absolute() for m in managed}
    while (folder.absolute() not in stop and folder.name != "snapshots" and folder.is_dir()
           and not any(folder.iterdir())):
        folder.rmdir()
        folder = folder.parent
    if folder.name == "snapshots" and not any(folder.iterdir()):
        repo_dir = folder.parent
        if repo_dir.parent.absolute() in stop and repo_dir.name.startswith("models--"):
            shutil.rmtree(repo_dir)
