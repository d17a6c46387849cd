"""Print the fit estimate against llama.cpp's own plan (no_alloc dry run, CPU backend).

    .venv/bin/python benchmarks/fit_accuracy.py [--quick]

Models: the real Gemma 3 270M Q4_K_M, tiny real models (llama, gemma3 with a
sliding window, qwen3moe, mamba) and header-only stubs with the dimensions of
Llama 3.1 8B, Qwen3-30B-A3B and Gemma 3 27B; contexts from 512 to each model's maximum; KV
f16 and q8_0; flash attention on (plus a few runs without). Each row shows the
estimate, llama.cpp's figure and the error for weights, KV cache, compute, output
and their sum. Errors of buffers of a few KiB are dominated by llama.cpp printing
MiB with two decimals (±0.005 MiB per line).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures.fit_accuracy import (
    compare_many,
    write_accuracy_models,
    write_real_scale_stubs,
)
from tests.fixtures.real_model import real_model_path

PARTS = ("weights", "kv_cache", "compute", "output", "total")


def _mib(n: int) -> str:
    return f"{n / 1048576:9.3f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer contexts")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        models = write_accuracy_models(Path(tmp))
        models = {"gemma-3-270m": real_model_path(), **models,
                  **write_real_scale_stubs(Path(tmp) / "stubs")}
        contexts = {"gemma-3-270m": (512, 4096, 32768), "llama": (512, 2048, 8192),
                    "gemma3": (512, 2048, 8192), "qwen3moe": (512, 4096),
                    "mamba": (512, 4096), "llama-8b-shape": (4096, 32768, 131072),
                    "qwen3-30b-a3b-shape": (4096, 40960),
                    "gemma3-27b-shape": (4096, 32768, 131072)}
        if args.quick:
            contexts = {k: (v[0], v[-1]) for k, v in contexts.items()}
        print(f"{'model':<20}{'ctx':>6} {'kv':<5}{'fa':<4}{'swa':<5}{'seq':<4}"
              + "".join(f"{p + ' est/llama.cpp MiB (err %)':>40}" for p in PARTS))
        worst = dict.fromkeys(PARTS, 0.0)
        for name, ctxs in contexts.items():
            cases = [(ctx, kv, True, True, 1) for ctx in ctxs for kv in ("f16", "q8_0")]
            if "gemma" in name:
                cases += [(ctx, "f16", True, False, 1) for ctx in ctxs]  # window-sized SWA
            if name != "mamba":
                cases.append((ctxs[1], "f16", False, True, 1))  # without flash attention
            cases.append((ctxs[-1], "q4_0", True, True, 4))  # four parallel sequences
            for c in compare_many(name, models[name], cases):
                cells = []
                for part in PARTS:
                    truth = c.llama.total if part == "total" else getattr(c.llama, part)
                    err = (c.estimate[part] - truth) / truth * 100 if truth else 0.0
                    worst[part] = max(worst[part], c.error(part) * 100)
                    cells.append(f"{_mib(c.estimate[part])}/{_mib(truth)} ({err:+6.2f})")
                bad = c.within_bounds()
                s = c.settings
                print(f"{name:<20}{s.n_ctx:>6} {s.type_v:<5}{s.flash_attn:<4}"
                      f"{'full' if s.swa_full else 'win':<5}{s.n_seq:<4}"
                      + "".join(f"{cell:>40}" for cell in cells)
                      + (f"  OUT OF BOUNDS: {','.join(bad)}" if bad else ""), flush=True)
        print("worst error after print rounding, %: "
              + ", ".join(f"{p} {w:.2f}" for p, w in worst.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
