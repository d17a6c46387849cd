"""The chat page's header (title, context meter, model picker, settings toggle) and the
banner under it that says what went wrong and offers to reload the model."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from spark_desktop.ui.chat.settings_panel import ContextMeter
from spark_desktop.ui.icon import decorate
from spark_desktop.ui.widgets import ElidedLabel


class ModelPicker(QComboBox):
    """The loaded models, by id; `model_selected(id)` when the person picks one for the
    conversation shown."""

    model_selected = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("modelPicker")
        self.setMinimumWidth(220)
        self.setPlaceholderText(self.tr("Load a model in My Models…"))
        self.setAccessibleName(self.tr("Model"))
        self.activated.connect(self._picked)

    def set_models(self, model_ids: Iterable[str]) -> None:
        """Offer these loaded models; the one chosen stays chosen while it is loaded."""
        current = self.currentData()
        self.blockSignals(True)
        self.clear()
        for model_id in model_ids:
            self.addItem(model_id, model_id)
        self.blockSignals(False)
        self.select(current)

    def select(self, model_id: str | None) -> None:
        """Show `model_id` as chosen (none when it is not loaded)."""
        self.setCurrentIndex(self.findData(model_id) if model_id else -1)

    def _picked(self, index: int) -> None:
        model_id = self.itemData(index)
        if model_id:
            self.model_selected.emit(str(model_id))


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
