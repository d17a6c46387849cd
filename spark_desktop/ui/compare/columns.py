"""One model's column on the Compare page: its label (the model, or A, B… while blind),
the conversation so far, and the figures of the latest answer.

Text arrives in pieces from the comparison's threads (by queued signals); it is kept
in a buffer and drawn on a timer, so a fast model never costs a repaint per token.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from spark_desktop.ui.format import human_bytes

if TYPE_CHECKING:
    from spark_desktop.compare import ColumnResult

REPAINT_MS = 50


class ColumnView(QWidget):
    """A column: `start()` a turn, `add()` text, `finish()` with the result's figures."""

    def __init__(self, model: str, label: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.label = label
        self.header = QLabel(objectName="columnHeader")
        bold = self.header.font()
        bold.setBold(True)
        self.header.setFont(bold)
        self.text = QPlainTextEdit(readOnly=True)
        self.figures = QLabel(objectName="columnFigures", wordWrap=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.header)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.figures)
        self._pending: list[str] = []
        self._started = 0.0
        self._first_ms: float | None = None
        self.streaming = False
        self._timer = QTimer(self, interval=REPAINT_MS)
        self._timer.timeout.connect(self.flush)
        self.reveal(False)

    def reveal(self, names: bool) -> None:
        """Show the model's name (or only its letter, while the vote is blind)."""
        self.header.setText(f"{self.label} · {self.model}" if names else self.label)

    def show_message(self, role: str, text: str) -> None:
        """A message of a reopened comparison."""
        prefix = self.tr("You") if role == "user" else self.tr("Answer")
        self._append(f"{prefix}:\n{text}\n\n")

    def start(self, prompt: str) -> None:
        self._append(self.tr("You") + f":\n{prompt}\n\n" + self.tr("Answer") + ":\n")
        self._started = time.monotonic()
        self._first_ms = None
        self.streaming = True
        self.figures.setText(self.tr("Waiting…"))
        self._timer.start()

    def loaded(self, memory: int) -> None:
        self.figures.setText(self.tr("Answering · {memory}").format(memory=human_bytes(memory)))

    def add(self, text: str) -> None:
        if self._first_ms is None:
            self._first_ms = (time.monotonic() - self._started) * 1000
        self._pending.append(text)

    def flush(self) -> None:
        if self._pending:
            text, self._pending = "".join(self._pending), []
            self._append(text)

    def finish(self, result: ColumnResult) -> None:
        """The answer is complete: its figures replace the live ones."""
        self.flush()
        self._timer.stop()
        self.streaming = False
        self._append("\n\n")
        if result.error and result.finish_reason == "error":
            self.figures.setText(self.tr("Failed: {error}").format(error=result.error))
            return
        self.figures.setText(self.tr(
            "First token {ttft} ms · {tps} tok/s · {tokens} tokens · {memory}").format(
            ttft=f"{result.ttft_ms:.0f}", tps=f"{result.decode_tps:.1f}",
            tokens=result.completion_tokens, memory=human_bytes(result.memory)))

    def _append(self, text: str) -> None:
        cursor = self.text.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        self.text.setTextCursor(cursor)
