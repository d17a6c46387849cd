"""The chat panel's "Structured output": off, any JSON object, or a JSON schema the reply
must follow (llama.cpp enforces it with a grammar while sampling).

The schema text is checked when the editor is left; an invalid one is shown with its error
and never becomes the chat's setting: `value()` keeps the last valid schema.
"""

from __future__ import annotations

import json

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from spark_desktop.presets import PresetError, schema_text

ANY_OBJECT = '{"type": "object"}'
OFF, OBJECT, SCHEMA = range(3)
#: The editor's placeholder: JSON, the same in every language.
EXAMPLE = json.dumps({"type": "object", "properties": {"answer": {"type": "string"}},
                      "required": ["answer"]})


class StructuredOutput(QWidget):
    """Edits `SamplingSettings.json_schema`; `changed` when a valid choice was made."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode = QComboBox()
        self.mode.setObjectName("structuredMode")
        self.mode.setAccessibleName(self.tr("Structured output"))
        self.mode.addItems([self.tr("Off: free text"), self.tr("JSON object"),
                            self.tr("JSON schema")])
        self.mode.setToolTip(self.tr("Make every reply JSON: any object, or one that follows "
                                     "your JSON schema (enforced while sampling)."))
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("jsonSchema")
        self.editor.setAccessibleName(self.tr("JSON schema"))
        self.editor.setPlaceholderText(EXAMPLE)
        self.editor.setMaximumHeight(140)
        self.error = QLabel()
        self.error.setProperty("role", "error")
        self.error.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.mode, self.editor, self.error):
            layout.addWidget(widget)
        self._value: str | None = None
        self._loading = False
        self.editor.installEventFilter(self)
        self.mode.currentIndexChanged.connect(self._mode_changed)
        self.set_value(None)

    def value(self) -> str | None:
        """The JSON schema replies follow (compact text), or None for free text."""
        return self._value

    def set_value(self, schema: str | None) -> None:
        """Show a chat's setting; emits nothing."""
        self._loading = True
        try:
            self._value = schema
            mode = OFF if schema is None else OBJECT if _is_any_object(schema) else SCHEMA
            self.mode.setCurrentIndex(mode)
            self.editor.setPlainText(_pretty(schema) if mode == SCHEMA else "")
            self._show_mode()
            self.error.clear()
            self.error.hide()
        finally:
            self._loading = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.editor and event.type() == QEvent.Type.FocusOut:
            self.check()
        return super().eventFilter(watched, event)

    def check(self) -> bool:
        """Take the editor's schema if it is valid; else show why and keep the last one."""
        if self.mode.currentIndex() != SCHEMA:
            return True
        text = self.editor.toPlainText().strip()
        try:
            if not text:
                raise PresetError(self.tr("Write a JSON schema, e.g. the example shown, or "
                                          "choose JSON object."))
            value = schema_text(text, self.tr("The JSON schema"))
        except PresetError as exc:
            self.error.setText(str(exc) + " " + self.tr("The chat keeps its previous setting."))
            self.error.show()
            return False
        self.error.hide()
        self._take(value)
        return True

    def _mode_changed(self, mode: int) -> None:
        self._show_mode()
        if self._loading:
            return
        self.error.hide()
        if mode == OFF:
            self._take(None)
        elif mode == OBJECT:
            self._take(ANY_OBJECT)
        elif self.editor.toPlainText().strip():
            self.check()

    def _show_mode(self) -> None:
        self.editor.setVisible(self.mode.currentIndex() == SCHEMA)

    def _take(self, value: str | None) -> None:
        if value != self._value:
            self._value = value
            self.changed.emit()


def _is_any_object(schema: str) -> bool:
    try:
        return json.loads(schema) == {"type": "object"}
    except ValueError:
        return False


def _pretty(schema: str | None) -> str:
    try:
        return json.dumps(json.loads(schema or ""), indent=2, ensure_ascii=False)
    except ValueError:
        return schema or ""
