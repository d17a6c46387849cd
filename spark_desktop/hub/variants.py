"""A repository's GGUF files as the choices a person makes: one Variant per quantization.

Split parts (`-00001-of-00003.gguf`) are joined into one variant with the total
size; vision projectors (`mmproj`) are companions, not variants; quants kept in
sub-folders are found too. Sizes and LFS sha256 come from the Hub's file metadata.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from spark_desktop.hub import retry, session
from spark_desktop.hub.errors import VariantNotFoundError
from spark_desktop.hub.names import check_repo_id, check_repo_path, check_revision
from spark_desktop.hub.retry import RetryPolicy

if TYPE_CHECKING:
    from spark_desktop.fit import FitEstimate
    from spark_desktop.gguf.spec import ModelSpec

_QUANT = re.compile(
    r"(?<![A-Za-z0-9])((?:UD-)?(?:IQ\d_(?:XXS|XS|NL|S|M|L)|TQ\d_\d|Q\d_K(?:_(?:XXL|XL|L|M|S))?"
    r"|Q\d_\d|MXFP4(?:_MOE)?|NVFP4|BF16|F16|F32|FP16|FP8))(?![A-Za-z0-9])", re.IGNORECASE)
_SPLIT = re.compile(r"^(?P<base>.+)-(?P<part>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)


@dataclass(frozen=True)
class HubFile:
    path: str               # path inside the repository (may include folders)
    size: int
    sha256: str | None      # LFS sha256 (None for a small non-LFS file)
    blob_id: str | None = None

    @property
    def blob(self) -> str:
        """Name of the blob in the HF cache: the LFS sha256, else the git blob id."""
        return self.sha256 or self.blob_id or ""


@dataclass(frozen=True)
class Variant:
    repo: str
    revision: str
    quant: str                      # e.g. "Q4_K_M", "UD-Q4_K_XL", "MXFP4"
    name: str                       # file name without split suffix, e.g. "model-Q4_K_M.gguf"
    folder: str                     # "" or the sub-folder holding it
    files: tuple[HubFile, ...]      # all parts, in order
    size: int                       # all parts together
    complete: bool                  # False when some split parts are missing on the Hub
    companions: tuple[HubFile, ...] = ()  # mmproj files that belong with it


@dataclass(frozen=True)
class RepoFiles:
    repo: str
    revision: str
    gated: bool
    variants: tuple[Variant, ...]
    projectors: tuple[HubFile, ...]


def quant_of(path: str) -> str:
    """The quantization named in a file or folder name ("" when none is named)."""
    for text in (path.rsplit("/", 1)[-1], path):
        found = list(_QUANT.finditer(text))
        if found:
            return found[-1].group(1).upper()
    return ""


def is_projector(path: str) -> bool:
    return "mmproj" in path.rsplit("/", 1)[-1].lower()


def group_files(repo: str, revision: str, files: list[HubFile]) -> tuple[
        tuple[Variant, ...], tuple[HubFile, ...]]:
    """Group GGUF files into variants (split parts joined) and projector companions."""
    ggufs = [f for f in files if f.path.lower().endswith(".gguf")]
    projectors = tuple(f for f in ggufs if is_projector(f.path))
    groups: dict[tuple[str, str], list[tuple[int, int, HubFile]]] = {}
    for f in ggufs:
        if is_projector(f.path):
            continue
        folder, _, filename = f.path.rpartition("/")
        match = _SPLIT.match(filename)
        if match:
            key = (folder, match["base"] + ".gguf")
            groups.setdefault(key, []).append((int(match["part"]), int(match["count"]), f))
        else:
            groups.setdefault((folder, filename), []).append((1, 1, f))
    variants = []
    for (folder, name), parts in groups.items():
        parts.sort(key=lambda p: p[0])
        count = parts[0][1]
        complete = [p[0] for p in parts] == list(range(1, count + 1))
        near = tuple(p for p in projectors if p.path.rpartition("/")[0] == folder) or projectors
        variants.append(Variant(
            repo=repo, revision=revision, quant=quant_of(f"{folder}/{name}".lstrip("/")) or "?",
            name=name, folder=folder, files=tuple(p[2] for p in parts),
            size=sum(p[2].size for p in parts), complete=complete, companions=near))
    variants.sort(key=lambda v: (v.size, v.name))
    return tuple(variants), projectors


def list_variants(repo: str, revision: str | None = None) -> RepoFiles:
    """Ask the Hub for the repository's files (sizes and sha256) and group them."""
    check_repo_id(repo)
    session.require_network("You are offline; listing a repository's files needs the internet. "
                            "Your models and chats still work.")
    with session.hub_errors(repo):
        info = retry.call(lambda: session.api().model_info(
            repo, revision=revision, files_metadata=True))
    commit = check_revision(info.sha or "")
    files = []
    for s in info.siblings or []:
        if not s.rfilename.lower().endswith(".gguf"):
            continue
        check_repo_path(s.rfilename)
        files.append(HubFile(path=s.rfilename, size=int(s.size or (s.lfs.size if s.lfs else 0)),
                             sha256=s.lfs.sha256 if s.lfs else None, blob_id=s.blob_id))
    variants, projectors = group_files(repo, commit, files)
    return RepoFiles(repo=repo, revision=commit, gated=bool(info.gated),
                     variants=variants, projectors=projectors)


