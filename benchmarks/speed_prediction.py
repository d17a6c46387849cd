"""Predicted vs published DGX Spark speeds, and predicted vs measured on this machine.

    .venv/bin/python benchmarks/speed_prediction.py [--model PATH] [--tokens 128]
        [--repeats 2] [--threads N ...] [--spark-only]

First the table model x depth of llama.cpp's published DGX Spark runs (decode tg32 and
prefill pp2048 at depths 0 to 32768) against fit.estimate() on header-only specs of the
same files, with the error, calibration and check set apart (benchmarks/README.md).
Then, on this machine, it loads the model (the Gemma 3 270M Q4_K_M test model unless
--model) through the
engine worker, generates `--tokens` greedy tokens after a prompt of about 200
tokens, `--repeats` times with a fresh prompt each time, and prints the decode and
prefill tokens/s that llama.cpp reported (ChatDone) next to fit.estimate()'s
prediction for the same depth and thread count, with the ratio predicted/measured.
The load average is printed too: the machine may be shared, and a busy core slows
the measurement, not the prediction. Target: decode within ±30 % on this machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spark_desktop.engine import ChatDone, Client
from spark_desktop.fit import estimate
from spark_desktop.gguf import read_model
from spark_desktop.hardware.probe import cpu_flags, describe, probe
from spark_desktop.hardware.targets import target_for_machine
from spark_desktop.inference_settings import LoadSettings, SamplingSettings
from tests.fixtures.real_model import real_model_path
from tests.fixtures.spark_published import CALIBRATION, TABLES
from tests.test_spark_calibration import BENCH, SPARK, errors

N_CTX = 4096
#: About 200 tokens of prompt (checked with count_tokens and printed).
PROMPT = ("Question {}: here are some notes about lighthouses. " + " ".join(
    f"Note {i}: the keeper climbs the stairs, trims the wick and watches the sea."
    for i in range(12)) + " Now write a long story about the keeper.")


def measure(model: Path, threads: int, tokens: int, repeats: int,
            log_dir: Path) -> tuple[list[ChatDone], int]:
    """ChatDone of each repeat and the prompt's token count."""
    sampling = SamplingSettings(temperature=0.0, max_tokens=tokens, ignore_eos=True)
    done: list[ChatDone] = []
    with Client(log_path=log_dir / f"threads{threads}.log") as client:
        client.load(model, LoadSettings(n_ctx=N_CTX, threads=threads))
        n_prompt = client.count_tokens([{"role": "user", "content": PROMPT.format(0)}])
        for i in range(repeats):
            messages = [{"role": "user", "content": PROMPT.format(i + 1)}]  # no prompt cache
            for event in client.chat(messages, sampling):
                if isinstance(event, ChatDone):
                    done.append(event)
    return done, n_prompt


def spark_table() -> None:
    """Model x depth: predicted / published decode and prefill, and the errors."""
    from tests.test_spark_calibration import _SPECS

    print(f"{'DGX Spark':<34}{'depth':>6} {'decode pred/pub':>16} {'err':>6} "
          f"{'prefill pred/pub':>17} {'err':>6}")
    for set_name, calibration in (("calibration", True), ("check", False)):
        print(f"-- {set_name} set")
        for table in TABLES:
            if ((table.model, table.build) in CALIBRATION) != calibration:
                continue
            spec = _SPECS[table.model]
            for depth, published in table.decode.items():
                e = estimate(spec, BENCH, SPARK, depth=depth, prompt=2048)
                pp = table.prefill[depth]
                decode_error = e.decode_tps / published - 1
                print(f"{table.model + ' ' + table.build.split()[0]:<34}{depth:>6} "
                      f"{e.decode_tps:>7.1f}/{published:<8.1f} {decode_error:>+6.1%} "
                      f"{e.prefill_tps:>7.0f}/{pp:<9.0f} {e.prefill_tps / pp - 1:>+6.1%}")
    for label, calibration in (("calibration", True), ("check", False)):
        errs = errors(calibration)
        for phase in ("decode", "prefill"):
            worst = max((x for x in errs if x[2] == phase), key=lambda x: abs(x[3]))
            print(f"{label} {phase}: worst {worst[3]:+.1%} ({worst[0]}, depth {worst[1]}), "
                  f"{len([x for x in errs if x[2] == phase])} points")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, nargs="*",
                        help="thread counts to measure (default: the engine's, physical cores)")
    parser.add_argument("--spark-only", action="store_true",
                        help="print the DGX Spark table only (no model is loaded)")
    args = parser.parse_args()
    spark_table()
    if args.spark_only:
        return 0
    model = args.model or real_model_path()
    machine = probe()
    spec = read_model(model)
    print(f"\nthis machine (CPU row; llama.cpp as built here): model {model.name}; "
          f"CPU {machine.cpu_model}, {machine.cpu_cores} cores, "
          f"GPUs {[g.name for g in machine.gpus] or 'none'}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    header = (f"{'threads':>7} {'phase':>8} {'predicted':>10} {'measured':>18} {'ratio':>6}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for threads in args.threads or [machine.cpu_cores]:
            done, n_prompt = measure(model, threads, args.tokens, args.repeats, Path(tmp))
            # The prediction for a machine with `threads` cores: the engine uses one per core.
            target = target_for_machine(describe(
                machine.cpu_model, threads, machine.memory_total, machine.memory_available,
                machine.gpus, cpu_flags(), platform.machine()))
            depth = n_prompt + args.tokens // 2  # the middle of the generated reply
            decode = estimate(spec, LoadSettings(n_ctx=N_CTX), target, depth=depth).decode_tps
            prefill = estimate(spec, LoadSettings(n_ctx=N_CTX), target, depth=0,
                               prompt=n_prompt).prefill_tps
            for phase, predicted, values in (
                    ("decode", decode, [d.decode_tps for d in done]),
                    ("prefill", prefill, [d.prefill_tps for d in done])):
                med = statistics.median(values)
                runs = "/".join(f"{v:.1f}" for v in values)
                rows.append(f"{threads:>7} {phase:>8} {predicted:>10.1f} "
                            f"{med:>8.1f} ({runs:>8}) {predicted / med:>6.2f}")
            print(f"threads {threads}: prompt {n_prompt} tokens, {args.tokens} generated, "
                  f"depth {depth}", flush=True)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(header)
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
