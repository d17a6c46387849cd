"""Refit fit.speed's GB10 shares to the published DGX Spark tables of the calibration set.

    .venv/bin/python benchmarks/calibrate_spark.py [--rounds 6]

Minimises the worst error (as a share of its bound: decode ±10 %, prefill ±15 %) and
then the squared log error of decode and prefill at every depth over the calibration
tables (tests/fixtures/spark_published.CALIBRATION) by coordinate search
from the shares in fit.speed.GPU, and prints the best shares with the worst errors of
the calibration and the check set. The printed shares are then written into fit/speed.py
by hand (rounded), so the app never fits anything at run time.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import fields, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spark_desktop.fit import speed
from tests.fixtures.spark_published import CALIBRATION, TABLES
from tests.test_spark_calibration import DECODE_BOUND, PREFILL_BOUND, errors

SCALARS = ("weights", "kv", "dense", "experts", "token_s", "layer_s")


def _loss(eff: speed.Efficiency) -> float:
    """The worst error as a share of its bound (squared, dominant), plus the mean squared
    log error, so the search first brings every point inside its bound."""
    speed.GPU = eff
    errs = errors(True)
    worst = max(abs(err) / (DECODE_BOUND if phase == "decode" else PREFILL_BOUND)
                for _, _, phase, err in errs)
    return worst ** 2 + sum(math.log1p(err) ** 2 for *_, err in errs) / len(errs)


def _with(eff: speed.Efficiency, name: str, value: float) -> speed.Efficiency:
    if name.startswith("attention"):
        size = int(name.split("_")[1])
        return replace(eff, attention=tuple((h, value if h == size else v)
                                            for h, v in eff.attention))
    return replace(eff, **{name: value})


def _get(eff: speed.Efficiency, name: str) -> float:
    if name.startswith("attention"):
        return dict(eff.attention)[int(name.split("_")[1])]
    return getattr(eff, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    best = speed.GPU
    names = [*SCALARS, *(f"attention_{h}" for h, _ in best.attention)]
    loss = _loss(best)
    step = 0.2
    for _ in range(args.rounds):
        for name in names:
            for factor in (1 + step, 1 / (1 + step)):
                trial = _with(best, name, _get(best, name) * factor)
                trial_loss = _loss(trial)
                if trial_loss < loss:
                    best, loss = trial, trial_loss
        step /= 2
    speed.GPU = best
    print("fitted:", ", ".join(f"{f.name}={getattr(best, f.name)!r}" for f in fields(best)
                               if f.name != "attention"), "attention", best.attention)
    for label, calibration in (("calibration", True), ("check", False)):
        errs = errors(calibration)
        for phase in ("decode", "prefill"):
            worst = max((e for e in errs if e[2] == phase), key=lambda e: abs(e[3]))
            print(f"{label:>11} {phase:>7}: worst {worst[3]:+.1%} ({worst[0]} at d{worst[1]})")
    print(f"tables: {len(TABLES)}, of which calibration {len(CALIBRATION)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
