"""Model ids: the stable names by which API clients and the GUI ask the host for a model.

A model's id is its file name without `.gguf` (and without the split suffix), as the
library shows it, e.g. `SmolLM2-135M-Instruct.Q4_1`. A Hub model can also be named
`org/repo:QUANT`, the way Ollama and LM Studio spell Hub models. Where two files
share a name, the first one the library lists keeps it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from spark_desktop.library import LocalModel


@dataclass(frozen=True)
class ModelEntry:
    """A model the host can serve: on disk, and whether (and at what cost) it is loaded."""

    id: str
    path: Path
    size: int
    quant: str
    repo: str | None
    loaded: bool = False
    memory: int = 0         # bytes charged in the ledger while loaded
    n_ctx: int = 0          # context of the loaded model
    busy: int = 0           # requests running or waiting
    notes: tuple[str, ...] = ()  # what the engine changed at load, and why (LoadedModel)
    template_tools: bool = False  # its chat template renders tools itself (not "generic")


Scan = Callable[[], Sequence[LocalModel]]


def model_id(model: LocalModel) -> str:
    return model.name


def index(models: Sequence[LocalModel]) -> dict[str, LocalModel]:
    """Usable models by id, first one winning; files whose header cannot be read are left out."""
    found: dict[str, LocalModel] = {}
    for model in models:
        if model.problem is None:
            found.setdefault(model_id(model), model)
    return found


def resolve(name: str, models: dict[str, LocalModel]) -> LocalModel | None:
    """The model called `name`: its id, or `org/repo:QUANT` for a Hub model (any case)."""
    if name in models:
        return models[name]
    wanted = name.strip().lower()
    for key, model in models.items():
        if key.lower() == wanted:
            return model
        if model.repo and f"{model.repo}:{model.quant}".lower() == wanted:
            return model
    return None
