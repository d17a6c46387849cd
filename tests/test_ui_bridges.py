"""Bridges deliver results of off-thread work on the GUI thread, and errors as values."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, QThread

from spark_desktop.errors import SparkError
from spark_desktop.ui.bridges import EventRelay, error_text, run_async


def test_result_arrives_on_gui_thread(qtbot) -> None:
    gui = QThread.currentThread()
    seen: dict[str, object] = {}

    def work() -> int:
        seen["worker"] = threading.current_thread() is threading.main_thread()
        return 42

    def done(value: int) -> None:
        seen["value"] = value
        seen["gui"] = QThread.currentThread() is gui

    call = run_async(work, done)
    qtbot.waitUntil(lambda: call.finished)
    assert seen == {"worker": False, "value": 42, "gui": True}


def test_exception_arrives_as_value(qtbot) -> None:
    errors: list[BaseException] = []

    def work() -> None:
        raise SparkError("The disk is full; free 2 GB.")

    call = run_async(work, lambda _v: None, errors.append)
    qtbot.waitUntil(lambda: call.finished)
    assert [str(e) for e in errors] == ["The disk is full; free 2 GB."]
    assert error_text(errors[0]) == "The disk is full; free 2 GB."
    assert error_text(ValueError("x")).startswith("Something went wrong: ValueError")


def test_delivery_dropped_when_parent_is_gone(qtbot) -> None:
    release = threading.Event()
    got: list[int] = []
    parent = QObject()
    run_async(lambda: release.wait(5) and 1, got.append, parent=parent)
    parent.deleteLater()
    qtbot.wait(10)
    release.set()
    qtbot.wait(200)
    assert got == []


def test_event_relay_crosses_threads(qtbot) -> None:
    relay = EventRelay()
    gui = QThread.currentThread()
    got: list[tuple[int, bool]] = []
    relay.event.connect(lambda v: got.append((v, QThread.currentThread() is gui)))
    threads = [threading.Thread(target=relay.post, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    qtbot.waitUntil(lambda: len(got) == 3)
    assert sorted(got) == [(0, True), (1, True), (2, True)]
