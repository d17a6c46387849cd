"""The library (library.LocalModel values): models on this machine, one row each."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from spark_desktop.ui.format import human_bytes, human_params
from spark_desktop.ui.models.table import Column, Index, ValueTableModel

_SOURCES = {"models": "downloads", "hf-cache": "Hugging Face cache", "extra": "extra folder",
            "import": "imported"}


def _name(m: Any) -> str:
    return f"{m.repo} · {m.name}" if m.repo else m.name


class LocalModelsModel(ValueTableModel):
    columns = (
        Column("Model", _name, tooltip=lambda m: m.problem or str(m.path)),
        Column("Quant", lambda m: m.quant),
        Column("Size", lambda m: human_bytes(m.size), key=lambda m: m.size, right=True),
        Column("Architecture", lambda m: m.architecture or "—"),
        Column("Parameters", lambda m: human_params(m.parameters),
               key=lambda m: m.parameters or 0, right=True),
        Column("Context", lambda m: f"{m.context_length:,}" if m.context_length else "—",
               key=lambda m: m.context_length or 0, right=True),
        Column("Where", lambda m: _SOURCES.get(m.source, m.source),
               tooltip=lambda m: str(m.path)),
    )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and index.isValid() \
                and self._rows[index.row()].problem:
            from PySide6.QtGui import QBrush, QColor

            from spark_desktop.ui.theme import RED

            return QBrush(QColor(RED))
        return super().data(index, role)

    def row_of_path(self, path: Any) -> int:
        return next((r for r, m in enumerate(self._rows) if str(m.path) == str(path)), -1)
