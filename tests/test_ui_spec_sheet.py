"""The spec sheet in the app: two quantizations from Discover (the fake Hub) and a model of
My Models side by side, and the chart of the repository's quantizations with the fit line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHBoxLayout, QWidget

from spark_desktop import settings
from spark_desktop.fit.estimate import GIB, SAFETY_BYTES, SAFETY_FRACTION
from spark_desktop.hardware import resolve_target
from spark_desktop.ui.pages.discover import DiscoverPage
from spark_desktop.ui.pages.models import ModelsPage
from spark_desktop.ui.pages.spec_sheet import FIT_COLUMN, SpecSheet
from spark_desktop.ui.quantchart import RADIUS
from spark_desktop.ui.services import Services
from spark_desktop.ui.theme import GREEN, RED, badge_colour
from tests.fakehub import FakeHub, fake_hub, hub, tiny_files  # noqa: F401  (fixtures)
from tests.fixtures.real_model import smollm2_path


def _near(colour: QColor, wanted: QColor, tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in ((colour.red(), wanted.red()),
               (colour.green(), wanted.green()), (colour.blue(), wanted.blue())))


def test_quantizations_and_a_local_model_side_by_side_with_the_chart(
        qtbot, hub: FakeHub, tmp_path: Path) -> None:  # noqa: F811
    folder = tmp_path / "extra"
    folder.mkdir()
    (folder / smollm2_path().name).symlink_to(smollm2_path())
    settings.save(dataclasses.replace(settings.Settings(), extra_model_dirs=(str(folder),)))
    services = Services()
    services.target = resolve_target("spark")
    window = QWidget()
    discover, models = DiscoverPage(services), ModelsPage(services)
    row = QHBoxLayout(window)
    row.addWidget(discover)
    row.addWidget(models)
    qtbot.addWidget(window)
    window.show()

    discover.open_repo("acme/tiny-GGUF")
    view = discover.repo_view
    qtbot.waitUntil(lambda: view.variants.rowCount() == 3, timeout=15000)
    quants = [r.variant.quant for r in view.variants.values()]
    selection = view.table.selectionModel()
    for quant in ("Q4_0", "Q8_0"):
        selection.select(view.variants.index(quants.index(quant), 0),
                         QItemSelectionModel.SelectionFlag.Select
                         | QItemSelectionModel.SelectionFlag.Rows)
    qtbot.mouseClick(view.compare, Qt.MouseButton.LeftButton)
    sheet = window.findChild(SpecSheet)
    assert sheet is not None and sheet.isVisible()

    services.refresh_library()
    qtbot.waitUntil(lambda: models.model.rowCount() == 1, timeout=15000)
    models.table.selectRow(0)
    qtbot.mouseClick(models.compare_button, Qt.MouseButton.LeftButton)
    assert window.findChildren(SpecSheet) == [sheet]  # one sheet, the same one

    qtbot.waitUntil(lambda: sheet.rows.rowCount() == 3 and all(
        r.verdict for r in sheet.rows.values()), timeout=30000)
    rows = {r.quantization: r for r in sheet.rows.values()}
    assert set(rows) == {"Q4_0", "Q8_0", "Q4_1"}
    assert rows["Q4_0"].model == "acme/tiny-GGUF:Q4_0" and rows["Q4_0"].repo == "acme/tiny-GGUF"
    local = rows["Q4_1"]
    assert local.architecture == "llama" and local.license == "apache-2.0"
    assert local.file_size == smollm2_path().stat().st_size and local.repo is None
    assert all(r.fits and r.decode_tps > 0 and r.context == sheet.context.value()
               for r in rows.values())

    # a target between the two: the Q4_0 fits, the Q8_0 does not
    q4, q8 = rows["Q4_0"], rows["Q8_0"]
    usable = (q4.memory + q8.memory) // 2
    services.target = resolve_target(f"{(usable + SAFETY_BYTES) / (1 - SAFETY_FRACTION) / GIB:.6f}")
    sheet.rejudge()
    qtbot.waitUntil(lambda: not sheet.judging, timeout=5000)
    rows = {r.quantization: r for r in sheet.rows.values()}
    assert rows["Q4_0"].fits is True and rows["Q8_0"].fits is False
    fit_text = {r.quantization: sheet.rows.data(sheet.rows.index(i, FIT_COLUMN))
                for i, r in enumerate(sheet.rows.values())}
    assert fit_text["Q4_0"] == "fits" and fit_text["Q8_0"] != "fits"

    sheet.repo.setCurrentIndex(sheet.repo.findData("acme/tiny-GGUF"))
    chart = sheet.chart
    plotted = chart.plotted()
    assert [(p.label, p.fits) for _, p in plotted] == [("Q4_0", True), ("Q8_0", False)]
    (small, _), (large, _) = plotted
    assert small.x() < large.x()  # the larger file lies right of the smaller
    line = chart.limit_x()
    assert line is not None and small.x() < line < large.x()

    qtbot.waitExposed(sheet)
    image = chart.grab().toImage()
    scale = image.width() / chart.width()
    green, red = QColor(badge_colour(GREEN)), QColor(badge_colour(RED))

    def pixel(x: float, y: float) -> QColor:
        return QColor(image.pixel(round(x * scale), round(y * scale)))

    assert _near(pixel(small.x(), small.y()), green)          # a filled disc: fits
    assert not _near(pixel(large.x(), large.y()), red)        # a ring, hollow: does not
    assert _near(pixel(large.x() + RADIUS, large.y()), red, 90)
    column = [pixel(x, y) for y in range(int(chart.height() * 0.3), int(chart.height() * 0.6))
              for x in (line - 1, line, line + 1)]
    assert sum(_near(c, red, 60) for c in column) >= 10       # the dashed fit line

    sheet.table.selectRow(0)
    sheet.remove_selected()
    qtbot.waitUntil(lambda: sheet.rows.rowCount() == 2, timeout=5000)
    assert len(sheet.entries) == 2
    services.shutdown()


def test_a_sheet_row_that_cannot_be_read_says_why(qtbot, tmp_path: Path) -> None:
    cut = tmp_path / "cut-Q4_1.gguf"
    cut.write_bytes(smollm2_path().read_bytes()[:2_000_000])
    services = Services()
    services.target = resolve_target("spark")
    parent = QWidget()
    qtbot.addWidget(parent)
    from spark_desktop.compare.spec import Candidate
    from spark_desktop.ui.pages.spec_sheet import sheet_for

    sheet = sheet_for(parent, services)
    sheet.add([Candidate("cut", path=cut), Candidate("whole", path=smollm2_path())])
    qtbot.waitUntil(lambda: sheet.rows.rowCount() == 2 and all(
        r.verdict or r.error for r in sheet.rows.values()), timeout=15000)
    cut_row, whole = sheet.rows.values()
    assert "truncated" in cut_row.error and whole.fits
    assert sheet.rows.data(sheet.rows.index(0, FIT_COLUMN)) == "error"
    assert "truncated" in sheet.rows.data(sheet.rows.index(0, FIT_COLUMN),
                                          Qt.ItemDataRole.ToolTipRole)
    services.shutdown()
