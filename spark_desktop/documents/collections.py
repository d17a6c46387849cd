"""Bringing a collection's folder and the index into agreement: one `sync`.

The folder is walked for readable files (hidden folders, symlinks leading out of it and
suffixes no reader handles are passed over); new and changed files are indexed, files gone
from the disk are forgotten, and a file that cannot be read is reported with its error's
sentence while the walk goes on (its earlier passages, if any, stay). A caller that syncs
the same folder again (the GUI's watcher) passes the `Stamps` of the last run, so files
whose size and modification time did not change are not even read.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from spark_desktop.documents.errors import DocumentError, DocumentMissingError
from spark_desktop.documents.extract import MAX_DOCUMENT_BYTES, read_document
from spark_desktop.documents.index import DocumentIndex
from spark_desktop.errors import SparkError

# Suffixes read as documents; anything else in the folder (images, archives, models) is
# left alone rather than reported, since a folder of notes usually holds some of those.
READABLE_SUFFIXES: Final = frozenset({
    ".txt", ".text", ".md", ".markdown", ".rst", ".org", ".adoc", ".tex", ".csv", ".tsv",
    ".json", ".jsonl", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".xml", ".log",
    ".pdf", ".docx", ".html", ".htm", ".xhtml",
    ".py", ".pyi", ".ipynb", ".c", ".h", ".cc", ".cpp", ".hpp", ".cs", ".java", ".kt", ".go",
    ".rs", ".js", ".jsx", ".ts", ".tsx", ".rb", ".php", ".swift", ".scala", ".lua", ".r",
    ".jl", ".sh", ".bash", ".zsh", ".ps1", ".sql", ".css", ".scss", ".vue", ".svelte",
})
# (size, mtime_ns, embed model) of each file as the last sync left it indexed, by path
Stamps = dict[str, tuple[int, int, str]]
Progress = Callable[[int, int, str], None]  # (files done, files in all, the file)


class FolderMissingError(SparkError):
    """The collection's folder is not there (unmounted, moved or deleted)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        super().__init__(f"The folder {folder} is not there (moved, deleted or on a drive that "
                         "is not connected); its passages were kept. Reconnect it, or remove "
                         "the collection and add the folder's new place.")


@dataclass(frozen=True)
class SyncReport:
    """What one sync did: paths added, re-indexed and forgotten, how many were already up
    to date, and each file that could not be read with the reason in words."""

    added: tuple[str, ...]
    updated: tuple[str, ...]
    removed: tuple[str, ...]
    unchanged: int
    failed: tuple[tuple[str, str], ...]
    seconds: float

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        """One line for a status bar or the command line."""
        line = (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.removed)} removed, {self.unchanged} unchanged")
        if self.failed:
            line += f", {len(self.failed)} could not be read"
        return f"{line} ({self.seconds:.1f} s)"


def embedder_id(model: str) -> str:
    """The name an embedding model is recorded under in the index: the library's model id
    (a GGUF path becomes its file name without `.gguf` and split suffix), so documents
    embedded from the command line (a path) and from the window (an id) agree."""
    from spark_desktop.gguf.splits import split_base_name

    return split_base_name(Path(model).name) if model.lower().endswith(".gguf") else model


def readable_files(folder: Path) -> Iterator[Path]:
    """Files of `folder` (resolved) a reader handles, in a stable order; hidden folders and
    files are skipped, and symlinks are followed only to files inside the folder."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            path = Path(root, name)
            if name.startswith(".") or path.suffix.lower() not in READABLE_SUFFIXES:
                continue
            if path.is_symlink():
                target = path.resolve()
                if not target.is_relative_to(folder) or not target.is_file():
                    continue
                path = target
            yield path


def sync(index: DocumentIndex, folder: Path, *, on_progress: Progress | None = None,
         stamps: Stamps | None = None, limit: int = MAX_DOCUMENT_BYTES) -> SyncReport:
    """Index the readable files of `folder`, forget the indexed ones that are gone. Raises
    FolderMissingError when the folder itself is missing (nothing is forgotten then);
    an embedding failure stops the sync (the files done so far stay indexed).
    `stamps` is read and updated in place."""
    started = time.perf_counter()
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        raise FolderMissingError(folder)
    stamps = stamps if stamps is not None else {}
    known = {doc.path: doc for doc in index.tables.under(str(folder))}
    files = list(dict.fromkeys(readable_files(folder)))
    added: list[str] = []
    updated: list[str] = []
    failed: list[tuple[str, str]] = []
    unchanged = 0
    present: set[str] = set()
    for done, path in enumerate(files, 1):
        key = str(path)
        present.add(key)
        if on_progress is not None:
            on_progress(done - 1, len(files), key)
        indexed = known.get(key)
        stamp = _stamp(path, index.embed_model)
        if indexed is not None and indexed.embed_model == index.embed_model \
                and stamp is not None and stamps.get(key) == stamp:
            unchanged += 1
            continue
        try:
            result = index.add(read_document(path, limit))
        except DocumentMissingError:  # vanished since the walk: forgotten below
            present.discard(key)
            continue
        except DocumentError as exc:
            failed.append((key, str(exc)))
            stamps.pop(key, None)
            continue
        except OSError as exc:  # no permission, an I/O error: the file's own problem
            message = (f"{path} cannot be read ({exc.strerror or exc}); check its "
                       "permissions, or move it out of the folder.")
            failed.append((key, message))
            stamps.pop(key, None)
            continue
        if stamp is not None:
            stamps[key] = stamp
        if not result.embedded:
            unchanged += 1
        else:
            (updated if indexed is not None else added).append(key)
    # Only files gone from the disk are forgotten: one the walk passes over (in a hidden
    # folder, say) may be a document attached to a chat, indexed on its own.
    removed = [path for path in known if path not in present and not Path(path).is_file()
               and index.tables.forget(path)]
    for path in removed:
        stamps.pop(path, None)
    if on_progress is not None:
        on_progress(len(files), len(files), "")
    return SyncReport(tuple(added), tuple(updated), tuple(removed), unchanged, tuple(failed),
                      time.perf_counter() - started)


def _stamp(path: Path, embed_model: str) -> tuple[int, int, str] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns, embed_model
