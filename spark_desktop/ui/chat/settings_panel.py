"""Per-conversation system prompt and sampling settings, and the context meter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.inference_settings import SamplingSettings
from spark_desktop.ui.format import grouped


class SamplingPanel(QWidget):
    """Edits one conversation's system prompt and sampling; `changed` after each edit."""

    changed = Signal()

    def __init__(self, defaults: SamplingSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.defaults = defaults or SamplingSettings()
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
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(QLabel(self.tr("System prompt")))
        layout.addWidget(self.system_prompt)
        layout.addLayout(form)
        layout.addStretch(1)
        self._loading = False
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(400)
        self._debounce.timeout.connect(self.changed)
        self.system_prompt.textChanged.connect(self._edited)
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

    def show_settings(self, system_prompt: str | None, sampling: Mapping[str, Any]) -> None:
        """Show a conversation's settings (defaults where it has none); emits nothing."""
        d = self.defaults
        self._loading = True
        try:
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
        return {"temperature": round(self.temperature.value(), 4),
                "top_p": round(self.top_p.value(), 4), "top_k": self.top_k.value(),
                "min_p": round(self.min_p.value(), 4),
                "repeat_penalty": round(self.repeat_penalty.value(), 4),
                "max_tokens": self.max_tokens.value() or None,
                "seed": None if self.seed.value() < 0 else self.seed.value()}


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
