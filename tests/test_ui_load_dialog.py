"""The load dialog's memory bar follows the context slider and the KV cache type live; the
target is named as people say it and the legend never breaks inside a figure."""

from __future__ import annotations

from pathlib import Path

from spark_desktop.gguf import read_model
from spark_desktop.hardware import resolve_target
from spark_desktop.inference_settings import LoadSettings
from spark_desktop.ui import fitview
from spark_desktop.ui.pages.load_dialog import CTX_STEP, LoadDialog


def _kv(dialog: LoadDialog) -> int:
    return next(s.size for s in dialog.bar.segments if s.label == "KV cache")


def test_memory_bar_updates_with_slider_and_kv_type(qtbot, test_model: Path) -> None:
    spec = read_model(test_model)
    target = resolve_target("spark")
    dialog = LoadDialog("gemma", spec, target, LoadSettings(n_ctx=4096), None)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.bar.pool == target.total_bytes
    assert dialog.ctx_spin.value() == 4096 and dialog.ctx_slider.value() == 4096 // CTX_STEP
    kv_4k, used_4k = _kv(dialog), dialog.bar.used
    assert kv_4k > 0 and "fits" in dialog.verdict.text()

    dialog.ctx_slider.setValue(dialog.ctx_slider.maximum())  # the model's full context
    assert dialog.ctx_spin.value() == spec.context_length
    assert _kv(dialog) > kv_4k and dialog.bar.used > used_4k
    assert "KV\u00a0cache" in dialog.legend.text()

    kv_f16 = _kv(dialog)
    dialog.kv_type.setCurrentText("q8_0")
    assert _kv(dialog) < kv_f16
    assert dialog.load_settings() == LoadSettings(n_ctx=spec.context_length, type_k="q8_0",
                                                  type_v="q8_0", n_gpu_layers=-1)
    dialog.flash_attn.setChecked(False)  # a q8_0 V cache needs it: the estimate says so
    assert dialog.load_settings().flash_attn == "off" and dialog.estimate.notes
    dialog.flash_attn.setChecked(True)
    assert dialog.load_settings().flash_attn == "auto"  # the defaults' choice, kept
    assert "tok/s" in dialog.speed.text()


def test_too_big_for_the_pool_is_red(qtbot, test_model: Path) -> None:
    spec = read_model(test_model)
    dialog = LoadDialog("gemma", spec, resolve_target("0.1"), LoadSettings(n_ctx=4096), None)
    qtbot.addWidget(dialog)
    assert "does not fit" in dialog.verdict.text()
    assert dialog.bar.used > dialog.bar.pool
    assert not dialog.use_max.isVisibleTo(dialog)


def test_amber_offers_the_largest_context_that_fits(qtbot, test_model: Path) -> None:
    spec = read_model(test_model)
    dialog = LoadDialog("gemma", spec, resolve_target("2"), LoadSettings(n_ctx=32768), None)
    qtbot.addWidget(dialog)
    assert "less context" in dialog.verdict.text()
    assert dialog.use_max.isVisibleTo(dialog)
    best = dialog.estimate.max_context
    dialog.use_max.click()
    assert dialog.ctx_spin.value() == best and "fits" in dialog.verdict.text()
    assert "less context" not in dialog.verdict.text()
    assert not dialog.use_max.isVisibleTo(dialog)


def test_targets_are_named_in_words(qtbot, test_model: Path) -> None:
    labels = {name: fitview.target_label(resolve_target(name))
              for name in ("spark", "spark2", "this", "48", "8")}
    assert labels == {"spark": "a DGX Spark", "spark2": "two DGX Sparks",
                      "this": "this machine", "48": "a 48 GiB pool", "8": "an 8 GiB pool"}
    spark = resolve_target("spark")
    assert fitview.planning_text(spark) == "Planning for a DGX Spark — 115.7 GiB usable, 273 GB/s"
    dialog = LoadDialog("gemma", read_model(test_model), spark, LoadSettings(n_ctx=4096), None)
    qtbot.addWidget(dialog)
    assert dialog.pool_label.text() == "Memory on a DGX Spark (115.7 GiB usable):"


def test_the_legend_wraps_between_figures_only(qtbot, test_model: Path) -> None:
    dialog = LoadDialog("gemma", read_model(test_model), resolve_target("spark"),
                        LoadSettings(n_ctx=8192), None)
    qtbot.addWidget(dialog)
    dialog.resize(420, 0)  # narrow: the legend takes several lines
    dialog.show()
    text = dialog.legend.text()
    for unit in ("MiB", "GiB"):
        assert f" {unit}" not in text and f"\u00a0{unit}" in text
    assert "free\u00a0" in text and "KV\u00a0cache" in text
