"""The spec sheet: candidate models side by side before anything is downloaded or loaded.

One row per model (a local GGUF, a model of the library, or a Hub quantization whose
header is read over a few byte ranges, as `fit` does): size, parameters, memory at the
chosen context on the chosen target, fit, predicted speed, licence. A model that cannot
be read is a row saying why; the other rows stand. Reading (network, disk) and judging
(fit.estimate, pure and fast) are separate steps, so the GUI reads off its thread once and
judges again when the person changes the context or the target.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from spark_desktop.errors import SparkError

if TYPE_CHECKING:
    from spark_desktop.fit import FitEstimate
    from spark_desktop.gguf.spec import ModelSpec
    from spark_desktop.hub.variants import Variant
    from spark_desktop.library.model import LocalModel

#: spec -> FitEstimate at the chosen settings and target (hub.variants.FitFunction's shape).
FitFunction = Callable[["ModelSpec"], "FitEstimate"]
#: Failures that become a row's error instead of ending the sheet.
ROW_ERRORS = (SparkError, OSError)


@dataclass(frozen=True)
class Candidate:
    """One model to describe: a local GGUF file (`path`) or a Hub quantization (`variant`)."""

    label: str                     # as the sheet names it: a path, a name, repo:QUANT
    path: Path | None = None
    variant: Variant | None = None

    @property
    def repo(self) -> str | None:
        return self.variant.repo if self.variant is not None else None


@dataclass(frozen=True)
class ReadModel:
    """A candidate's header, read, and its licence (the GGUF's, else the model card's)."""

    candidate: Candidate
    spec: ModelSpec
    license: str | None


@dataclass(frozen=True)
class SpecRow:
    """One line of the sheet; figures are None where unknown (`error` says why)."""

    model: str
    repo: str | None = None
    architecture: str | None = None
    parameters: int | None = None
    active_parameters: int | None = None    # parameters one token uses (MoE: active experts)
    quantization: str | None = None
    file_size: int | None = None
    context_length: int | None = None       # the model's trained context
    license: str | None = None
    context: int | None = None              # the context the memory is estimated for
    target: str | None = None
    memory: int | None = None               # bytes needed at `context` on `target`
    usable: int | None = None               # bytes the target offers after the safety margin
    verdict: str | None = None              # fit.Verdict value
    max_context: int | None = None          # largest context that fits (0: none)
    decode_tps: float | None = None
    prefill_tps: float | None = None
    error: str | None = None

    @property
    def fits(self) -> bool | None:
        """Fits as chosen (no smaller context or partial offload needed)."""
        return None if self.verdict is None else self.verdict == "fits"

    @property
    def size_limit(self) -> int | None:
        """The largest file of this model's shape that would fit at the chosen context: the
        usable memory less what is not weights (KV cache, buffers, overhead)."""
        if self.usable is None or self.memory is None or self.file_size is None:
            return None
        return self.usable - (self.memory - self.file_size)

    def to_dict(self) -> dict[str, object]:
        """The `compare --spec --json` object: every key in every row (sizes in bytes)."""
        return {"model": self.model, "repo": self.repo, "architecture": self.architecture,
                "parameters": self.parameters, "active_parameters": self.active_parameters,
                "quantization": self.quantization, "file_size": self.file_size,
                "context_length": self.context_length, "license": self.license,
                "context": self.context, "target": self.target, "memory": self.memory,
                "fits": self.fits, "verdict": self.verdict, "max_context": self.max_context,
                "decode_tps": None if self.decode_tps is None else round(self.decode_tps, 1),
                "prefill_tps": None if self.prefill_tps is None else round(self.prefill_tps, 1),
                "error": self.error}


def candidates(reference: str, library: Sequence[LocalModel] | None = None
               ) -> tuple[Candidate, ...]:
    """What `reference` names: a GGUF path, a model of the library (its name, repo or
    repo:QUANT; `library`: the models already scanned), else a Hub repository as
    `org/repo[:QUANT|:FILE]`; `org/repo:*` names every complete quantization of it."""
    from spark_desktop import hub
    from spark_desktop.library.manage import ModelNotFoundError, find

    path = Path(reference).expanduser()
    if path.exists():
        return (Candidate(reference, path=path),)
    repo, _, selector = reference.partition(":")
    if selector != "*":
        try:
            return (Candidate(reference, path=find(reference, library).path),)
        except ModelNotFoundError:
            if not hub.is_reference(reference):
                raise
    if selector == "*":
        found = [v for v in hub.list_variants(repo).variants if v.complete]
        if not found:
            raise hub.VariantNotFoundError(f"{repo} has no complete GGUF model file.")
        return tuple(Candidate(f"{repo}:{v.quant}", variant=v) for v in found)
    variant = hub.find_variant(reference)
    return (Candidate(reference if selector else f"{repo}:{variant.quant}", variant=variant),)


