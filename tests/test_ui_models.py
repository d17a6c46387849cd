"""The Qt item models over the core's values: rows, columns, roles, in-place updates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from spark_desktop.gguf import read_model
from spark_desktop.hardware import resolve_target
from spark_desktop.hub import DownloadProgress, HubFile, SearchResult, State, Variant
from spark_desktop.inference_settings import LoadSettings
from spark_desktop.library import LocalModel
from spark_desktop.ui import fitview
from spark_desktop.ui.models import (
    DownloadsModel,
    LocalModelsModel,
    SearchResultsModel,
    VariantsModel,
)
from spark_desktop.ui.models.downloads import PROGRESS_ROLE
from spark_desktop.ui.models.table import SORT_ROLE, VALUE_ROLE
from spark_desktop.ui.models.variants import FIT_COLUMN, variant_key

DISPLAY = Qt.ItemDataRole.DisplayRole


def _text(model, row: int) -> list[str]:
    return [model.data(model.index(row, c), DISPLAY) for c in range(model.columnCount())]


def _result(repo: str, downloads: int, gated: bool = False) -> SearchResult:
    return SearchResult(repo=repo, author=repo.split("/")[0], downloads=downloads, likes=7,
                        updated=datetime(2026, 1, 2, tzinfo=UTC), tags=("gguf",),
                        gated=gated, parameters=7_240_000_000, architecture="llama",
                        context_length=8192)


def _variant(quant: str, size: int, complete: bool = True) -> Variant:
    f = HubFile(path=f"m-{quant}.gguf", size=size, sha256="a" * 64)
    return Variant(repo="org/m", revision="b" * 40, quant=quant, name=f"m-{quant}.gguf",
                   folder="", files=(f,), size=size, complete=complete)


def test_search_results_rows_and_paging(qtbot) -> None:
    model = SearchResultsModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_values([_result("org/a", 12345), _result("org/b", 5, gated=True)])
    assert model.rowCount() == 2
    assert _text(model, 0) == ["org/a", "12.3k", "7", "2026-01-02", "7.2B", "open"]
    assert _text(model, 1)[-1] == "gated"
    assert "licence" in model.data(model.index(1, 5), Qt.ItemDataRole.ToolTipRole)
    assert model.data(model.index(0, 1), SORT_ROLE) == 12345
    model.append((_result("org/c", 1),))
    assert model.rowCount() == 3
    assert model.data(model.index(2, 0), VALUE_ROLE).repo == "org/c"


def test_variants_rows_get_fit_later(qtbot) -> None:
    model = VariantsModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    small, split = _variant("Q4_K_M", 4_000_000_000), _variant("Q8_0", 8_000_000_000, False)
    model.set_variants((small, split))
    assert _text(model, 0)[:4] == ["Q4_K_M", "3.7 GiB", "checking…", "—"]
    assert _text(model, 1)[2] == "incomplete"
    changed = []
    model.dataChanged.connect(lambda a, b: changed.append((a.row(), b.row())))
    model.set_estimate(variant_key(small), problem="The Hub cannot be reached.")
    assert changed == [(0, 0)]
    assert _text(model, 0)[2] == "unknown"
    tip = model.data(model.index(0, FIT_COLUMN), Qt.ItemDataRole.ToolTipRole)
    assert tip == "The Hub cannot be reached."


def test_fit_and_speed_tooltips_name_the_target(qtbot, test_model: Path) -> None:
    spark = resolve_target("spark")
    estimate = fitview.estimate(read_model(test_model), LoadSettings(n_ctx=4096), spark)
    model = VariantsModel()
    variant = _variant("Q4_K_M", 250_000_000)
    model.set_variants((variant,))
    model.set_estimate(variant_key(variant), estimate=estimate,
                       where=fitview.target_label(spark))
    tip = model.data(model.index(0, FIT_COLUMN), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("On a DGX Spark: ") and "115.7 GiB" in tip
    speed_tip = model.data(model.index(0, FIT_COLUMN + 1), Qt.ItemDataRole.ToolTipRole)
    assert speed_tip == "Predicted decode speed on a DGX Spark"


def _progress(job: str, state: State, done: int, error: str | None = None) -> DownloadProgress:
    return DownloadProgress(id=job, repo="org/m", name="m-Q4_K_M.gguf", state=state,
                            bytes=done, total=1000, speed=250.0, eta=3.0, error=error)


def test_downloads_update_in_place(qtbot) -> None:
    model = DownloadsModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    assert model.update(_progress("a", State.RUNNING, 250)) == 0
    assert model.update(_progress("b", State.QUEUED, 0)) == 1
    assert _text(model, 0)[:5] == ["org/m · m-Q4_K_M.gguf", "250 B of 1000 B", "250 B/s",
                                   "3 s", "Downloading"]
    assert model.data(model.index(0, 1), PROGRESS_ROLE) == 250
    assert model.update(_progress("a", State.FAILED, 500, "Disk full: free 2 GB.")) == 0
    assert model.rowCount() == 2
    assert _text(model, 0)[2:5] == ["", "", "Failed: Disk full: free 2 GB."]
    assert [p.id for p in model.values()] == ["a", "b"]


def test_local_models_columns(qtbot, tmp_path: Path) -> None:
    model = LocalModelsModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    path = tmp_path / "gemma-Q4_K_M.gguf"
    good = LocalModel(name="gemma-Q4_K_M", repo="org/gemma", quant="Q4_K_M", size=253_000_000,
                      path=path, parts=(path,), architecture="gemma3", parameters=268_000_000,
                      context_length=32768, has_chat_template=False, license=None,
                      source="models")
    bad = LocalModel(name="broken", repo=None, quant="?", size=10, path=tmp_path / "b.gguf",
                     parts=(), architecture=None, parameters=None, context_length=None,
                     has_chat_template=False, license=None, source="extra",
                     problem="not a GGUF file")
    model.set_values([good, bad])
    assert _text(model, 0) == ["org/gemma · gemma-Q4_K_M", "Q4_K_M", "241.3 MiB", "gemma3",
                               "268M", "32,768", "downloads"]
    assert _text(model, 1)[3:] == ["—", "—", "—", "extra folder"]
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ToolTipRole) == "not a GGUF file"
    assert model.data(model.index(1, 0), Qt.ItemDataRole.ForegroundRole) is not None
    assert model.row_of_path(path) == 0
