"""Settings → Documents: which model embeds document passages, and the collections (named
folders the app keeps indexed) with their passages, last sync and problems; add one,
re-index now, remove one.

Everything slow runs elsewhere: the collections' list and syncs are the app's
CollectionsWatcher (history thread and its own worker), the setting is a small JSON file.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtCore import QLocale, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.settings import DOCUMENTS_EMBED_MODEL
from spark_desktop.ui.bridges import error_text
from spark_desktop.ui.collections_watch import CollectionState
from spark_desktop.ui.services import Services


class DocumentsBox(QGroupBox):
    """The embedding model setting and the collections list with its buttons."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Documents"), parent)
        self.services = services
        self.watcher = services.collections
        layout = QVBoxLayout(self)
        form = QFormLayout()
        self.embed_model = QComboBox()
        self.embed_model.setAccessibleName(self.tr("Embedding model for documents"))
        self.embed_model.setMinimumWidth(260)
        self.embed_model.activated.connect(self._model_chosen)
        form.addRow(self.tr("Embedding model"), self.embed_model)
        layout.addLayout(form)
        hint = QLabel(self.tr(
            "Passages of attached documents and collections are embedded with this model "
            "(a small embedding model is quicker and often better; Discover suggests some). "
            "Changing it indexes the documents again."))
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.table = QTreeWidget()
        self.table.setRootIsDecorated(False)
        self.table.setHeaderLabels([self.tr("Collection"), self.tr("Folder"),
                                    self.tr("Passages"), self.tr("Last sync"),
                                    self.tr("Status")])
        self.table.setMinimumHeight(140)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table)
        row = QHBoxLayout()
        self.add_button = QPushButton(self.tr("Add collection…"), clicked=self._ask_add)
        self.sync_button = QPushButton(self.tr("Re-index now"), clicked=self.sync_selected)
        self.remove_button = QPushButton(self.tr("Remove"), clicked=self._ask_remove)
        for button in (self.add_button, self.sync_button, self.remove_button):
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        self._fill_models(services.models)
        services.library_changed.connect(self._fill_models)
        services.settings_changed.connect(self._settings_changed)
        self.watcher.changed.connect(self._show)
        self._show()

    # -- the embedding model ----------------------------------------------------------
    def _settings_changed(self, _settings: Any) -> None:
        """A method, not a lambda: Qt drops the connection with the box (a page rebuilt
        in another language deletes it)."""
        self._fill_models(self.services.models)

    def _fill_models(self, models: Any) -> None:
        chosen = self.services.settings.documents_embed_model
        names = sorted({m.name for m in models if getattr(m, "problem", None) is None},
                       key=str.lower)
        if chosen and chosen not in names:
            names.insert(0, chosen)  # not in the library now (a folder unplugged): kept
        self.embed_model.clear()
        self.embed_model.addItem(self.tr("The chat model itself"), "")
        for name in names:
            self.embed_model.addItem(name, name)
        self.embed_model.setCurrentIndex(max(0, self.embed_model.findData(chosen)))

    def _model_chosen(self, _index: int = 0) -> None:
        self.choose_model(str(self.embed_model.currentData() or ""))

    def choose_model(self, model_id: str) -> None:
        """Embed documents with `model_id` ("" = the chat model) from now on."""
        current = self.services.settings
        if current.documents_embed_model == model_id:
            return
        extra = {**current.extra, DOCUMENTS_EMBED_MODEL: model_id}
        self.services.update_settings(dataclasses.replace(current, extra=extra))
        self.watcher.sync_now()  # collections that follow the setting are embedded anew

    # -- collections ----------------------------------------------------------------
    def _show(self) -> None:
        selected = self.selected()
        self.table.clear()
        for state in sorted(self.watcher.states.values(), key=lambda s: s.name.lower()):
            item = QTreeWidgetItem([state.name, state.collection.folder,
                                    QLocale().toString(state.passages), self._synced(state),
                                    self.status_text(state)])
            item.setData(0, Qt.ItemDataRole.UserRole, state.name)
            item.setToolTip(4, self._failures(state))
            self.table.addTopLevelItem(item)
            if state.name == selected:
                self.table.setCurrentItem(item)
        for column in (0, 2, 3):
            self.table.resizeColumnToContents(column)
        self._selection_changed()

    def _synced(self, state: CollectionState) -> str:
        synced = state.collection.synced_at
        if synced is None:
            return self.tr("never")
        return QLocale().toString(synced.astimezone(), QLocale.FormatType.ShortFormat)

    def status_text(self, state: CollectionState) -> str:
        """The Status column: syncing, the problem that stopped the last sync, or what it
        found (how many files could not be read)."""
        if state.syncing:
            return self.tr("Indexing…")
        if state.error:
            return state.error
        report = state.report
        if report is None:
            return self.tr("{files} files").format(files=state.files)
        if report.failed:
            return self.tr("{files} files; {failed} could not be read").format(
                files=state.files, failed=len(report.failed))
        return self.tr("{files} files, up to date").format(files=state.files)

    def _failures(self, state: CollectionState) -> str:
        report = state.report
        if state.error or report is None or not report.failed:
            return state.error
        return "\n".join(message for _path, message in report.failed)

    def selected(self) -> str | None:
        item = self.table.currentItem()
        return None if item is None else str(item.data(0, Qt.ItemDataRole.UserRole))

    def _selection_changed(self) -> None:
        chosen = self.selected() is not None
        self.sync_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)
        state = self.watcher.states.get(self.selected() or "")
        self.status.setText(self._failures(state) if state is not None else "")

    def _ask_add(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Choose the folder to index"))
        if not folder:
            return
        name, ok = QInputDialog.getText(self, self.tr("New collection"),
                                        self.tr("Name of the collection:"),
                                        text=folder.rstrip("/").rpartition("/")[2])
        if ok:
            self.add_collection(name, folder)

    def add_collection(self, name: str, folder: str) -> None:
        """Create the collection and start indexing it; a problem shows in the status line."""
        self.status.setText(self.tr("Adding {name}…").format(name=name))
        self.watcher.add(name, folder, lambda _c: self.status.setText(""),
                         lambda exc: self.status.setText(error_text(exc)))

    def sync_selected(self) -> None:
        name = self.selected()
        if name is not None:
            self.watcher.sync_now(name)

    def _ask_remove(self) -> None:
        name = self.selected()
        if name is None:
            return
        answer = QMessageBox.question(self, self.tr("Remove collection"), self.tr(
            "Remove the collection {name}? Its passages are forgotten; the files in the "
            "folder stay as they are.").format(name=name))
        if answer == QMessageBox.StandardButton.Yes:
            self.remove_collection(name)

    def remove_collection(self, name: str) -> None:
        self.watcher.remove(name, lambda _n: self.status.setText(""),
                            lambda exc: self.status.setText(error_text(exc)))
