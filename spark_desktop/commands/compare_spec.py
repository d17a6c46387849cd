"""`spark-desktop compare --spec MODEL|REPO:QUANT …`: the spec sheet, without running
anything (the `compare` command's --spec flag calls run_spec).

Each model is resolved and estimated as `fit` does it (same settings, target, RPC peers
and corrections from runs measured here); a model that cannot be read is a row with the
reason, and the exit code is 2 when any row has one.
"""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spark_desktop.compare.spec import FitFunction, SpecRow

from spark_desktop.commands.fit import _size

#: The text table's columns: title, how a row shows in it, right-aligned.
_COLUMNS = (
    ("MODEL", lambda r: r.model, False),
    ("ARCH", lambda r: r.architecture or "", False),
    ("PARAMS", lambda r: _billions(r.parameters), True),
    ("ACTIVE", lambda r: _billions(r.active_parameters), True),
    ("QUANT", lambda r: r.quantization or "", False),
    ("SIZE", lambda r: _bytes(r.file_size), True),
    ("MEMORY", lambda r: _bytes(r.memory), True),
    ("FITS", lambda r: {"fits": "yes", "fits_reduced": "reduced",
                        "does_not_fit": "no"}.get(r.verdict or "", ""), False),
    ("MAX CTX", lambda r: "" if r.max_context is None else str(r.max_context), True),
    ("DECODE", lambda r: "" if r.decode_tps is None else f"{r.decode_tps:.1f}", True),
    ("PREFILL", lambda r: "" if r.prefill_tps is None else f"{r.prefill_tps:.0f}", True),
    ("LICENCE", lambda r: r.license or "", False),
    ("CTX LEN", lambda r: "" if r.context_length is None else str(r.context_length), True),
)


def run_spec(args: argparse.Namespace) -> int:
    """Print the spec sheet of `args.models` at `args.ctx` on `args.target` (`args.rpc`:
    peers joining the target, as `fit --rpc`); `args.json`: a list of row objects."""
    from spark_desktop.compare.spec import spec_rows

    rows = spec_rows(list(args.models), fit_function(args))
    if args.json:
        print(json.dumps([r.to_dict() for r in rows]))
    else:
        print(format_sheet(rows))
    return 2 if any(r.error for r in rows) else 0


def fit_function(args: argparse.Namespace) -> FitFunction:
    """spec -> FitEstimate as `fit MODEL --ctx --target --rpc` makes it."""
    from spark_desktop.commands.fit import learns_here, learnt, load_settings, planned_target
    from spark_desktop.fit import estimate, measured
    from spark_desktop.hardware.probe import probe

    settings = load_settings(ctx=args.ctx)
    target_name = args.target or "this"
    rpc = getattr(args, "rpc", None)
    machine = probe()
    target = planned_target(target_name, rpc, machine)
    runs = measured.load_runs() if learns_here(target_name, machine) and not rpc else None
    return lambda spec: estimate(spec, settings, target,
                                 correction=learnt(spec, settings, machine, runs)[1])


def format_sheet(rows: tuple[SpecRow, ...]) -> str:
    """An aligned table, one line per model; a row's error on its own line beneath it."""
    cells = [[title for title, _, _ in _COLUMNS]] + [
        [show(r) for _, show, _ in _COLUMNS] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if right else v.ljust(w) for v, w, (_, _, right)
                         in zip(values, widths, _COLUMNS)).rstrip()

    out = [line(cells[0])]
    for row, values in zip(rows, cells[1:]):
        out.append(line(values))
        if row.error:
            out.append(f"  error: {row.error}")
    first = next((r for r in rows if r.target), None)
    if first is not None:
        out += ["", (f"memory and speed at a context of {first.context} tokens on "
                     f"{first.target}; decode and prefill in tokens/s")]
    return "\n".join(out)


def _billions(n: int | None) -> str:
    return "" if n is None else f"{n / 1e9:.2f} B" if n >= 1e8 else f"{n / 1e6:.0f} M"



def _bytes(n: int | None) -> str:
    return "" if n is None else _size(n)
