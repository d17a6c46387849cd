"""My Models: the library, Load (with the memory bar), Unload, Delete with confirmation.

Models load into the model host, beside the ones already loaded; a load that does not
fit beside them is refused with the numbers, shown here in words, and a failed or
crashed load never takes the window down.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
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
from spark_desktop.ui.pages.load_dialog import LoadDialog, ask_load_settings
from spark_desktop.ui.services import Services
from spark_desktop.ui.widgets import record_table


class ModelsPage(QWidget):
    chat_requested = Signal()

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.load_dialog: LoadDialog | None = None
        self.confirm: QMessageBox | None = None
        self.model = LocalModelsModel(self)
        self.table = record_table(self.model)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.doubleClicked.connect(lambda _i: self.request_load())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._enable())
        self.load_button = QPushButton(self.tr("Load…"), clicked=self.request_load)
        self.unload_button = QPushButton(self.tr("Unload"), clicked=self.unload_selected)
        self.delete_button = QPushButton(self.tr("Delete…"), clicked=self.request_delete)
        self.refresh_button = QPushButton(self.tr("Refresh"), clicked=services.refresh_library)
        self.chat_button = QPushButton(self.tr("Chat"), clicked=self.chat_requested.emit)
        self.compare_button = QPushButton(self.tr("Add to comparison"),
                                          clicked=self.add_to_comparison)
        self.table.setAccessibleName(self.tr("Models on this machine"))
        for button, name in ((self.load_button, "load"), (self.unload_button, "unload"),
                             (self.delete_button, "delete"),
                             (self.refresh_button, "refresh"), (self.chat_button, "chat")):
            decorate(button, name)
        buttons = QHBoxLayout()
        for b in (self.load_button, self.unload_button, self.chat_button, self.compare_button,
                  self.delete_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        self.state = QLabel(self.tr("No model loaded."))
        self.state.setWordWrap(True)
        self.progress = QProgressBar(maximum=0)  # the host does not report progress
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
        host = services.host
        host.load_started.connect(self._load_started)
        host.loaded.connect(self._loaded)
        host.load_failed.connect(self._load_failed)
        host.models_changed.connect(self._enable)
        self._show_models(services.models)  # the page may be built after the first scan
        if host.entries:
            self._loaded(host.entries[-1])
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

    def _enable(self, _entries: object = None) -> None:
        host = self.services.host
        model = self.selected()
        self.load_button.setEnabled(model is not None and model.name not in host.loading
                                    and host.entry(model.name) is None)
        self.delete_button.setEnabled(model is not None)
        self.compare_button.setEnabled(model is not None)
        self.unload_button.setEnabled(model is not None and host.entry(model.name) is not None)
        self.chat_button.setEnabled(bool(host.entries))
        self.progress.setVisible(bool(host.loading))

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
        ask_load_settings(self, self.services, model, self.services.settings.load,
                          lambda chosen: self.start_load(model, chosen), self._read_failed)

    def _read_failed(self, exc: BaseException) -> None:
        self.state.setText(error_text(exc))

    def start_load(self, model: Any, chosen: LoadSettings) -> None:
        """Load `model` into the host, beside the models already loaded."""
        self.services.host.load(model.name, chosen)

    def unload_selected(self) -> None:
        model = self.selected()
        if model is not None:
            self.services.host.unload(model.name)

    def _load_started(self, model_id: str) -> None:
        self.state.setText(self.tr("Loading {0}…").format(model_id))
        self._enable()

    def _loaded(self, entry: Any) -> None:
        self.state.setText(self.tr("{0} is loaded ({1} in memory). Go to Chat to talk to it.")
                           .format(entry.id, human_bytes(entry.memory)))
        self._enable()

    def _load_failed(self, model_id: str, reason: str) -> None:
        self.state.setText(self.tr("{0} did not load: {1}").format(model_id, reason))
        self._enable()

    def add_to_comparison(self) -> None:
        """The selected model to the spec sheet, beside models on the Hub."""
        from spark_desktop.ui.pages.spec_sheet import sheet_for

        model = self.selected()
        if model is not None:
            sheet_for(self, self.services).add_local(model, display_name(model))

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
        """Delete `model` (unloading it first when it is loaded)."""
        if self.services.host.entry(model.name) is not None:
            self.services.host.unload(model.name)
        self.state.setText(self.tr("Deleting {model}…").format(model=display_name(model)))

        def remove() -> int:
            from spark_desktop import library

            return library.remove(model)

        def removed(freed: int) -> None:
            self.state.setText(self.tr("Deleted {model}; {size} freed.").format(
                model=display_name(model), size=human_bytes(freed)))
            self.services.refresh_library()

        run_async(remove, removed, lambda e: self.state.setText(error_text(e)), parent=self)
