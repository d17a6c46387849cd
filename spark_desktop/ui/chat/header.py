"""The chat page's header (title, context meter, model picker, settings toggle) and the
banner under it that says what went wrong and offers to reload the model."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from spark_desktop.ui.chat.settings_panel import ContextMeter
from spark_desktop.ui.icon import decorate
from spark_desktop.ui.widgets import ElidedLabel


class ModelPicker(QComboBox):
    """The models on this machine; `model_selected(path)` when the person picks one."""

    model_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPicker")
        self.setMinimumWidth(220)
        self.setPlaceholderText(self.tr("Choose a model…"))
        self.setAccessibleName(self.tr("Model"))
        self._models: list[tuple[str, str]] = []
        self.activated.connect(self._picked)

    def set_models(self, models: Iterable[Any]) -> None:
        """Paths, (label, path) pairs, or objects with .path (and .name)."""
        self._models = []
        for item in models:
            if isinstance(item, tuple):
                label, path = str(item[0]), str(item[1])
            elif hasattr(item, "path"):
                path = str(item.path)
                label = str(getattr(item, "name", "") or Path(path).name)
            else:
                path = str(item)
                label = Path(path).name
            self._models.append((label, path))
        self.blockSignals(True)
        self.clear()
        for label, path in self._models:
            self.addItem(label, path)
            self.setItemData(self.count() - 1, path, Qt.ItemDataRole.ToolTipRole)
        self.blockSignals(False)

    def select_path(self, path: str | None) -> None:
        """Show the loaded model (none selected when it is not in the list)."""
        index = self.findData(path) if path else -1
        if index < 0 and path:
            index = next((i for i, (_l, p) in enumerate(self._models)
                          if Path(p).resolve() == Path(path).resolve()), -1)
        self.setCurrentIndex(index)

    def _picked(self, index: int) -> None:
        path = self.itemData(index)
        if path:
            self.model_selected.emit(str(path))


class ChatHeader(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # Plain text (titles come from chat text), elided so it never runs under the meter.
        self.title = ElidedLabel(self.tr("New chat"))
        self.title.setProperty("role", "title")
        self.model_picker = ModelPicker()
        self.context_meter = ContextMeter()
        self.settings_button = QPushButton(self.tr("Settings"))
        self.settings_button.setCheckable(True)
        decorate(self.settings_button, "tune")
        self.settings_button.setToolTip(self.tr("System prompt and sampling for this "
                                                "conversation"))
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 8, 12, 4)
        row.addWidget(self.title, 1)
        row.addWidget(self.context_meter)
        row.addWidget(self.model_picker)
        row.addWidget(self.settings_button)


class Banner(QFrame):
    """A sentence about a problem, with "Reload model" when the engine died."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="chatBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reload_button = QPushButton(self.tr("Reload model"))
        self.reload_button.setObjectName("reloadModel")
        decorate(self.reload_button, "refresh")
        row = QHBoxLayout(self)
        row.addWidget(self.text, 1)
        row.addWidget(self.reload_button)
        self.hide()

    def show_text(self, text: str, reload: bool) -> None:
        self.text.setText(text)
        self.reload_button.setVisible(reload)
        self.show()
