"""The passage a reply cites, in its file: the file's name, where the passage is (page,
lines), the passage marked among the lines around it, and a button that opens the file in
the system's application.

The dialog opens at once with the passage as the reply keeps it; the file is read again
off the GUI thread (documents.context) and, if it changed or vanished since, the stored
passage stays and a line says so.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.documents.context import PassageContext, passage_context
from spark_desktop.ui.bridges import error_text, run_async


class PassageView(QDialog):
    """One citation ({"n", "file", "location", "text", ...} as Message.extra keeps it)."""

    def __init__(self, citation: Mapping[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passageView")
        self.citation = dict(citation)
        self.path = Path(str(citation.get("file", "")))
        self.context: PassageContext | None = None
        self.setWindowTitle(self.tr("Source [%1]: %2").replace(
            "%1", str(citation.get("n", ""))).replace("%2", self.path.name))
        self.resize(640, 480)
        self.name = QLabel(f"<b>{html.escape(self.path.name)}</b>")
        self.name.setToolTip(str(self.path))
        self.location = QLabel(str(citation.get("location", "")))
        self.location.setProperty("role", "muted")
        self.note = QLabel(self.tr("Reading the file…"))
        self.note.setWordWrap(True)
        self.note.setProperty("role", "muted")
        self.text = QTextBrowser()
        self.text.setOpenLinks(False)
        self.text.setAccessibleName(self.tr("Passage"))
        self.open_button = QPushButton(self.tr("Open file"))
        self.open_button.setToolTip(self.tr("Open %1 in the system's application").replace(
            "%1", str(self.path)))
        self.open_button.clicked.connect(self.open_file)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.addButton(self.open_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.name, self.location, self.note, self.text, buttons):
            layout.addWidget(widget)
        self._show(PassageContext("", str(citation.get("text", "")), "", "found"))
        run_async(lambda: passage_context(self.citation), self._read, self._failed, parent=self)

    @property
    def loaded(self) -> bool:
        """True once the file was read again (or found gone)."""
        return self.context is not None

    def _read(self, context: PassageContext) -> None:
        self.context = context
        self._show(context)
        self.note.setText({
            "found": "",
            "moved": self.tr("The passage is at another place in the file now."),
            "changed": self.tr("The file changed since this reply: this is the passage as "
                               "the model read it."),
            "missing": self.tr("The file is not there any more (moved or deleted?): this is "
                               "the passage as the model read it."),
            "unreadable": self.tr("The file cannot be read now; this is the passage as the "
                                  "model read it.") + " " + context.problem,
        }[context.state])
        self.note.setVisible(bool(self.note.text()))
        self.open_button.setEnabled(context.state != "missing")

    def _failed(self, exc: BaseException) -> None:
        self.context = PassageContext("", str(self.citation.get("text", "")), "", "unreadable",
                                      error_text(exc))
        self.note.setText(error_text(exc))

    def _show(self, context: PassageContext) -> None:
        def block(text: str, style: str = "") -> str:
            return f"<pre style='white-space: pre-wrap; {style}'>{html.escape(text)}</pre>" \
                if text else ""

        self.text.setHtml(block(context.before, "color: gray;")
                          + block(context.passage, "background: rgba(255, 200, 0, 0.25);")
                          + block(context.after, "color: gray;"))

    def open_file(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.path)))
