"""The spec sheet's GUI-thread work: re-judging every row (a fit estimate each) when the
context or the target changes, and painting the chart (target: ≤ 30 ms for a full sheet).

The rows are the header-only specs of the models benchmarked on the DGX Spark (large MoE
and dense shapes, tests/fixtures/spark_models.py), each added `--copies` times, as if read
from the Hub; headers are read off the GUI thread in the app, so they are not timed here.

    QT_QPA_PLATFORM=offscreen python benchmarks/spec_sheet_bench.py [--copies 4]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtWidgets import QApplication

from spark_desktop.compare.spec import Candidate, ReadModel
from spark_desktop.fit.profile import profile
from spark_desktop.hardware import resolve_target
from spark_desktop.ui.pages.spec_sheet import SpecSheet, _Entry
from spark_desktop.ui.services import Services
from tests.fixtures.spark_models import SHAPES, spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="rows per Spark model shape")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    services = Services()
    services.target = resolve_target("spark")
    sheet = SpecSheet(services)
    rows = []
    for copy in range(args.copies):
        for shape in SHAPES.values():
            candidate = Candidate(f"{shape.repo}:{copy}")
            model = spec(shape)
            profile(model)  # the app's reader thread condenses each header it reads
            rows.append(ReadModel(candidate, model, None))
    slices: list[float] = []
    judge_some = sheet._judge_some

    def timed() -> None:
        start = time.perf_counter()
        judge_some()
        slices.append((time.perf_counter() - start) * 1000)

    sheet._timer.timeout.disconnect()
    sheet._timer.timeout.connect(timed)
    sheet.show()
    for model in rows:  # each header arrives as the app's reader thread delivers it
        sheet.add([model.candidate])
        sheet._settle(model.candidate, _Entry(model.candidate, model))
        while sheet.judging:
            app.processEvents()
    arriving, slices = slices, []
    changes = []
    for n_ctx in (4096, 8192, 16384, 32768, 65536, 131072) * 2:
        start = time.perf_counter()
        sheet.context.setValue(n_ctx)  # every row is judged again, a slice at a time
        while sheet.judging:
            app.processEvents()
        changes.append((time.perf_counter() - start) * 1000)
    paints = []
    for _ in range(10):
        start = time.perf_counter()
        sheet.chart.grab()
        paints.append((time.perf_counter() - start) * 1000)
    print(f"rows: {len(rows)} (Spark model shapes x {args.copies}); GUI-thread slices, ms:")
    print(f"  rows arriving one by one: median {statistics.median(arriving):.1f}, "
          f"max {max(arriving):.1f}")
    print(f"  context changes: longest slice {max(slices):.1f}, median "
          f"{statistics.median(slices):.1f}; every row shows its new figures (painting "
          f"between slices) in median {statistics.median(changes):.1f} ms")
    print(f"  chart paint: median {statistics.median(paints):.1f}, max {max(paints):.1f}")
    services.shutdown()


if __name__ == "__main__":
    main()
