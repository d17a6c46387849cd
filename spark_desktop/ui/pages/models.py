"""My Models: the library, Load (with the memory bar), Unload, Delete with confirmation.

Load progress and load errors are shown on this page in words; a failed or crashed
load never takes the window down, and Reload repeats the last load.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QLocale, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.inference_settings import LoadSettings
from spark_desktop.ui.bridges import error_text, run_async
from spark_desktop.ui.format import display_name, human_bytes
from spark_desktop.ui.icon import decorate
from spark_desktop.ui.models.local import LocalModelsModel
from spark_desktop.ui.pages.load_dialog import LoadDialog
from spark_desktop.ui.services import Services
from spark_desktop.ui.widgets import record_table


class ModelsPage(QWidget):
    chat_requested = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.dialog: LoadDialog | None = None
        self.confirm: QMessageBox | None = None
        self.model = LocalModelsModel(self)
        self.table = record_table(self.model)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.doubleClicked.connect(lambda _i: self.request_load())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.load_button = QPushButton(self.tr("Load…"), clicked=self.request_load)
        self.unload_button = QPushButton(self.tr("Unload"), clicked=services.engine.unload)
        self.reload_button = QPushButton(self.tr("Reload"), clicked=services.engine.reload)
        self.delete_button = QPushButton(self.tr("Delete…"), clicked=self.request_delete)
        self.refresh_button = QPushButton(self.tr("Refresh"), clicked=services.refresh_library)
        self.chat_button = QPushButton(self.tr("Chat"), clicked=self.chat_requested.emit)
        self.table.setAccessibleName(self.tr("Models on this machine"))
        for button, name in ((self.load_button, "load"), (self.unload_button, "unload"),
                             (self.reload_button, "refresh"), (self.delete_button, "delete"),
                             (self.refresh_button, "refresh"), (self.chat_button, "chat")):
            decorate(button, name)
        buttons = QHBoxLayout()
        for b in (self.load_button, self.unload_button, self.reload_button, self.chat_button,
                  self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        self.state = QLabel(self.tr("No model loaded."))
        self.state.setWordWrap(True)
        self.progress = QProgressBar(maximum=1000)
        self.progress.hide()
        self.empty = QLabel(self.tr("No models on this machine yet. Find one in Discover."))
        self.empty.setProperty("role", "muted")
        title = QLabel(self.tr("My Models"))
        title.setProperty("role", "title")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.state)
        services.library_changed.connect(self._show_models)
        services.problem.connect(self.state.setText)
        engine = services.engine
        engine.load_started.connect(self._load_started)
        engine.load_progress.connect(lambda f: self.progress.setValue(int(f * 1000)))
        engine.loaded.connect(self._loaded)
        engine.load_failed.connect(self._load_failed)
        engine.died.connect(self._died)
        engine.unloaded.connect(self._unloaded)
        self._show_models(services.models)  # the page may be built after the first scan
        if engine.current is not None:
            self._loaded(engine.current)
        elif engine.loading and engine.last_load is not None:
            self._load_started(engine.last_load[2])
        self._enable()

    # -- library --------------------------------------------------------------------
    def _show_models(self, models: tuple[Any, ...]) -> None:
        selected = self.selected()
        self.model.set_values(models)
        self.empty.setVisible(not models)
        if selected is not None:
            row = self.model.row_of_path(selected.path)
            if row >= 0:
                self.table.selectRow(row)
        self._enable()

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.model.value(rows[0].row()) if rows else None

    def _enable(self) -> None:
        engine = self.services.engine
        chosen = self.selected() is not None
        self.load_button.setEnabled(chosen and not engine.loading)
        self.delete_button.setEnabled(chosen)
        self.unload_button.setEnabled(engine.current is not None)
        self.chat_button.setEnabled(engine.current is not None)
        self.reload_button.setVisible(engine.current is None and engine.last_load is not None
                                      and not engine.loading)

    # -- load -----------------------------------------------------------------------
    def request_load(self) -> None:
        """Read the selected model's header off the GUI thread, then show the load dialog."""
        model = self.selected()
        if model is None:
            return
        if model.problem:
            self.state.setText(self.tr("{model} cannot be loaded: {problem}").format(
                model=display_name(model), problem=model.problem))
            return
        self.state.setText(self.tr("Reading {model}…").format(model=display_name(model)))
        path = model.path
        target, name = self.services.target, self.services.settings.target

        def read() -> tuple[Any, Any]:
            from spark_desktop.gguf import read_model
            from spark_desktop.hardware import resolve_target

            return read_model(path), target or resolve_target(name)

        run_async(read, lambda r: self._open_dialog(model, *r),
                  lambda e: self.state.setText(error_text(e)), parent=self)

    def _open_dialog(self, model: Any, spec: Any, target: Any) -> None:
        self.state.setText("")
        self.dialog = LoadDialog(display_name(model), spec, target,
                                 self.services.settings.load, self)
        self.dialog.accepted.connect(lambda: self.start_load(model, self.dialog.load_settings()))
        self.dialog.open()

    def load_path(self, path: str) -> None:
        """Load the library model at `path` with the default settings (the chat's picker)."""
        engine = self.services.engine
        if engine.loading or (engine.current is not None and engine.last_load
                              and str(engine.last_load[0]) == path):
            return
        model = next((m for m in self.services.models if str(m.path) == path), None)
        if model is not None:
            self.start_load(model, self.services.settings.load)

    def start_load(self, model: Any, chosen: LoadSettings) -> None:
        """Load `model` in the engine with the chosen settings."""
        self.services.engine.load(model.path, chosen, display_name(model))

    def _load_started(self, name: str) -> None:
        self.progress.setValue(0)
        self.progress.show()
        self.state.setText(self.tr("Loading {model}…").format(model=name))
        self._enable()

    def _loaded(self, loaded: Any) -> None:
        self.progress.hide()
        engine = self.services.engine
        used = engine.memory_in_use
        took = getattr(loaded, "load_seconds", 0.0)
        self.state.setText(self.tr(
            "{model} is loaded ({memory} in memory, {seconds} s). Go to Chat to talk to "
            "it.").format(model=engine.model_name, memory=human_bytes(used),
                          seconds=QLocale().toString(took, "f", 1)))
        self._enable()

    def _load_failed(self, reason: str) -> None:
        self.progress.hide()
        self.state.setText(self.tr("The model did not load: {reason}").format(reason=reason))
        self._enable()

    def _died(self, reason: str) -> None:
        self.progress.hide()
        self.state.setText(self.tr("{reason} Press Reload to load it again.").format(
            reason=reason))
        self._enable()

    def _unloaded(self) -> None:
        self.state.setText(self.tr("No model loaded."))
        self._enable()

    # -- delete ---------------------------------------------------------------------
    def request_delete(self) -> None:
        """Ask before deleting the selected model's files."""
        model = self.selected()
        if model is None:
            return
        self.confirm = QMessageBox(
            QMessageBox.Icon.Warning, self.tr("Delete model"),
            self.tr("Delete {model} ({size}) from this machine?\n{path}").format(
                model=display_name(model), size=human_bytes(model.size), path=model.path),
            QMessageBox.StandardButton.Cancel, self)
        delete = self.confirm.addButton(self.tr("Delete"), QMessageBox.ButtonRole.DestructiveRole)
        self.confirm.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.confirm.buttonClicked.connect(
            lambda b: self.delete(model) if b is delete else None)
        self.confirm.open()

    def delete(self, model: Any) -> None:
        """Delete `model` (unloading it first when it is the loaded one)."""
        engine = self.services.engine
        if engine.current is not None and engine.last_load \
                and str(engine.last_load[0]) == str(model.path):
            engine.unload()
        self.state.setText(self.tr("Deleting {model}…").format(model=display_name(model)))

        def remove() -> int:
            from spark_desktop import library

            return library.remove(model)

        def removed(freed: int) -> None:
            self.state.setText(self.tr("Deleted {model}; {size} freed.").format(
                model=display_name(model), size=human_bytes(freed)))
            self.services.refresh_library()

        run_async(remove, removed, lambda e: self.state.setText(error_text(e)), parent=self)
