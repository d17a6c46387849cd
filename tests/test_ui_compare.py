"""The Compare page end to end with both real test models, offscreen: both stream at
once with their figures, a blind vote is stored and shows the names, the leaderboard
follows, the comparison is reopened from the history and exported; in a pool too small
for both, the page says so and runs them in turn."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from spark_desktop.compare import ColumnText, Planned
from spark_desktop.host import ModelHost, ledger
from spark_desktop.inference_settings import SamplingSettings
from spark_desktop.ui.host_bridge import HostBridge
from spark_desktop.ui.main_window import MainWindow
from spark_desktop.ui.pages.compare import ComparePage
from spark_desktop.ui.services import Services
from tests.host_fixtures import GEMMA, SMOL, small_load
from tests.test_ui_host import library_models, make_host  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow
GIB = 1024 ** 3
TURN_TIMEOUT_MS = 180_000


def open_page(qtbot: QtBot, host: ModelHost) -> tuple[MainWindow, ComparePage]:
    win = MainWindow(Services(host=HostBridge(host=host)))
    qtbot.addWidget(win)
    win.show()
    win.show_page("compare")
    page = win.page("compare")
    assert isinstance(page, ComparePage)
    qtbot.waitUntil(lambda: page.model_list.count() >= 2, timeout=30_000)
    page.sampling = SamplingSettings(temperature=0, max_tokens=24)
    page.choose([GEMMA, SMOL])
    return win, page


@pytest.fixture
def window(qtbot: QtBot, library_models: tuple[Any, ...]  # noqa: F811
           ) -> Iterator[tuple[MainWindow, ComparePage]]:
    host = make_host(library_models)
    win, page = open_page(qtbot, host)
    try:
        yield win, page
    finally:
        win.close()
        host.close()


def history(page: ComparePage, op: Any) -> Any:
    return page.services.history.runner.submit(op).result(timeout=30)


def test_blind_comparison_vote_leaderboard_reopen_and_export(
        qtbot: QtBot, window: tuple[MainWindow, ComparePage], tmp_path: Path) -> None:
    _win, page = window
    arrivals: dict[int, list[float]] = {0: [], 1: []}
    page.relay.event.connect(lambda e: isinstance(e, ColumnText)
                             and arrivals[e.column].append(time.monotonic()))
    page.blind.setChecked(True)
    # SmolLM2's own load settings, from the load dialog (starting from the quick test ones)
    page.load_choices[SMOL] = small_load()
    page.model_list.setCurrentItem(page.model_list.findItems(SMOL, Qt.MatchFlag.MatchExactly)[0])
    page.edit_load_settings()
    qtbot.waitUntil(lambda: page.load_dialog is not None and page.load_dialog.isVisible(),
                    timeout=30_000)
    page.load_dialog.ctx_spin.setValue(1024)
    page.load_dialog.accept()
    assert "1024" in page.model_list.currentItem().toolTip()
    page.prompt.setText("Name a colour.")
    with qtbot.waitSignal(page.turn_finished, timeout=TURN_TIMEOUT_MS):
        page.send()
    assert "together" in page.plan_label.text()
    loaded = {e.id: e for e in page.services.host.host.loaded()}
    assert loaded[SMOL].n_ctx == 2 * loaded[GEMMA].n_ctx  # 1024 against the default 512
    assert arrivals[0] and arrivals[1]
    # both streamed at once: each column's text began before the other's ended
    assert arrivals[0][0] < arrivals[1][-1] and arrivals[1][0] < arrivals[0][-1]
    models = [c.model for c in page.columns]
    assert sorted(models) == sorted([GEMMA, SMOL])
    for column in page.columns:
        assert column.header.text() == column.label  # blind: no names yet
        figures = column.figures.text()
        assert "tok/s" in figures and "tokens" in figures and "First token" in figures
        assert "MB" in figures or "GB" in figures or "GiB" in figures or "MiB" in figures
        assert "Answer:" in column.text.toPlainText()
    assert [b.text() for b in page.vote_buttons] == ["A is better", "B is better", "Tie"]

    with qtbot.waitSignal(page.leaderboard_changed, timeout=30_000):
        page.vote_buttons[1].click()
    assert all(c.model in c.header.text() for c in page.columns)  # names shown after the vote
    votes = history(page, lambda s: s.comparisons.votes())
    assert [(v.turn, v.winner, v.blind) for v in votes] == [(0, 1, True)]
    assert page.board.rowCount() == 2
    assert page.board.item(0, 0).text() == models[1]  # the winner ranks first
    assert page.board.item(0, 3).text() == "1"

    answers = [c.text.toPlainText() for c in page.columns]
    page.new_comparison()
    assert page.columns == []
    qtbot.waitUntil(lambda: page.saved_list.count() == 1, timeout=10_000)
    page.reopen_selected()
    qtbot.waitUntil(lambda: len(page.columns) == 2, timeout=30_000)
    for column, before in zip(page.columns, answers, strict=True):
        assert before.split("Answer:\n", 1)[1].strip() in column.text.toPlainText()
    assert [len(c.messages) for c in page.comparison.columns] == [2, 2]

    page.search.setText("colour")
    qtbot.waitUntil(lambda: page.saved_list.count() == 1, timeout=10_000)
    for fmt in ("json", "md"):
        target = tmp_path / f"comparison.{fmt}"
        with qtbot.waitSignal(page.exported, timeout=30_000):
            page.export(target, fmt)
        text = target.read_text(encoding="utf-8")
        if fmt == "json":
            [doc] = json.loads(text)["comparisons"]
            assert doc["models"] == models and len(doc["columns"]) == 2
            assert doc["votes"][0]["blind"] is True
        else:
            assert all(f"### {m}" in text for m in models) and "(blind)" in text


def test_models_that_do_not_fit_together_answer_in_turn(
        qtbot: QtBot, library_models: tuple[Any, ...]) -> None:  # noqa: F811
    found = {m.name: m for m in library_models}
    cost = [ledger.estimated(found[m].path, small_load().resolved(), 1 << 40).total
            for m in (GEMMA, SMOL)]
    host = make_host(library_models, pool=max(cost) + 64 * 1024 ** 2)
    win, page = open_page(qtbot, host)
    plans: list[Any] = []
    page.relay.event.connect(lambda e: isinstance(e, Planned) and plans.append(e.plan))
    try:
        page.prompt.setText("Say hello.")
        with qtbot.waitSignal(page.turn_finished, timeout=TURN_TIMEOUT_MS):
            page.send()
        assert plans and not plans[0].concurrent
        assert "one after another" in page.plan_label.text()
        assert all("tok/s" in c.figures.text() for c in page.columns)
    finally:
        win.close()
        host.close()
