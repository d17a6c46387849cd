"""Per-conversation preset, system prompt, sampling settings and structured output, and
the context meter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QFrame,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.inference_settings import SamplingSettings
from spark_desktop.presets import NoPreset, Preset
from spark_desktop.ui.chat.preset_box import PresetBox
from spark_desktop.ui.chat.structured_output import StructuredOutput
from spark_desktop.ui.format import grouped

#: SamplingSettings fields the panel does not show but keeps.
UNSHOWN = ("stop", "repeat_last_n", "ignore_eos")


class SamplingPanel(QWidget):
    """Edits one conversation's preset, system prompt and sampling; `changed` after each
    edit. A preset chosen here waits in `take_preset()` until the page writes it into the
    conversation's extra (a new chat has no conversation until its first message)."""

    changed = Signal()

    def __init__(self, defaults: SamplingSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.defaults = defaults or SamplingSettings()
        self.presets = PresetBox(lambda: (self.prompt(), self.sampling()))
        self._chosen: Preset | NoPreset | None = None
        self._unshown: dict[str, Any] = {}
        self.structured = StructuredOutput()
        self.system_prompt = QPlainTextEdit()
        self.system_prompt.setObjectName("systemPrompt")
        self.system_prompt.setPlaceholderText(
            self.tr("System prompt (optional): how the model should behave"))
        self.system_prompt.setAccessibleName(self.tr("System prompt"))
        self.system_prompt.setMaximumHeight(110)
        self.temperature = self._double(0.0, 2.0, 0.05, self.tr("0 = always the most likely word"))
        self.top_p = self._double(0.0, 1.0, 0.01)
        self.min_p = self._double(0.0, 1.0, 0.01)
        self.repeat_penalty = self._double(0.5, 2.0, 0.05)
        self.top_k = self._int(0, 1000, self.tr("0 = no limit"))
        self.max_tokens = self._int(0, 1_000_000, self.tr("0 = until the model stops"))
        self.seed = self._int(-1, 2_147_483_647, self.tr("-1 = a new seed each time"))
        form = QFormLayout()
        for label, box in ((self.tr("Temperature"), self.temperature),
                           (self.tr("Top p"), self.top_p), (self.tr("Top k"), self.top_k),
                           (self.tr("Min p"), self.min_p),
                           (self.tr("Repeat penalty"), self.repeat_penalty),
                           (self.tr("Max tokens"), self.max_tokens), (self.tr("Seed"), self.seed)):
            box.setAccessibleName(label)
            form.addRow(label, box)
        content = QWidget()  # scrolls: presets, prompt, sampling and schema are tall
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(QLabel(self.tr("Preset")))
        layout.addWidget(self.presets)
        layout.addWidget(QLabel(self.tr("System prompt")))
        layout.addWidget(self.system_prompt)
        layout.addLayout(form)
        layout.addWidget(QLabel(self.tr("Structured output")))
        layout.addWidget(self.structured)
        layout.addStretch(1)
        self._loading = False
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(400)
        self._debounce.timeout.connect(self.changed)
        self.system_prompt.textChanged.connect(self._edited)
        self.structured.changed.connect(self._edited)
        self.presets.chosen.connect(self.apply_preset)
        self.show_settings(None, {})

    def _double(self, lo: float, hi: float, step: float, tip: str = "") -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(lo, hi)
        box.setSingleStep(step)
        box.setDecimals(2)
        box.setToolTip(tip)
        box.valueChanged.connect(self._edited)
        return box

    def _int(self, lo: int, hi: int, tip: str = "") -> QSpinBox:
        box = QSpinBox()
        box.setRange(lo, hi)
        box.setToolTip(tip)
        box.valueChanged.connect(self._edited)
        return box

    def _edited(self, *_: object) -> None:
        if not self._loading:
            self._debounce.start()

    def show_settings(self, system_prompt: str | None, sampling: Mapping[str, Any],
                      preset: str | None = None) -> None:
        """Show a conversation's settings (defaults where it has none) and the name of its
        preset; emits nothing."""
        d = self.defaults
        self._loading = True
        self._chosen = None
        # settings without a field here (a preset's stop texts) are kept as they are
        self._unshown = {k: sampling[k] for k in UNSHOWN if k in sampling}
        try:
            self.presets.select(preset)
            self.structured.set_value(sampling.get("json_schema"))
            self.system_prompt.setPlainText(system_prompt or "")
            self.temperature.setValue(float(sampling.get("temperature", d.temperature)))
            self.top_p.setValue(float(sampling.get("top_p", d.top_p)))
            self.top_k.setValue(int(sampling.get("top_k", d.top_k)))
            self.min_p.setValue(float(sampling.get("min_p", d.min_p)))
            self.repeat_penalty.setValue(float(sampling.get("repeat_penalty", d.repeat_penalty)))
            self.max_tokens.setValue(int(sampling.get("max_tokens") or 0)
                                     if "max_tokens" in sampling else d.max_tokens or 0)
            seed = sampling.get("seed")
            self.seed.setValue(-1 if seed is None else int(seed))
        finally:
            self._loading = False
        self._debounce.stop()

    def apply_preset(self, preset: Preset | NoPreset) -> None:
        """Show a preset's system prompt and sampling (over the defaults) and save them;
        NoPreset only forgets the chat's preset."""
        if isinstance(preset, NoPreset):
            self._chosen = preset
            self.changed.emit()
            return
        self.show_settings(preset.system_prompt, preset.sampling_settings(self.defaults)
                           .to_dict(), preset.name)
        self._chosen = preset
        self.changed.emit()

    @property
    def chosen_preset(self) -> Preset | NoPreset | None:
        return self._chosen

    def take_preset(self) -> Preset | NoPreset | None:
        """The preset chosen since the conversation was shown, once (its name, tools and
        documents go into the conversation's extra)."""
        chosen, self._chosen = self._chosen, None
        return chosen

    def flush(self) -> None:
        """Emit a pending change now (before a message is sent with these settings)."""
        if self._debounce.isActive():
            self._debounce.stop()
            self.changed.emit()

    def prompt(self) -> str | None:
        text = self.system_prompt.toPlainText()
        return text if text.strip() else None

    def sampling(self) -> dict[str, Any]:
        """The settings as stored with the conversation (SamplingSettings field names)."""
        return {**self._unshown, "temperature": round(self.temperature.value(), 4),
                "top_p": round(self.top_p.value(), 4), "top_k": self.top_k.value(),
                "min_p": round(self.min_p.value(), 4),
                "repeat_penalty": round(self.repeat_penalty.value(), 4),
                "max_tokens": self.max_tokens.value() or None,
                "seed": None if self.seed.value() < 0 else self.seed.value(),
                "json_schema": self.structured.value()}


class ContextMeter(QProgressBar):
    """Tokens the conversation uses (last prompt + reply) out of the loaded context."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("contextMeter")
        self.setAccessibleName(self.tr("Context used"))
        self.setTextVisible(True)
        self.setMinimumWidth(170)
        self.setMaximumWidth(240)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.set_usage(None, None)

    def set_usage(self, used: int | None, n_ctx: int | None, dropped: int = 0) -> None:
        if not n_ctx:
            self.setRange(0, 1)
            self.setValue(0)
            self.setFormat(self.tr("context: no model"))
            self.setToolTip(self.tr("Load a model to see how much of its context this chat "
                                    "uses."))
            return
        used = min(used or 0, n_ctx)
        self.setRange(0, n_ctx)
        self.setValue(used)
        self.setFormat(self.tr("{used} / {total} tokens").format(
            used=grouped(used), total=grouped(n_ctx)))
        note = (" " + self.tr("%n older message(s) no longer fit and were left out of the "
                              "last prompt.", "", dropped) if dropped else "")
        self.setToolTip(self.tr("This conversation used {used} of the model's {total}-token "
                                "context in its last reply.").format(
            used=grouped(used), total=grouped(n_ctx)) + note)