def variant_candidate(variant: Variant) -> Candidate:
    """A Hub quantization the person picked (Discover) as a candidate."""
    return Candidate(f"{variant.repo}:{variant.quant}", variant=variant)


def read(candidate: Candidate, card_licences: dict[str, str | None] | None = None) -> ReadModel:
    """Read the candidate's header (locally, or a few byte ranges from the Hub). Without a
    general.license in the GGUF, a Hub model's licence comes from its card; `card_licences`
    keeps the cards read (by repo@revision) so a repository's card is fetched once."""
    from spark_desktop.gguf import read_model

    if candidate.path is not None:
        spec = read_model(candidate.path)
        return ReadModel(candidate, spec, spec.license)
    from spark_desktop.hub import remote_spec

    variant = candidate.variant
    assert variant is not None
    spec = remote_spec(variant)
    licence = spec.license or _card_licence(variant, {} if card_licences is None
                                            else card_licences)
    return ReadModel(candidate, spec, licence)


def _card_licence(variant: Variant, known: dict[str, str | None]) -> str | None:
    from spark_desktop.hub.card import card_license

    key = f"{variant.repo}@{variant.revision}"
    if key not in known:
        try:
            known[key] = card_license(variant.repo, variant.revision)
        except SparkError:
            return None  # the licence stays unknown; the figures do not depend on it
    return known[key]


def active_parameters(spec: ModelSpec) -> int:
    """Parameters one token uses: all of them, less the routed experts it does not use."""
    if not spec.n_expert or not spec.n_expert_used:
        return spec.parameters
    experts = 0
    for t in spec.tensors:
        if "_exps" in t.name:
            elements = 1
            for d in t.shape:
                elements *= d
            experts += elements
    return spec.parameters - experts * (spec.n_expert - spec.n_expert_used) // spec.n_expert


def judge(model: ReadModel, fit: FitFunction) -> SpecRow:
    """The row of a read model: its description and `fit`'s estimate (an estimate that
    cannot be made is the row's error)."""
    spec, candidate = model.spec, model.candidate
    described = SpecRow(
        model=candidate.label, repo=candidate.repo, architecture=spec.architecture,
        parameters=spec.parameters, active_parameters=active_parameters(spec),
        quantization=spec.quantization, file_size=spec.file_size,
        context_length=spec.context_length, license=model.license)
    try:
        est = fit(spec)
    except SparkError as exc:
        return replace(described, error=str(exc))
    return replace(described, context=est.settings.n_ctx, target=est.target,
                   memory=est.total, usable=sum(u.limit for u in est.pools),
                   verdict=est.verdict.value, max_context=est.max_context,
                   decode_tps=est.decode_tps, prefill_tps=est.prefill_tps)


def unread(candidate: Candidate, problem: str | None = None) -> SpecRow:
    """The row of a candidate whose header is not read (yet, or at all: `problem` says
    why): what is known without it."""
    v = candidate.variant
    return SpecRow(model=candidate.label, repo=candidate.repo,
                   quantization=v.quant if v is not None else None,
                   file_size=v.size if v is not None else None, error=problem)


def spec_rows(references: Sequence[str], fit: FitFunction,
              workers: int = 4) -> tuple[SpecRow, ...]:
    """The sheet for `references`, in order; each that cannot be resolved or read is a row
    with the reason. Hub headers are read a few at a time; the library is scanned once."""
    from spark_desktop.library import scan

    named = [r for r in references if not Path(r).expanduser().exists()]
    library = scan() if named else None

    def resolve(reference: str) -> tuple[Candidate, ...] | SpecRow:
        try:
            return candidates(reference, library)
        except ROW_ERRORS as exc:
            return SpecRow(model=reference, error=str(exc))

    licences: dict[str, str | None] = {}

    def row(candidate: Candidate) -> SpecRow:
        try:
            return judge(read(candidate, licences), fit)
        except ROW_ERRORS as exc:
            return unread(candidate, str(exc))

    with ThreadPoolExecutor(max_workers=workers) as pool:
        resolved = list(pool.map(resolve, references))
        todo = [c for r in resolved if not isinstance(r, SpecRow) for c in r]
        judged = iter(pool.map(row, todo))
        rows: list[SpecRow] = []
        for r in resolved:
            rows += [r] if isinstance(r, SpecRow) else [next(judged) for _ in r]
    return tuple(rows)
