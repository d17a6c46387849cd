"""The load dialog charts predicted decode speed against the context used, and shows what
this machine measured for the model next to the prediction."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PySide6.QtGui import QColor

from spark_desktop.engine import ChatDone
from spark_desktop.engine.events import LoadedModel, ModelInfo
from spark_desktop.engine.memory_report import MemoryReport
from spark_desktop.fit import measured
from spark_desktop.gguf import read_model
from spark_desktop.hardware import resolve_target
from spark_desktop.hardware.probe import probe
from spark_desktop.inference_settings import LoadSettings
from spark_desktop.ui.pages.load_dialog import LoadDialog
from spark_desktop.ui.speedchart import LINE


def test_chart_follows_the_context_and_falls_with_depth(qtbot, test_model: Path) -> None:
    spec = read_model(test_model)
    dialog = LoadDialog("gemma", spec, resolve_target("spark"), LoadSettings(n_ctx=8192), None)
    qtbot.addWidget(dialog)
    dialog.show()
    points = dialog.chart.points
    assert points[0][0] == 0 and points[-1][0] == 8192
    speeds = [tps for _, tps in points]
    assert speeds == sorted(speeds, reverse=True) and speeds[0] > speeds[-1] > 0
    assert speeds[0] == dialog.estimate.by_depth[0].decode_tps
    assert "with 8,192 tokens in it" in dialog.chart.toolTip()

    dialog.ctx_slider.setValue(dialog.ctx_slider.maximum())
    assert dialog.chart.points[-1][0] == spec.context_length
    assert dialog.chart.points[-1][1] < speeds[-1]
    image = dialog.chart.grab().toImage()
    line = QColor(LINE).rgb()
    assert any(image.pixel(x, y) == line
               for x in range(image.width()) for y in range(image.height()))


def test_measured_speed_and_the_learnt_correction_are_shown(qtbot, test_model: Path) -> None:
    info = ModelInfo(path=str(test_model), description="", architecture="gemma3", n_params=0,
                     size_bytes=0, n_ctx_train=32768, n_ctx=4096, n_layer=18, chat_template="gguf")
    loaded = LoadedModel(info=info, options=LoadSettings(threads=2),
                         memory=MemoryReport(0, 0, 0, 0), load_seconds=0.0, log_lines=())
    done = ChatDone(finish_reason="length", prompt_tokens=200, completion_tokens=100,
                    ttft_ms=1.0, prefill_tps=1.0, decode_tps=1.0, dropped_messages=0)
    run = measured.run_from_reply(loaded, done, probe())
    assert run is not None
    measured.record(dataclasses.replace(run, decode_tps=run.predicted_decode * 1.25,
                                        prefill_tps=run.predicted_prefill))
    spec = read_model(test_model)
    plain = LoadDialog("gemma", spec, resolve_target("spark"), LoadSettings(n_ctx=4096), None)
    here = LoadDialog("gemma", spec, resolve_target("this"), LoadSettings(n_ctx=4096), None)
    qtbot.addWidget(plain)
    qtbot.addWidget(here)
    assert "Measured here" not in plain.speed.text()
    assert f"Measured here: {run.predicted_decode * 1.25:.1f} tok/s" in here.speed.text()
    assert "measured on this machine" in here.speed.toolTip()
    assert "×1.25" in here.speed.toolTip()
    assert here.estimate.correction.decode == pytest.approx(1.25)
