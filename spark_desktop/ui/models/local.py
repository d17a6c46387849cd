"""The library (library.LocalModel values): models on this machine, one row each."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt

from spark_desktop.ui.format import grouped, human_bytes, human_params
from spark_desktop.ui.models.table import Column, Index, ValueTableModel

_SOURCES = {"models": QT_TRANSLATE_NOOP("LocalModelsModel", "downloads"),
            "hf-cache": QT_TRANSLATE_NOOP("LocalModelsModel", "Hugging Face cache"),
            "extra": QT_TRANSLATE_NOOP("LocalModelsModel", "extra folder"),
            "import": QT_TRANSLATE_NOOP("LocalModelsModel", "imported")}


def _source(m: Any) -> str:
    return QCoreApplication.translate("LocalModelsModel", _SOURCES.get(m.source, m.source))


def _name(m: Any) -> str:
    return f"{m.repo} · {m.name}" if m.repo else m.name


class LocalModelsModel(ValueTableModel):
    columns = (
        Column(QT_TRANSLATE_NOOP("Columns", "Model"),
               _name, tooltip=lambda m: m.problem or str(m.path)),
        Column(QT_TRANSLATE_NOOP("Columns", "Quant"), lambda m: m.quant),
        Column(QT_TRANSLATE_NOOP("Columns", "Size"),
               lambda m: human_bytes(m.size), key=lambda m: m.size, right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Architecture"), lambda m: m.architecture or "—"),
        Column(QT_TRANSLATE_NOOP("Columns", "Parameters"), lambda m: human_params(m.parameters),
               key=lambda m: m.parameters or 0, right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Context"),
               lambda m: grouped(m.context_length) if m.context_length else "—",
               key=lambda m: m.context_length or 0, right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Where"), _source,
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
