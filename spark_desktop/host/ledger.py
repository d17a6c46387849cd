"""The memory ledger: what every loaded model costs against the pool the host may fill.

A load is first charged with the fit estimate for its file and load settings (so a
load that cannot fit is refused before a byte is allocated), then with what
llama.cpp reported once the model is in memory. Pure bookkeeping: no locks here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from spark_desktop.engine import LoadedModel
from spark_desktop.fit import FitEstimate, estimate
from spark_desktop.gguf import read_model
from spark_desktop.hardware import Pool, Target
from spark_desktop.host.errors import DoesNotFitError
from spark_desktop.inference_settings import LoadSettings


def pool_target(pool_bytes: int) -> Target:
    """One memory pool of the given size, as the fit estimator takes it."""
    return Target("host pool", (Pool("host pool", pool_bytes, 100e9, 1e12, "unified"),),
                  unified=True)


def machine_pool() -> int:
    """Bytes this machine can give models now (GPU memory and system memory together)."""
    from spark_desktop.hardware import probe
    from spark_desktop.hardware.targets import target_for_machine

    return target_for_machine(probe()).total_bytes


def estimated(path: Path, options: LoadSettings, pool_bytes: int) -> FitEstimate:
    """The fit estimate for this load (its total is what the ledger charges first)."""
    spec = read_model(path)
    return estimate(spec, options, pool_target(pool_bytes))


def reported_cost(loaded: LoadedModel, planned: FitEstimate) -> int:
    """What llama.cpp allocated, where its log said (plus the runtime overhead it does not
    print, as estimated); the estimate where it did not."""
    if not loaded.memory.lines:
        return planned.total
    return loaded.memory.total + planned.overhead


@dataclass
class Ledger:
    """Bytes charged per model id, against a pool of `pool` bytes."""

    pool: int
    charges: dict[str, int] = field(default_factory=dict)

    @property
    def used(self) -> int:
        return sum(self.charges.values())

    @property
    def free(self) -> int:
        return max(0, self.pool - self.used)

    def fits(self, cost: int, without: tuple[str, ...] = ()) -> bool:
        """Whether `cost` more bytes fit if the models in `without` were unloaded first."""
        kept = sum(size for name, size in self.charges.items() if name not in without)
        return kept + cost <= self.pool

    def refuse(self, model_id: str, cost: int) -> DoesNotFitError:
        return DoesNotFitError(model_id, cost, self.free, self.pool,
                               tuple(sorted(self.charges.items())))

    def charge(self, model_id: str, cost: int) -> None:
        self.charges[model_id] = cost

    def release(self, model_id: str) -> None:
        self.charges.pop(model_id, None)
