"""The Compare page: 2–4 local models answer the same prompt, each in its own column,
streaming at once when the memory ledger says they fit together (else in turn, and the
page says so with the numbers), each with its time to first token, tokens/s, tokens
and memory. Blind mode labels the columns A, B… in a shuffled order and shows the
names once the user has voted. Every comparison and vote is kept in the history; the
Saved tab reopens and exports them, the Leaderboard tab ranks the models by the votes.

The comparison (compare.Comparison) runs on a worker thread; its events come back by
a queued relay and each column repaints on a timer. History calls go through the
app's one history runner.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.ui.bridges import EventRelay, error_text, run_async
from spark_desktop.ui.compare.columns import ColumnView
from spark_desktop.ui.compare.leaderboard import LeaderboardView
from spark_desktop.ui.services import Services

LETTERS = "ABCD"


class ComparePage(QWidget):
    turn_finished = Signal()       # every column has answered
    voted = Signal(object)         # history.comparisons.Vote
    leaderboard_changed = Signal(object)  # list of compare.Standing
    saved_changed = Signal(object)  # list of history.comparisons.SavedComparison
    exported = Signal(str)         # the file written

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.comparison: Any = None
        self.recorder: Any = None
        self.columns: list[ColumnView] = []
        self.turn: int | None = None      # the turn the vote buttons are for
        self.running = False
        self.sampling: Any = None         # SamplingSettings; None: the user's settings
        self.load_choices: dict[str, Any] = {}  # model -> LoadSettings set on this page
        self.load_dialog: Any = None
        self.relay = EventRelay(self)
        self.relay.event.connect(self._event)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._compare_tab(), self.tr("Compare"))
        self.tabs.addTab(self._saved_tab(), self.tr("Saved"))
        self.leaderboard = LeaderboardView(services.history)
        self.leaderboard.changed.connect(self.leaderboard_changed)
        self.board = self.leaderboard.table
        self.tabs.addTab(self.leaderboard, self.tr("Leaderboard"))
        QVBoxLayout(self).addWidget(self.tabs)
        services.library_changed.connect(self._fill_models)
        self._fill_models(services.models)
        self.refresh_saved()
        self.refresh_leaderboard()

    # -- construction -----------------------------------------------------------------
    def _compare_tab(self) -> QWidget:
        tab = QWidget()
        self.model_list = QListWidget()
        self.model_list.setMaximumHeight(110)
        self.model_list.setAccessibleName(self.tr("Models to compare"))
        self.model_list.itemChanged.connect(self._selection_changed)
        self.blind = QCheckBox(self.tr("Blind: hide the names until I vote"))
        self.new_button = QPushButton(self.tr("New comparison"))
        self.new_button.clicked.connect(self.new_comparison)
        self.settings_button = QPushButton(self.tr("Load settings…"))
        self.settings_button.setToolTip(self.tr(
            "Context, KV cache and offload of the highlighted model, for this page's "
            "comparisons (a model already loaded keeps the settings it was loaded with)."))
        self.settings_button.clicked.connect(self.edit_load_settings)
        self.plan_label = QLabel(self.tr("Pick 2 to 4 models."), wordWrap=True)
        self.columns_box = QHBoxLayout()
        self.prompt = QLineEdit(placeholderText=self.tr("A prompt every model answers"))
        self.prompt.returnPressed.connect(self.send)
        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.clicked.connect(self.send)
        self.stop_button = QPushButton(self.tr("Stop"), enabled=False)
        self.stop_button.clicked.connect(self.stop)
        self.vote_box = QHBoxLayout()
        self.vote_label = QLabel(self.tr("Which answer is better?"))
        top = QHBoxLayout()
        top.addWidget(self.model_list, 1)
        side = QVBoxLayout()
        side.addWidget(self.blind)
        side.addWidget(self.new_button)
        side.addWidget(self.settings_button)
        side.addStretch(1)
        top.addLayout(side)
        send = QHBoxLayout()
        send.addWidget(self.prompt, 1)
        send.addWidget(self.send_button)
        send.addWidget(self.stop_button)
        layout = QVBoxLayout(tab)
        layout.addLayout(top)
        layout.addWidget(self.plan_label)
        layout.addLayout(self.columns_box, 1)
        layout.addLayout(self.vote_box)
        layout.addLayout(send)
        self._set_vote_buttons([])
        return tab

    def _saved_tab(self) -> QWidget:
        tab = QWidget()
        self.saved_list = QListWidget()
        self.saved_list.itemDoubleClicked.connect(lambda _item: self.reopen_selected())
        self.search = QLineEdit(placeholderText=self.tr("Search the comparisons"))
        self.search.textChanged.connect(lambda _text: self.refresh_saved())
        buttons = QHBoxLayout()
        for text, slot in ((self.tr("Open"), self.reopen_selected),
                           (self.tr("Export JSON…"), lambda: self._export_dialog("json")),
                           (self.tr("Export Markdown…"), lambda: self._export_dialog("md"))):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        layout = QVBoxLayout(tab)
        layout.addWidget(self.search)
        layout.addWidget(self.saved_list, 1)
        layout.addLayout(buttons)
        return tab

    # -- models -----------------------------------------------------------------------
    def _fill_models(self, models: tuple[Any, ...]) -> None:
        checked = set(self.chosen())
        self.model_list.blockSignals(True)
        self.model_list.clear()
        for model in models:
            if getattr(model, "problem", None):
                continue
            item = QListWidgetItem(model.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if model.name in checked
                               else Qt.CheckState.Unchecked)
            self.model_list.addItem(item)
        self.model_list.blockSignals(False)

    def chosen(self) -> list[str]:
        return [self.model_list.item(i).text() for i in range(self.model_list.count())
                if self.model_list.item(i).checkState() == Qt.CheckState.Checked]

    def choose(self, models: list[str]) -> None:
        """Tick these models (and untick the others)."""
        for i in range(self.model_list.count()):
            item = self.model_list.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in models
                               else Qt.CheckState.Unchecked)

    def edit_load_settings(self) -> None:
        """The load dialog for the highlighted model; what is chosen applies when this page
        loads it."""
        from spark_desktop.ui.pages.load_dialog import ask_load_settings

        item = self.model_list.currentItem()
        model = next((m for m in self.services.models if item and m.name == item.text()), None)
        if model is None:
            self.plan_label.setText(self.tr("Highlight a model in the list first."))
            return
        defaults = self.load_choices.get(model.name, self.services.settings.load)
        ask_load_settings(self, self.services, model, defaults,
                          lambda chosen: self._load_chosen(item, chosen),
                          lambda exc: self.plan_label.setText(error_text(exc)))

    def _load_chosen(self, item: QListWidgetItem, chosen: Any) -> None:
        self.load_choices[item.text()] = chosen
        item.setToolTip(self.tr("Loads with a context of {0} tokens").format(chosen.n_ctx))

    def _selection_changed(self, _item: QListWidgetItem) -> None:
        if not self.columns:
            n = len(self.chosen())
            self.plan_label.setText(self.tr("Pick 2 to 4 models.") if not 2 <= n <= 4 else
                                    self.tr("{n} models chosen: send a prompt.").format(n=n))

    # -- a comparison -----------------------------------------------------------------
    def new_comparison(self) -> None:
        """Forget the comparison on screen; the next prompt starts a new one."""
        if self.running:
            return
        self.comparison = None
        self.recorder = None
        self._set_columns([])
        self._set_vote_buttons([])
        self._selection_changed(None)  # type: ignore[arg-type]

    def _host(self) -> Any:
        host = self.services.host.host
        if host is None or not hasattr(host, "ledger"):
            return None
        return host

    def send(self) -> None:
        prompt = self.prompt.text().strip()
        if self.running or not prompt:
            return
        host = self._host()
        if host is None:
            self.plan_label.setText(self.tr(
                "Comparing needs the app's own model host, and it is not ready (or another "
                "process hosts the models)."))
            return
        if self.recorder is None:
            models = self.chosen()
            if not 2 <= len(models) <= 4:
                self.plan_label.setText(self.tr("Pick 2 to 4 models."))
                return
            if self.blind.isChecked():
                random.shuffle(models)
            self._set_columns(models, self.blind.isChecked())
        self.prompt.clear()
        self.running = True
        self._set_vote_buttons([])
        self.send_button.setEnabled(False)
        self.stop_button.setEnabled(True)
        for column in self.columns:
            column.start(prompt)
        recorder, post = self.recorder, self.relay.post
        models = [c.model for c in self.columns]
        sampling = self.sampling or self.services.settings.sampling
        runner = self.services.history.runner
        choices = dict(self.load_choices)

        def work() -> Any:
            """Off the GUI thread: the comparison's first turn resolves its models (a
            library scan) and creates it in the history."""
            from spark_desktop.compare import Comparison, ComparisonRecorder, run_saved_turn

            nonlocal recorder
            if recorder is None:
                load = {m: choices[m] for m in models if m in choices} or None
                recorder = ComparisonRecorder(runner, Comparison(host, models,
                                                                 sampling=sampling, load=load))
            self.comparison, self.recorder = recorder.comparison, recorder
            return run_saved_turn(recorder, prompt, post)

        run_async(work, self._turn_done, self._turn_failed, parent=self)

    def _set_columns(self, models: list[str], blind: bool = False) -> None:
        for column in self.columns:
            self.columns_box.removeWidget(column)
            column.deleteLater()
        self.columns = [ColumnView(m, LETTERS[i], self) for i, m in enumerate(models)]
        self.blind_names = blind
        for column in self.columns:
            column.reveal(not blind)
            self.columns_box.addWidget(column, 1)

    def stop(self) -> None:
        if self.comparison is not None:
            comparison = self.comparison
            run_async(comparison.cancel, parent=self)

    def _event(self, event: object) -> None:
        from spark_desktop.compare import ColumnFinished, ColumnStarted, ColumnText, Planned

        if isinstance(event, ColumnText):
            self.columns[event.column].add(event.text)
        elif isinstance(event, Planned):
            self.plan_label.setText(self._plan_text(event.plan))
        elif isinstance(event, ColumnStarted):
            self.columns[event.column].loaded(event.memory)
        elif isinstance(event, ColumnFinished):
            self.columns[event.column].finish(event.result)

    def _plan_text(self, plan: Any) -> str:
        need = " + ".join(_gib(n) for n in plan.needed)
        if plan.concurrent:
            return self.tr("Running together: the models need {need} and {free} of the {pool} "
                           "memory pool is free.").format(need=need, free=_gib(plan.free),
                                                          pool=_gib(plan.pool))
        return self.tr("They do not fit together: the models need {need} but only {free} of "
                       "the {pool} memory pool is free, so they answer one after another."
                       ).format(need=need, free=_gib(plan.free), pool=_gib(plan.pool))

    def _turn_done(self, done: tuple[int, Any]) -> None:
        self.turn = done[0]
        self._finish_turn()
        self._set_vote_buttons(self.columns)
        self.refresh_saved()
        self.turn_finished.emit()

    def _turn_failed(self, exc: BaseException) -> None:
        self._finish_turn()
        self.plan_label.setText(error_text(exc))
        self.turn_finished.emit()

    def _finish_turn(self) -> None:
        self.running = False
        self.send_button.setEnabled(True)
        self.stop_button.setEnabled(False)

    # -- votes ------------------------------------------------------------------------
    def _set_vote_buttons(self, columns: list[ColumnView]) -> None:
        while self.vote_box.count():
            widget = self.vote_box.takeAt(0).widget()
            if widget is not None and widget is not self.vote_label:
                widget.deleteLater()
        self.vote_label.setVisible(bool(columns))
        if not columns:
            return
        self.vote_box.addWidget(self.vote_label)
        self.vote_buttons = []
        for i, column in enumerate(columns):
            button = QPushButton(self.tr("{label} is better").format(label=column.label))
            button.clicked.connect(lambda _=False, i=i: self.vote(i))
            self.vote_box.addWidget(button)
            self.vote_buttons.append(button)
        tie = QPushButton(self.tr("Tie"))
        tie.clicked.connect(lambda: self.vote(None))
        self.vote_box.addWidget(tie)
        self.vote_buttons.append(tie)
        self.vote_box.addStretch(1)

    def vote(self, winner: int | None) -> None:
        """The user's verdict on the latest turn; then the names are shown."""
        if self.recorder is None or self.turn is None or self.recorder.id is None:
            return
        cid, turn, blind = self.recorder.id, self.turn, self.blind_names
        self._set_vote_buttons([])
        for column in self.columns:
            column.reveal(True)
        self.blind_names = False
        winner_text = (self.tr("a tie") if winner is None
                       else self.columns[winner].label + " · " + self.columns[winner].model)
        self.plan_label.setText(self.tr("Your vote: {winner}.").format(winner=winner_text))
        self.services.history.run(
            lambda s: s.comparisons.vote(cid, turn, winner, blind=blind),
            self._voted, lambda exc: self.plan_label.setText(error_text(exc)), parent=self)

    def _voted(self, vote: object) -> None:
        self.voted.emit(vote)
        self.refresh_leaderboard()

    def refresh_leaderboard(self) -> None:
        self.leaderboard.refresh()

    # -- saved comparisons --------------------------------------------------------------
    def refresh_saved(self) -> None:
        query = self.search.text().strip()

        def op(store: Any) -> Any:
            if not query:
                return store.comparisons.list()
            ids = dict.fromkeys(h.comparison_id for h in store.comparisons.search(query))
            return [store.comparisons.get(cid) for cid in ids]

        self.services.history.run(op, self._show_saved, parent=self)

    def _show_saved(self, saved: list[Any]) -> None:
        self.saved_list.clear()
        for comparison in saved:
            item = QListWidgetItem(self.tr("{title} — {models}").format(
                title=comparison.title or self.tr("Untitled"),
                models=", ".join(comparison.models)))
            item.setData(Qt.ItemDataRole.UserRole, comparison.id)
            self.saved_list.addItem(item)
        if saved and self.saved_list.currentRow() < 0:
            self.saved_list.setCurrentRow(0)
        self.saved_changed.emit(saved)

    def selected_id(self) -> str | None:
        item = self.saved_list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def reopen_selected(self) -> None:
        cid, host = self.selected_id(), self._host()
        if cid is None or host is None or self.running:
            return

        def op(store: Any) -> Any:
            from spark_desktop.compare import reopen

            return reopen(store, host, cid)

        self.services.history.run(op, self._reopened,
                                  lambda exc: self.plan_label.setText(error_text(exc)),
                                  parent=self)

    def _reopened(self, found: tuple[Any, Any, list[list[tuple[str, str]]]]) -> None:
        from spark_desktop.compare import ComparisonRecorder

        comparison, saved, shown = found
        self.comparison = comparison
        self.recorder = ComparisonRecorder(self.services.history.runner, comparison, saved.id)
        self._set_columns(list(saved.models))
        for column, messages in zip(self.columns, shown, strict=True):
            for role, text in messages:
                column.show_message(role, text)
        self.turn = None
        self.plan_label.setText(self.tr("Reopened “{title}”: send a prompt to go on.").format(
            title=saved.title or self.tr("Untitled")))
        self.tabs.setCurrentIndex(0)

    def _export_dialog(self, fmt: str) -> None:
        if self.selected_id() is None:
            return
        suffix = "JSON (*.json)" if fmt == "json" else "Markdown (*.md)"
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export the comparison"),
                                              f"comparison.{fmt}", suffix)
        if path:
            self.export(Path(path), fmt)

    def export(self, path: Path, fmt: str) -> None:
        """Write the selected comparison, every column, to `path` (json or md)."""
        cid = self.selected_id()
        if cid is None:
            return

        def op(store: Any) -> str:
            from spark_desktop.history import comparison_export

            write = (comparison_export.export_json if fmt == "json"
                     else comparison_export.export_markdown)
            path.write_text(write(store, [cid]), encoding="utf-8")
            return str(path)

        self.services.history.run(op, self.exported.emit,
                                  lambda exc: self.plan_label.setText(error_text(exc)),
                                  parent=self)


def _gib(n: int) -> str:
    return f"{n / 1024 ** 3:.2f} GiB"
