"""Load settings for one model, with a live memory bar against the planning target's pool.

The fit estimate takes well under a millisecond, so it runs on the GUI thread on every
move of the context slider or change of KV type; the header was read beforehand.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.inference_settings import KV_TYPES, LoadSettings
from spark_desktop.ui import fitview
from spark_desktop.ui.format import grouped, human_bytes
from spark_desktop.ui.speedchart import SpeedChart
from spark_desktop.ui.widgets import MemoryBar

CTX_STEP = 256


class LoadDialog(QDialog):
    def __init__(self, title: str, spec: Any, target: Any, defaults: LoadSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Load {model}").format(model=title))
        self.spec = spec
        self.target = target
        self.defaults = defaults
        self.estimate: Any = None
        self.learnt = fitview.learnt_here(target)
        max_ctx = max(CTX_STEP, int(spec.context_length or defaults.n_ctx))
        self.ctx_slider = QSlider(Qt.Orientation.Horizontal)
        self.ctx_slider.setRange(1, max(1, max_ctx // CTX_STEP))
        self.ctx_slider.setPageStep(8)
        self.ctx_spin = QSpinBox(minimum=CTX_STEP, maximum=max_ctx, singleStep=CTX_STEP)
        self.ctx_spin.setSuffix(self.tr(" tokens"))
        self.kv_type = QComboBox()
        self.kv_type.addItems(KV_TYPES)
        self.gpu_layers = QSpinBox(minimum=-1, maximum=max(spec.n_layer, 0) + 1,
                                   specialValueText=self.tr("all"))
        self.flash_attn = QCheckBox(
            self.tr("Flash attention (smaller compute buffer at long contexts)"))
        self.bar = MemoryBar()
        self.legend = QLabel("")
        self.legend.setWordWrap(True)
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.speed = QLabel("")
        self.speed.setWordWrap(True)
        self.chart = SpeedChart()
        self.use_max = QPushButton("")
        self.use_max.clicked.connect(lambda: self._set_ctx(self.estimate.max_context))
        ctx_row = QHBoxLayout()
        ctx_row.addWidget(self.ctx_slider, 1)
        ctx_row.addWidget(self.ctx_spin)
        form = QFormLayout()
        form.addRow(self.tr("Context length"), ctx_row)
        form.addRow(self.tr("KV cache type"), self.kv_type)
        form.addRow(self.tr("GPU layers"), self.gpu_layers)
        form.addRow("", self.flash_attn)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.load_button = buttons.addButton(self.tr("Load"),
                                             QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        self.pool_label = QLabel(self.tr("Memory on {target}:").format(
            target=fitview.target_text(target)))
        layout.addWidget(self.pool_label)
        layout.addWidget(self.bar)
        # A cluster: one bar per node, each against that node's own memory.
        self.node_bars: list[tuple[QLabel, MemoryBar]] = []
        if getattr(target, "linked", False):
            for pool in target.pools:
                label, bar = QLabel(fitview.pool_name(pool.name)), MemoryBar()
                bar.setMinimumHeight(14)
                layout.addWidget(label)
                layout.addWidget(bar)
                self.node_bars.append((label, bar))
        layout.addWidget(self.legend)
        layout.addWidget(self.verdict)
        layout.addWidget(self.use_max, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.speed)
        layout.addWidget(self.chart)
        layout.addWidget(buttons)
        self.resize(560, 0)
        self._set_ctx(min(defaults.n_ctx, max_ctx))
        self.kv_type.setCurrentText(defaults.type_v)
        self.gpu_layers.setValue(defaults.n_gpu_layers)
        self.flash_attn.setChecked(defaults.uses_flash_attn)
        self.ctx_slider.valueChanged.connect(lambda v: self._set_ctx(v * CTX_STEP))
        self.ctx_spin.valueChanged.connect(self._set_ctx)
        self.kv_type.currentIndexChanged.connect(self.refresh)
        self.gpu_layers.valueChanged.connect(self.refresh)
        self.flash_attn.toggled.connect(self.refresh)
        self.refresh()

    def _set_ctx(self, n_ctx: int) -> None:
        for w, v in ((self.ctx_slider, max(1, round(n_ctx / CTX_STEP))), (self.ctx_spin, n_ctx)):
            w.blockSignals(True)
            w.setValue(v)
            w.blockSignals(False)
        self.refresh()

    def load_settings(self) -> LoadSettings:
        """The settings chosen (the defaults with the dialog's choices)."""
        return fitview.with_choices(self.defaults, n_ctx=self.ctx_spin.value(),
                                    kv_type=self.kv_type.currentText(),
                                    n_gpu_layers=self.gpu_layers.value(),
                                    flash_attn=self.flash_attn.isChecked())

    def refresh(self) -> None:
        """Re-estimate with the current choices and redraw the bar (< 1 ms)."""
        chosen = self.load_settings()
        self.estimate = fitview.estimate(self.spec, chosen, self.target, self.learnt)
        segments = fitview.memory_segments(self.estimate)
        pool = fitview.pool_bytes(self.estimate)
        self.bar.set_usage(segments, pool)
        for (label, bar), use in zip(self.node_bars, self.estimate.pools):
            bar.set_usage(fitview.node_segments(use), use.available)
            label.setText(self.tr("{node}: {used} of {size}").format(
                node=fitview.pool_name(use.name), used=human_bytes(use.total),
                size=human_bytes(use.available)))
        # Non-breaking spaces inside each figure: the label wraps between figures only.
        figures = [f"<span style='color:{s.colour}'>■</span>"
                   + fitview.unbreakable(f" {s.label} {human_bytes(s.size)}") for s in segments]
        figures.append(fitview.unbreakable("□ " + self.tr("free {free} of {size}").format(
            free=human_bytes(self.bar.free), size=human_bytes(pool))))
        self.legend.setText("&nbsp;&nbsp; ".join(figures))
        badge = fitview.badge(self.estimate)
        self.verdict.setText(f"<b style='color:{badge.colour}'>{badge.text}</b> — {badge.reason}")
        self.speed.setText(fitview.speed_text(self.estimate)
                           + fitview.measured_text(self.learnt, self.spec))
        self.speed.setToolTip(fitview.correction_text(self.estimate.correction))
        self.chart.set_points(fitview.decode_curve(self.spec, chosen, self.target,
                                                   self.estimate))
        best = self.estimate.max_context
        self.use_max.setText(self.tr("Use the largest context that fits: {tokens} tokens")
                             .format(tokens=grouped(best)))
        self.use_max.setVisible(badge.level != "fits" and best >= CTX_STEP)


def ask_load_settings(parent: QWidget, services: Any, model: Any, defaults: LoadSettings,
                      on_chosen: Any, on_error: Any) -> None:
    """Read `model`'s header and the planning target off the GUI thread, then open a
    LoadDialog for it (kept as `parent.load_dialog`); `on_chosen(settings)` when accepted."""
    from spark_desktop.ui.bridges import run_async
    from spark_desktop.ui.format import display_name

    path, target, name = model.path, services.target, services.settings.target

    def read() -> tuple[Any, Any]:
        from spark_desktop.gguf import read_model
        from spark_desktop.hardware import resolve_target

        return read_model(path), target or resolve_target(name)

    def show(found: tuple[Any, Any]) -> None:
        dialog = LoadDialog(display_name(model), *found, defaults, parent)
        dialog.accepted.connect(lambda: on_chosen(dialog.load_settings()))
        parent.load_dialog = dialog  # type: ignore[attr-defined]
        dialog.open()

    run_async(read, show, on_error, parent=parent)
