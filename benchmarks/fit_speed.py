"""How long one fit estimate takes, and a 50-variant table with a moving context slider.

    .venv/bin/python benchmarks/fit_speed.py

Target: one estimate well under 1 ms, so the Discover table (50 variants) and the
context slider update live. Prints µs per estimate for the real Gemma 3 270M and a
Llama-70B-sized description, and the time of a full table refresh per slider step.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from spark_desktop.fit import estimate
from spark_desktop.hardware import resolve_target
from spark_desktop.hardware.probe import describe
from spark_desktop.inference_settings import LoadSettings
from tests.fixtures.real_model import real_model_path
from tests.fixtures.specs import make_spec


def _per_call_us(fn, n: int) -> float:
    fn()  # warm (profile cache)
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def main() -> int:
    machine = describe("benchmark CPU", 8, 64 * 2**30, 60 * 2**30, ())
    spark, spark2 = resolve_target("spark", machine), resolve_target("spark2", machine)
    settings = LoadSettings(n_ctx=32768)
    specs = {"llama-70b (80 layers)": make_spec()}
    from spark_desktop.gguf import read_model

    specs["gemma-3-270m (18 layers)"] = read_model(real_model_path())
    for name, spec in specs.items():
        for tname, target in (("spark", spark), ("spark2", spark2)):
            us = _per_call_us(
                lambda spec=spec, target=target: estimate(spec, settings, target), 2000)
            print(f"one estimate, {name}, target {tname}: {us:7.1f} µs")

    # 50 variants: 10 sizes x 5 quantizations, as the Discover table would show them.
    variants = [make_spec(n_layer=layers, n_embd=embd, n_ff=embd * 3, n_head=embd // 128,
                          n_head_kv=8, bits=bits)
                for layers, embd in ((16, 2048), (24, 2048), (28, 3072), (32, 4096), (36, 4096),
                                     (40, 5120), (48, 5120), (64, 5120), (80, 8192), (96, 8192))
                for bits in (3.5, 4.5, 5.5, 6.6, 8.5)]
    steps = [2048 * k for k in range(1, 65)]  # slider from 2k to 128k
    for v in variants:
        estimate(v, settings, spark)  # each variant's header is parsed once, as in the app
    start = time.perf_counter()
    for n_ctx in steps:
        step_settings = replace(settings, n_ctx=n_ctx)
        for v in variants:
            estimate(v, step_settings, spark)
    elapsed = time.perf_counter() - start
    n = len(steps) * len(variants)
    print(f"50-variant table x {len(steps)} slider steps: {n} estimates in {elapsed * 1e3:.0f} ms"
          f" = {elapsed / n * 1e6:.1f} µs per estimate, {elapsed / len(steps) * 1e3:.1f} ms "
          "per table refresh")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
