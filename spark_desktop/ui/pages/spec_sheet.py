"""The spec sheet: models from Discover (Hub quantizations) and My Models (local files) side
by side before a download, and a chart of one repository's quantizations.

One sheet per window (sheet_for finds or makes it). Headers are read off the GUI thread
(compare.spec.read); judging them (compare.spec.judge, a fit estimate each) is fast, so
changing the context or the target re-judges every row at once on the GUI thread.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.compare import spec as sheet
from spark_desktop.ui.bridges import error_text, run_async
from spark_desktop.ui.format import grouped, human_bytes
from spark_desktop.ui.models.table import Column, Index, ValueTableModel
from spark_desktop.ui.quantchart import QuantChart
from spark_desktop.ui.services import Services
from spark_desktop.ui.theme import AMBER, GREEN, RED, badge_colour
from spark_desktop.ui.widgets import record_table

translate = QCoreApplication.translate
#: The longest a slice of judging rows keeps the GUI thread.
SLICE_S = 0.008
#: The targets the sheet offers: key, and its name (the Settings' plan comes first).
TARGETS = (("settings", QT_TRANSLATE_NOOP("SpecSheet", "The target in Settings")),
           ("spark", QT_TRANSLATE_NOOP("SpecSheet", "A DGX Spark")),
           ("spark2", QT_TRANSLATE_NOOP("SpecSheet", "Two DGX Sparks")))
VERDICTS = {"fits": (QT_TRANSLATE_NOOP("SpecSheet", "fits"), GREEN),
            "fits_reduced": (QT_TRANSLATE_NOOP("SpecSheet", "with less context"), AMBER),
            "does_not_fit": (QT_TRANSLATE_NOOP("SpecSheet", "does not fit"), RED)}


def _billions(n: int | None) -> str:
    """Parameters as model cards write them: 7.24 B, 135 M, 70 K."""
    if n is None:
        return ""
    return f"{n / 1e9:.2f} B" if n >= 1e8 else f"{n / 1e6:.0f} M" if n >= 1e6 \
        else f"{n / 1e3:.0f} K"


def _fit_text(r: sheet.SpecRow) -> str:
    if r.error:
        return translate("SpecSheet", "error")
    if r.verdict is None:
        return translate("SpecSheet", "reading…")
    return translate("SpecSheet", VERDICTS[r.verdict][0])


def _number(n: float | None, digits: int = 0) -> str:
    return "" if n is None else grouped(int(n)) if digits == 0 else f"{n:.{digits}f}"


FIT_COLUMN = 7


class SpecRowsModel(ValueTableModel):
    columns = (
        Column(QT_TRANSLATE_NOOP("Columns", "Model"), lambda r: r.model,
               tooltip=lambda r: r.error),
        Column(QT_TRANSLATE_NOOP("Columns", "Architecture"), lambda r: r.architecture or ""),
        Column(QT_TRANSLATE_NOOP("Columns", "Parameters"), lambda r: _billions(r.parameters),
               key=lambda r: r.parameters or 0, right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Active"),
               lambda r: _billions(r.active_parameters), right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Quant"), lambda r: r.quantization or ""),
        Column(QT_TRANSLATE_NOOP("Columns", "Size"),
               lambda r: human_bytes(r.file_size) if r.file_size else "", right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Memory"),
               lambda r: human_bytes(r.memory) if r.memory else "", right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Fit"), _fit_text, tooltip=lambda r: r.error),
        Column(QT_TRANSLATE_NOOP("Columns", "Largest context"),
               lambda r: _number(r.max_context), right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Writing tok/s"),
               lambda r: _number(r.decode_tps, 1), right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Reading tok/s"),
               lambda r: _number(r.prefill_tps), right=True),
        Column(QT_TRANSLATE_NOOP("Columns", "Licence"), lambda r: r.license or ""),
        Column(QT_TRANSLATE_NOOP("Columns", "Context length"),
               lambda r: _number(r.context_length), right=True),
    )

    def update_values(self, values: list[sheet.SpecRow]) -> None:
        """New figures for the same rows change cells in place (the view keeps its layout
        and selection); other rows reset the table."""
        if len(values) != self.rowCount():
            self.set_values(values)
            return
        self._rows = list(values)
        if values:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(len(values) - 1, len(self.columns) - 1))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if index.isValid() and index.column() == FIT_COLUMN \
                and role == Qt.ItemDataRole.ForegroundRole:
            row = self.value(index.row())
            colour = RED if row.error else VERDICTS.get(row.verdict or "", ("", None))[1]
            return QBrush(QColor(badge_colour(colour))) if colour else None
        return super().data(index, role)


@dataclass(frozen=True)
class _Entry:
    """A row's model: its header once read, or why it could not be."""

    candidate: sheet.Candidate
    read: sheet.ReadModel | None = None
    problem: str | None = None


