"""The window's start-up work runs in turn without the cyclic collector, then freezes what
it built; the chat page can be built a piece at a time; PySide's import hook gives its
answer without keeping module sources."""

from __future__ import annotations

import gc
import importlib
import linecache
import sys
from pathlib import Path

from PySide6.QtWidgets import QApplication

from spark_desktop.history import HistoryStore
from spark_desktop.ui import gc_guard
from spark_desktop.ui.bridges import HistoryBridge, in_turn
from spark_desktop.ui.host_bridge import HostBridge


def test_steps_begin_one_after_another_and_stop_when_asked(qtbot) -> None:
    begun: list[str] = []
    waiting: list = []

    def step(name: str):
        def begin(done) -> None:
            begun.append(name)
            waiting.append(done)
        return begin

    finished: list[bool] = []
    in_turn([step("a"), step("b")], lambda: finished.append(True))
    qtbot.wait(100)
    assert begun == ["a"]  # b waits for a's result
    done = waiting.pop()
    done()
    done()  # a step counts once
    qtbot.waitUntil(lambda: begun == ["a", "b"])
    waiting.pop()()
    qtbot.waitUntil(lambda: finished == [True])
    qtbot.wait(100)
    assert begun == ["a", "b"] and finished == [True]

    stop = [False]
    in_turn([step("c"), step("d")], stopped=lambda: stop[0])
    stop[0] = True
    waiting.pop()()
    qtbot.wait(100)
    assert begun == ["a", "b", "c"]


def test_no_cyclic_collection_until_the_start_up_work_is_done(qtbot) -> None:
    from spark_desktop.ui.app import show_window
    from spark_desktop.ui.chat.markdown import _LEXERS

    interval = sys.getswitchinterval()
    frozen = gc.get_freeze_count()
    window = show_window(QApplication.instance())
    qtbot.addWidget(window)
    try:
        assert not gc.isenabled() and not gc_guard.running()
        assert sys.getswitchinterval() < interval
        with qtbot.waitSignal(window.startup.finished, timeout=60000):
            pass
        services = window.services
        assert window.chat is not None and services.machine is not None
        assert services.downloads.queue is not None and services.host.host is not None
        assert "python" in _LEXERS
        # collection resumes, on the GUI thread only (gc_guard)
        assert gc_guard.running() and not gc.isenabled()
        assert sys.getswitchinterval() == interval
        assert gc.get_freeze_count() > frozen  # what start-up built is out of reach
    finally:
        gc.unfreeze()
        gc_guard.collect_on_gui_thread()
        sys.setswitchinterval(interval)


def test_a_chat_page_built_in_pieces_is_complete_after_the_last(qtbot, tmp_path: Path) -> None:
    from spark_desktop.ui.chat import ChatPage

    store = HistoryStore.open(tmp_path / "history.sqlite3", keys=None)
    store.create_conversation("Kept")
    page = ChatPage(HistoryBridge(store), HostBridge(), pieces=True)
    qtbot.addWidget(page)
    assert not hasattr(page, "composer")
    pieces = 1
    while page.build_piece():
        pieces += 1
    assert pieces > 3 and not page.build_piece()
    assert page.composer.parent() is not None and page.panel.isHidden()
    qtbot.waitUntil(lambda: page.conversations.model.rowCount() == 1)  # the list was asked for


def test_the_lighter_import_hook_answers_as_pyside_did_and_keeps_no_source() -> None:
    import spark_desktop.ui  # noqa: F401  (installs the lighter check)

    feature = sys.modules["shibokensupport.feature"]
    assert getattr(feature._mod_uses_pyside, "lightened", False)
    theme = importlib.import_module("spark_desktop.ui.theme")
    paths = importlib.import_module("spark_desktop.paths")
    linecache.clearcache()
    assert feature._mod_uses_pyside(theme) and not feature._mod_uses_pyside(paths)
    assert feature._mod_uses_pyside(sys) is False  # a built-in module: PySide's own check
    assert theme.__file__ not in linecache.cache and paths.__file__ not in linecache.cache


def test_a_window_closed_during_start_up_turns_the_collector_back_on(qtbot) -> None:
    from spark_desktop.ui.app import show_window

    interval = sys.getswitchinterval()
    window = show_window(QApplication.instance())
    qtbot.addWidget(window)
    try:
        assert not gc.isenabled() and not gc_guard.running()
        window.close()  # before the start-up work is done
        assert gc_guard.running() and sys.getswitchinterval() == interval
        qtbot.wait(300)
        assert window.chat is None  # nothing more was built
    finally:
        gc.unfreeze()
        gc_guard.collect_on_gui_thread()
        sys.setswitchinterval(interval)
