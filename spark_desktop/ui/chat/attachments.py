"""Documents attached to a chat: the Attach button and files dropped on the chat page,
shown as removable chips above the composer, saved with the conversation, and a line
saying what preparing a question with them does ("Reading contract.pdf…", "Indexing…",
"Retrieved 6 passages"). The Attach button's menu also picks a collection for the chat
to search (collections are made in Settings → Documents); it shows as a chip too.

A file is read once off the GUI thread when it is attached, so a missing, too large,
damaged, scanned or unsupported file is refused then with its error's sentence (and
nothing else changes); the turn reads it again when it is asked about
(chat.documents.DocumentPrompt), since it may have changed or gone in between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QActionGroup, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from spark_desktop import settings as settings_mod
from spark_desktop.chat.documents import DocumentProgress, DocumentPrompt, embed_model
from spark_desktop.chat.session import TurnRequest
from spark_desktop.documents.errors import UnsupportedDocumentError
from spark_desktop.documents.extract import read_document
from spark_desktop.history.records import Conversation
from spark_desktop.inference_settings import SamplingSettings
from spark_desktop.ui.bridges import error_text, run_async


class AttachmentBar(QWidget):
    """Chips of the attached documents (a click removes one) and the preparation line."""

    remove_requested = Signal(str)  # path
    collection_removed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="attachmentBar")
        self.chips: list[QPushButton] = []
        self._row = QHBoxLayout()
        self._row.setContentsMargins(0, 0, 0, 0)
        self._row.addStretch(1)
        self.status = QLabel()
        self.status.setProperty("role", "muted")
        self.status.hide()
        column = QVBoxLayout(self)
        column.setContentsMargins(12, 4, 12, 0)
        column.addLayout(self._row)
        column.addWidget(self.status)
        self.hide()

    def set_documents(self, paths: Iterable[str], collection: str | None = None) -> None:
        for chip in self.chips:
            chip.deleteLater()
        self.chips = []
        if collection:
            self._chip(self.tr("Collection: %1").replace("%1", collection), collection, self.tr(
                "Collection %1 — click to stop searching it in this chat"
            ).replace("%1", collection)).clicked.connect(self.collection_removed)
        for path in paths:
            self._chip(Path(path).name, Path(path).name, self.tr(
                "%1 — click to remove it from this chat").replace("%1", path)).clicked.connect(
                lambda _=False, p=path: self.remove_requested.emit(p))
        self._update_visible()

    def _chip(self, text: str, name: str, tip: str) -> QPushButton:
        chip = QPushButton(f"{text}  ✕", objectName="documentChip")
        chip.setFlat(True)
        chip.setToolTip(tip)
        chip.setAccessibleName(self.tr("Remove %1").replace("%1", name))
        self._row.insertWidget(len(self.chips), chip)
        self.chips.append(chip)
        return chip

    def set_status(self, text: str) -> None:
        self.status.setText(text)
        self.status.setVisible(bool(text))
        self._update_visible()

    def _update_visible(self) -> None:
        self.setVisible(bool(self.chips) or bool(self.status.text()))


class Attachments(QObject):
    """The chat page's documents (see the module's docstring); `attached(paths)` once the
    chips show them, `refused(path, sentence)` for a file that cannot be attached."""

    attached = Signal(object)
    refused = Signal(str, str)

    def __init__(self, page: Any) -> None:
        """`page`: the ui.chat.ChatPage (its session, history, host, banner, composer)."""
        super().__init__(page)
        self.page = page
        self.bar = AttachmentBar()
        self._checking: dict[str, int] = {}  # path → the view it was attached in
        self.collections: list[str] = []  # names, as last listed
        self.menu = QMenu(page.composer.attach_button)
        self.menu.aboutToShow.connect(self._fill_menu)
        page.composer.attach_button.setMenu(self.menu)
        self.bar.remove_requested.connect(self.remove)
        self.bar.collection_removed.connect(lambda: self.set_collection(None))
        self.refresh()
        page.reply_finished.connect(self._reply_finished)
        page.setAcceptDrops(True)
        for widget in (page, page.composer.edit, page.composer.edit.viewport()):
            widget.installEventFilter(self)

    @property
    def documents(self) -> tuple[str, ...]:
        return self.page.session.documents

    # -- intents ------------------------------------------------------------------
    def choose(self) -> None:
        """The Attach button: a file dialog (not modal for the window's event loop)."""
        dialog = QFileDialog(self.page, self.tr("Attach documents"))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilters([self.tr("Documents (*.txt *.md *.pdf *.docx *.html *.htm "
                                       "*.rst *.csv *.json *.py *.js *.ts *.c *.cpp *.h *.rs "
                                       "*.go *.java)"), self.tr("All files (*)")])
        dialog.filesSelected.connect(self.attach)
        dialog.open()

    def attach(self, paths: Iterable[str]) -> None:
        """Check each new file off the GUI thread; the good ones become chips."""
        view = self.page.session.view
        for raw in paths:
            path = str(Path(raw).expanduser().absolute())
            if path in self.documents or path in self._checking:
                continue
            self._checking[path] = view
            self.bar.set_status(self.tr("Reading %1…").replace("%1", Path(path).name))
            run_async(lambda p=path: _check(p), lambda _doc, p=path: self._checked(p),
                      lambda exc, p=path: self._refused(p, exc), parent=self)

    def remove(self, path: str) -> None:
        self._save([p for p in self.documents if p != path])

    def set_collection(self, name: str | None) -> None:
        """The chat searches collection `name` (None: none) with its documents."""
        self._save(list(self.documents), name)

    def refresh(self) -> None:
        """Another chat is shown: its documents, no preparation line; collections listed
        again for the menu."""
        self.bar.set_documents(self.documents, self.page.session.collection)
        self.bar.set_status("")
        self.page.history.run(lambda store: [c.name for c in store.collections.list()],
                              self._listed, lambda _exc: None, parent=self)

    def _listed(self, names: list[str]) -> None:
        self.collections = names

    def _fill_menu(self) -> None:
        self.menu.clear()
        self.menu.addAction(self.tr("Attach files…"), self.choose)
        self.menu.addSection(self.tr("Search a collection"))
        group = QActionGroup(self.menu)
        current = self.page.session.collection
        for name in [None, *self.collections]:
            action = self.menu.addAction(name or self.tr("No collection"))
            action.setCheckable(True)
            action.setChecked(name == current)
            action.triggered.connect(lambda _=False, n=name: self.set_collection(n))
            group.addAction(action)
        if not self.collections:
            hint = self.menu.addAction(self.tr("Make collections in Settings → Documents"))
            hint.setEnabled(False)

    def progress(self, event: DocumentProgress) -> None:
        """How preparing the running turn's question goes, in words."""
        self.bar.set_status(self.describe(event))

    def describe(self, event: DocumentProgress) -> str:
        if event.step == "reading":
            return self.tr("Reading %1…").replace("%1", event.name)
        if event.step == "indexing":
            return self.tr("Indexing %1: %2 of %3 passages…").replace("%1", event.name) \
                .replace("%2", str(event.done)).replace("%3", str(event.total))
        if event.step == "searching":
            return self.tr("Searching the documents…")
        if event.step == "whole":
            return self.tr("Whole document in the prompt (%n passages)", "", event.total) \
                if event.done == 1 else \
                self.tr("Whole documents in the prompt (%n passages)", "", event.total)
        return self.tr("Retrieved %n passages for this question", "", event.total)

    def _reply_finished(self, reply: Any) -> None:
        if reply.finish_reason == "error":  # the banner says why; no preparation goes on
            self.bar.set_status("")

    # -- results ------------------------------------------------------------------
    def _checked(self, path: str) -> None:
        view = self._checking.pop(path, None)
        if view != self.page.session.view:
            return  # another chat is shown now: it did not ask for this file
        self._save([*self.documents, path])
        self.attached.emit(self.documents)

    def _refused(self, path: str, exc: BaseException) -> None:
        self._checking.pop(path, None)
        self.bar.set_status("")
        self.page.banner.show_text(error_text(exc), reload=False)
        self.refused.emit(path, error_text(exc))

    def _save(self, paths: list[str], collection: Any = ...) -> None:
        session = self.page.session
        op = session.sources_op(paths, session.collection if collection is ... else collection)
        self.bar.set_documents(self.documents, session.collection)
        if not self._checking:
            self.bar.set_status("")
        if op is not None:
            self.page.history.run(op, self._saved, self._save_failed, parent=self)

    def _saved(self, conv: Conversation) -> None:
        self.page.session.saved(conv)

    def _save_failed(self, exc: BaseException) -> None:
        self.page.banner.show_text(error_text(exc), reload=False)

    # -- a turn (its worker thread) -------------------------------------------------
    def prompt_hook(self, request: TurnRequest,
                    post: Callable[[object], None]) -> DocumentPrompt | None:
        """The turn's documents hook (None without documents); the passages are embedded
        by the model of the setting `documents_embed_model`, else the chat model."""
        if not (request.documents or request.collection) or request.model_name is None:
            return None
        host, chat_model = self.page.host, request.model_name
        target = host.host
        entry = host.entry(chat_model)

        def embed(model: str, texts: Any) -> Any:
            return target.embed(model, list(texts)).vectors

        return DocumentPrompt(self.page.history.runner, request.documents, embed=embed,
                              embed_model=embed_model(settings_mod.load(), chat_model),
                              collection=request.collection,
                              answer_tokens=SamplingSettings.from_dict(request.sampling)
                              .max_tokens, n_ctx=entry.n_ctx if entry is not None else None,
                              stop=request.stop, on_progress=post)

    # -- drops ----------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) \
                and isinstance(event, QDropEvent) and _files(event):
            event.acceptProposedAction()
            return True
        if kind == QEvent.Type.Drop and isinstance(event, QDropEvent) and _files(event):
            event.acceptProposedAction()
            self.attach(_files(event))
            return True
        return False


def _files(event: QDropEvent) -> list[str]:
    mime = event.mimeData()
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] \
        if mime.hasUrls() else []


def _check(path: str) -> None:
    """Raise the typed error of a file that cannot be attached (a folder is not a document)."""
    if Path(path).is_dir():
        raise UnsupportedDocumentError(path)
    read_document(path)