class SpecSheet(QDialog):
    """The rows added from Discover and My Models, their context and target, and the chart
    of one repository's quantizations."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.entries: list[_Entry] = []
        self._licences: dict[str, str | None] = {}
        self.setWindowTitle(self.tr("Spec sheet"))
        self.context = QSpinBox(minimum=256, maximum=1 << 20, singleStep=1024)
        self.context.setValue(services.settings.load.n_ctx)
        self.context.setAccessibleName(self.tr("Context length in tokens"))
        self.context.valueChanged.connect(lambda _v: self.rejudge())
        self.target = QComboBox()
        for _key, name in TARGETS:
            self.target.addItem(self.tr(name))
        self.target.setAccessibleName(self.tr("Target"))
        self.target.currentIndexChanged.connect(lambda _i: self.rejudge())
        self.rows = SpecRowsModel(self)
        self.table = record_table(self.rows, stretch=len(SpecRowsModel.columns) - 1)
        self.repo = QComboBox()
        self.repo.setAccessibleName(self.tr("Repository to chart"))
        self.repo.currentIndexChanged.connect(lambda _i: self._chart())
        self.chart = QuantChart()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        remove = QPushButton(self.tr("Remove"), clicked=self.remove_selected)
        clear = QPushButton(self.tr("Clear"), clicked=self.clear)
        close = QPushButton(self.tr("Close"), clicked=self.close)
        controls = QHBoxLayout()
        controls.addWidget(QLabel(self.tr("Context:")))
        controls.addWidget(self.context)
        controls.addWidget(QLabel(self.tr("Target:")))
        controls.addWidget(self.target)
        controls.addStretch(1)
        charted = QWidget()
        cl = QVBoxLayout(charted)
        cl.setContentsMargins(0, 0, 0, 0)
        pick = QHBoxLayout()
        pick.addWidget(QLabel(self.tr("Quantizations of:")))
        pick.addWidget(self.repo, 1)
        cl.addLayout(pick)
        cl.addWidget(self.chart, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(charted)
        buttons = QHBoxLayout()
        buttons.addWidget(remove)
        buttons.addWidget(clear)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(split, 1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        self.resize(1100, 640)
        services.settings_changed.connect(lambda _s: self.rejudge())
        services.machine_ready.connect(lambda _m: self.rejudge())
        self._planned: Any = None
        self._shown: list[sheet.SpecRow] = []  # one per entry, as judged so far
        self._todo: set[int] = set()           # entries to judge again
        self._timer = QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self._judge_some)

    # -- adding -----------------------------------------------------------------------
    def add_variants(self, variants: tuple[Any, ...]) -> None:
        """Hub quantizations (hub.Variant) picked in Discover."""
        self.add([sheet.variant_candidate(v) for v in variants])

    def add_local(self, model: Any, label: str) -> None:
        """A model of the library (library.LocalModel), named `label`."""
        self.add([sheet.Candidate(label, path=model.path)])

    def add(self, candidates: list[sheet.Candidate]) -> None:
        """Add rows (one already in the sheet is not added twice) and read their headers
        off the GUI thread."""
        known = {e.candidate.label for e in self.entries}
        for candidate in candidates:
            if candidate.label in known:
                continue
            known.add(candidate.label)
            self.entries.append(_Entry(candidate))
            self._shown.append(sheet.unread(candidate))
            self._todo.add(len(self.entries) - 1)
            self._read(candidate)
        self._timer.start()

    def _read(self, candidate: sheet.Candidate) -> None:
        licences = self._licences

        def done(model: sheet.ReadModel) -> None:
            self._settle(candidate, replace(self._entry(candidate), read=model))

        def failed(exc: BaseException) -> None:
            self._settle(candidate, replace(self._entry(candidate), problem=error_text(exc)))

        def work() -> sheet.ReadModel:
            from spark_desktop.fit.profile import profile

            model = sheet.read(candidate, licences)
            profile(model.spec)  # condensed here, off the GUI thread; estimates reuse it
            return model

        run_async(work, done, failed, parent=self)

    def _entry(self, candidate: sheet.Candidate) -> _Entry:
        return next((e for e in self.entries if e.candidate == candidate), _Entry(candidate))

    def _settle(self, candidate: sheet.Candidate, entry: _Entry) -> None:
        for i, e in enumerate(self.entries):
            if e.candidate == candidate:  # not removed meanwhile
                self.entries[i] = entry
                self._todo.add(i)
                self._timer.start()
                return

    # -- judging ----------------------------------------------------------------------
    def _target(self) -> Any:
        """The chosen target; the Settings' plan before the machine probe is resolved once
        off the GUI thread (None until then)."""
        key = TARGETS[self.target.currentIndex()][0]
        if key != "settings":
            from spark_desktop.hardware import resolve_target

            return resolve_target(key)  # a fixed description: no probe
        if self.services.target is not None:
            return self.services.target
        if self._planned is None:
            self._planned = False  # asked once
            name = self.services.settings.target
            run_async(lambda: _resolve(name), self._resolved, parent=self)
        return self._planned or None

    def _resolved(self, target: Any) -> None:
        self._planned = target
        self.rejudge()

    def fit_function(self) -> sheet.FitFunction | None:
        """spec -> FitEstimate at the chosen context on the chosen target (None while the
        target is not known yet)."""
        from spark_desktop.ui import fitview

        target = self._target()
        if target is None:
            return None
        chosen = replace(self.services.settings.load, n_ctx=self.context.value())
        return lambda spec: fitview.estimate(spec, chosen, target)

    def rejudge(self) -> None:
        """Judge every row again at the current context and target (a fit estimate each,
        a slice at a time: see _judge_some)."""
        self._todo = set(range(len(self.entries)))
        self._timer.start()

    def _judge_some(self) -> None:
        """Judge rows waiting for it for up to SLICE_S, then show them; the rest follow on
        the next turn of the event loop, so a long sheet never stalls the window."""
        fit = self.fit_function()
        deadline = time.perf_counter() + SLICE_S
        while fit is not None and self._todo and time.perf_counter() < deadline:
            i = min(self._todo)
            self._todo.discard(i)
            e = self.entries[i]
            self._shown[i] = sheet.unread(e.candidate, e.problem) if e.read is None \
                else sheet.judge(e.read, fit)
        if fit is not None and self._todo:
            self._timer.start()
        self.rows.update_values(self._shown)
        reading = sum(1 for e in self.entries if e.read is None and e.problem is None)
        self.status.setText(self.tr("Reading {n} headers…").format(n=reading) if reading
                            else "")
        self._update_repos()
        self._chart()

    @property
    def judging(self) -> bool:
        """True while rows wait to be judged (or the target is still being resolved)."""
        return bool(self._todo)

    def _update_repos(self) -> None:
        repos = sorted({r.repo for r in self.rows.values() if r.repo})
        current = self.repo.currentData()
        choices = [(repo, repo) for repo in repos] + [(None, self.tr("Every model above"))]
        if [self.repo.itemData(i) for i in range(self.repo.count())] == [c[0] for c in choices]:
            return
        self.repo.blockSignals(True)
        self.repo.clear()
        for data, text in choices:
            self.repo.addItem(text, data)
        index = self.repo.findData(current) if current else 0
        self.repo.setCurrentIndex(max(index, 0))
        self.repo.blockSignals(False)

    def _chart(self) -> None:
        repo = self.repo.currentData()
        self.chart.set_rows([r for r in self.rows.values() if repo is None or r.repo == repo],
                            by_model=repo is None)

    # -- removing ---------------------------------------------------------------------
    def remove_selected(self) -> None:
        rows = {i.row() for i in self.table.selectionModel().selectedRows()}
        kept = [i for i in range(len(self.entries)) if i not in rows]
        self.entries = [self.entries[i] for i in kept]
        self._shown = [self._shown[i] for i in kept]
        self.rejudge()

    def clear(self) -> None:
        self.entries, self._shown = [], []
        self.rejudge()


def _resolve(name: str) -> Any:
    from spark_desktop.hardware import resolve_target

    return resolve_target(name)


def sheet_for(widget: QWidget, services: Services) -> SpecSheet:
    """The window's spec sheet (made on first use), shown and raised."""
    window = widget.window()
    found = window.findChild(SpecSheet)
    if found is None:
        found = SpecSheet(services, window)
    found.show()
    found.raise_()
    return found
