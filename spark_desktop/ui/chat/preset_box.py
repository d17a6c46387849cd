"""The chat panel's presets: pick one, save the panel's values as one, import, export and
delete; and the reload a preset's load settings need.

Choosing a preset shows its system prompt and sampling in the panel (saved with the chat
like any edit) and names it in the chat's extra, with its tools and documents. Its load
settings cannot change a model that is already loaded, so they are shown with a button
that reloads the chat's model with them (the choice stays the person's: a reload costs
time and drops the model's cache). The presets file is small and read on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.inference_settings import LoadSettings
from spark_desktop.presets import NoPreset, Preset, PresetError, PresetStore

#: What "Save as preset" takes from the panel: (system prompt, sampling dict).
Current = Callable[[], tuple[str | None, dict[str, Any]]]


class PresetBox(QWidget):
    """Signals: `chosen(Preset)` when the person picks one (NoPreset for "No preset");
    `reload_requested(Mapping)` with the preset's load settings when they ask to reload
    the model with them."""

    chosen = Signal(object)
    reload_requested = Signal(object)

    def __init__(self, current: Current, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = PresetStore()
        self._current = current
        self.picker = QComboBox()
        self.picker.setObjectName("presetPicker")
        self.picker.setAccessibleName(self.tr("Preset"))
        self.save_button = QPushButton(self.tr("Save as…"))
        self.save_button.setToolTip(self.tr("Save the system prompt and sampling shown here "
                                            "as a preset"))
        self.import_button = QPushButton(self.tr("Import…"))
        self.export_button = QPushButton(self.tr("Export…"))
        self.delete_button = QPushButton(self.tr("Delete"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.load_note = QLabel()
        self.load_note.setWordWrap(True)
        self.load_note.setProperty("role", "muted")
        self.reload_button = QPushButton(self.tr("Reload the model with them"))
        buttons = QGridLayout()
        for i, button in enumerate((self.save_button, self.import_button, self.export_button,
                                    self.delete_button)):
            buttons.addWidget(button, i // 2, i % 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picker)
        layout.addLayout(buttons)
        for widget in (self.message, self.load_note, self.reload_button):
            layout.addWidget(widget)
        self._presets: list[Preset] = []
        self._shown_load: Mapping[str, Any] | None = None
        self.picker.activated.connect(self._picked)
        self.save_button.clicked.connect(self._ask_save)
        self.import_button.clicked.connect(self._ask_import)
        self.export_button.clicked.connect(self._ask_export)
        self.delete_button.clicked.connect(self._ask_delete)
        self.reload_button.clicked.connect(
            lambda: self.reload_requested.emit(dict(self._shown_load or {})))
        self.refresh()

    # -- state ------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        """Read the presets again and show `select` (default: the one shown)."""
        name = select if select is not None else self.selected_name()
        try:
            self._presets = self.store.all()
        except PresetError as exc:  # a damaged file: the built-ins still work
            from spark_desktop.presets import BUILTIN

            self._presets = list(BUILTIN)
            self._say(str(exc), error=True)
        self.picker.blockSignals(True)
        self.picker.clear()
        self.picker.addItem(self.tr("No preset"), "")
        for preset in self._presets:
            label = preset.name if preset.builtin else self.tr("{0} (yours)").format(preset.name)
            self.picker.addItem(label, preset.name)
            self.picker.setItemData(self.picker.count() - 1, preset.description,
                                    Qt.ItemDataRole.ToolTipRole)
        self.picker.blockSignals(False)
        self.select(name)

    def select(self, name: str | None) -> None:
        """Show which preset a chat uses (None: none); emits nothing."""
        index = max(0, self.picker.findData(name or ""))
        self.picker.setCurrentIndex(index)
        preset = self.preset(name) if name else None
        self.delete_button.setEnabled(preset is not None and not preset.builtin)
        self._show_load(None)

    def selected_name(self) -> str | None:
        return self.picker.currentData() or None

    def preset(self, name: str) -> Preset | None:
        return next((p for p in self._presets if p.name == name), None)

    # -- actions (the buttons ask, then call these; tests call them directly) ---------
    def choose(self, name: str) -> None:
        """Apply a preset: `chosen` carries it to the panel."""
        preset = self.preset(name)
        if preset is None:
            return
        self.select(name)
        self._say("")
        self.chosen.emit(preset)
        self._show_load(preset.load)

    def save_current(self, name: str, description: str = "") -> Preset | None:
        """Save the panel's values as a preset of yours named `name`."""
        prompt, sampling = self._current()
        sampling = {k: v for k, v in sampling.items() if v is not None or k == "max_tokens"}
        try:
            saved = self.store.save(Preset(name.strip(), description, prompt, sampling))
        except PresetError as exc:
            self._say(str(exc), error=True)
            return None
        self.refresh(select=saved.name)
        self._say(self.tr("Saved preset {0}.").format(saved.name))
        return saved

    def import_from(self, path: str) -> tuple[Preset, ...]:
        try:
            result = self.store.import_file(Path(path))
        except PresetError as exc:
            self._say(str(exc), error=True)
            return ()
        self.refresh()
        names = ", ".join(p.name for p in result.presets)
        text = self.tr("Imported {0}.").format(names) if names else \
            self.tr("Nothing new to import.")
        self._say(" ".join([text, *(f"{n}." for n in result.notes)]))
        return result.presets

    def export_to(self, name: str, path: str) -> bool:
        try:
            self.store.export([name], Path(path))
        except PresetError as exc:
            self._say(str(exc), error=True)
            return False
        self._say(self.tr("Exported {0} to {1}.").format(name, path))
        return True

    def delete(self, name: str) -> bool:
        try:
            self.store.delete(name)
        except PresetError as exc:
            self._say(str(exc), error=True)
            return False
        self.refresh(select="")
        self._say(self.tr("Deleted preset {0}.").format(name))
        return True

    # -- the buttons ------------------------------------------------------------------
    def _picked(self, index: int) -> None:
        name = self.picker.itemData(index)
        if name:
            self.choose(name)
        else:
            self.select(None)
            self.chosen.emit(NoPreset())

    def _ask_save(self) -> None:
        shown = self.preset(self.selected_name() or "")
        suggested = "" if shown is None else shown.name if not shown.builtin else \
            self.tr("{0} (copy)").format(shown.name)
        name, ok = QInputDialog.getText(self, self.tr("Save as preset"),
                                        self.tr("Name of the preset:"), text=suggested)
        if ok and name.strip():
            self.save_current(name)

    def _ask_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Import presets"), "",
                                              self.tr("Presets (*.json)"))
        if path:
            self.import_from(path)

    def _ask_export(self) -> None:
        name = self.selected_name()
        if not name:
            self._say(self.tr("Choose the preset to export first."), error=True)
            return
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export preset"),
                                              f"{name}.preset.json",
                                              self.tr("Presets (*.json)"))
        if path:
            self.export_to(name, path)

    def _ask_delete(self) -> None:
        name = self.selected_name()
        if name:
            self.delete(name)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setProperty("role", "error" if error else "muted")
        self.message.style().unpolish(self.message)
        self.message.style().polish(self.message)
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def _show_load(self, load: Mapping[str, Any] | None) -> None:
        self._shown_load = load
        if load:
            shown = ", ".join(f"{k} {v}" for k, v in load.items())
            self.load_note.setText(self.tr("This preset also sets how the model loads "
                                           "({0}); a loaded model keeps its settings until "
                                           "it is reloaded.").format(shown))
        self.load_note.setVisible(bool(load))
        self.reload_button.setVisible(bool(load))


def reload_model(host: Any, model_id: str | None, load: Mapping[str, Any],
                 base: LoadSettings) -> None:
    """Unload `model_id` and load it again with `load` over `base` (the app's load
    settings); the host's signals tell the page how it went."""
    if model_id is None:
        return
    options = LoadSettings.from_dict({**base.to_dict(), **load})
    if host.entry(model_id) is None:
        host.load(model_id, options)
        return
    waiting = [True]

    def stop_waiting(*_: object) -> None:
        if waiting:
            waiting.clear()
            host.unloaded.disconnect(unloaded)
            host.problem.disconnect(stop_waiting)  # the unload was refused

    def unloaded(mid: str) -> None:
        if mid == model_id and waiting:
            stop_waiting()
            host.load(model_id, options)

    host.unloaded.connect(unloaded)
    host.problem.connect(stop_waiting)
    host.unload(model_id)