def choose(repo_files: RepoFiles, selector: str | None) -> Variant:
    """Pick a variant by quant (case-insensitive) or file path; default Q4_K_M, else smallest
    of the usual 4-bit choices, else the smallest."""
    variants = [v for v in repo_files.variants if v.complete]
    if not variants:
        raise VariantNotFoundError(f"{repo_files.repo} has no complete GGUF model file.")
    if selector:
        wanted = selector.strip()
        for v in variants:
            if wanted in {f.path for f in v.files} or wanted in (v.name, f"{v.folder}/{v.name}"):
                return v
        for v in variants:
            if v.quant.upper() == wanted.upper():
                return v
        names = ", ".join(sorted({v.quant for v in variants}))
        raise VariantNotFoundError(
            f"{repo_files.repo} has no {selector!r}. Available: {names}.")
    for preferred in ("Q4_K_M", "UD-Q4_K_XL", "Q4_K_S", "MXFP4", "Q4_0", "IQ4_XS"):
        for v in variants:
            if v.quant == preferred:
                return v
    return variants[0]


def is_reference(text: str) -> bool:
    """True for `org/repo[:QUANT|:FILE]` (a Hub reference, not a local file name)."""
    return text.partition(":")[0].count("/") == 1 and not text.endswith(".gguf")


def find_variant(reference: str) -> Variant:
    """The Variant `org/repo[:QUANT|:FILE]` names (no selector: as choose() picks)."""
    repo, _, selector = reference.partition(":")
    return choose(list_variants(repo), selector or None)


def remote_spec(variant: Variant, policy: RetryPolicy | None = None) -> ModelSpec:
    """The model's header read over HTTP byte ranges (a few requests, never the whole file);
    each range is retried on transient failures (HubBusyError when they persist)."""
    from spark_desktop.gguf import read_model
    from spark_desktop.hub.remote import HttpByteSource

    sources = [HttpByteSource(variant.repo, f.path, variant.revision, f.size, policy)
               for f in variant.files]
    with session.hub_errors(variant.repo):
        return read_model(sources)


FitFunction = Callable[["ModelSpec"], "FitEstimate"]


def fit_function(target: str, n_ctx: int | None = None) -> FitFunction:
    """spec -> FitEstimate for the target ("spark", "spark2", "this", a size in GiB) and
    context (default: the user's load settings), for the variants table's fit badge."""
    from spark_desktop import settings as user_settings
    from spark_desktop.fit import estimate
    from spark_desktop.hardware import resolve_target

    load = user_settings.load().load
    if n_ctx:
        load = replace(load, n_ctx=n_ctx)
    resolved = resolve_target(target)
    return lambda spec: estimate(spec, load, resolved)


@dataclass(frozen=True)
class VariantFit:
    variant: Variant
    estimate: FitEstimate | None
    problem: str | None        # why the header could not be read or judged


def fit_all(variants: tuple[Variant, ...], fit: FitFunction,
            workers: int = 6) -> tuple[VariantFit, ...]:
    """The fit of every complete variant, reading the remote headers a few at a time; a
    header that cannot be read leaves that variant's fit unknown, with the reason."""
    from concurrent.futures import ThreadPoolExecutor

    from spark_desktop.errors import SparkError

    def judge(variant: Variant) -> VariantFit:
        if not variant.complete:
            return VariantFit(variant, None, "some split parts are missing on the Hub")
        try:
            return VariantFit(variant, fit(remote_spec(variant)), None)
        except SparkError as exc:
            return VariantFit(variant, None, str(exc))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return tuple(pool.map(judge, variants))
