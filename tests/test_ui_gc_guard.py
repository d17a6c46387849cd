"""Garbage in reference cycles is collected on the GUI thread, never on a worker's."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

from spark_desktop.ui.gc_guard import GuiThreadCollector, collect_on_gui_thread


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def test_cycles_made_on_a_worker_are_collected_on_the_gui_thread(qtbot: Any) -> None:
    guard = collect_on_gui_thread()
    assert collect_on_gui_thread() is guard  # one per process
    assert not gc.isenabled()
    freed_on: list[str] = []
    refs: list[weakref.ref[_Node]] = []

    def churn() -> None:  # far past every generation's threshold, on a worker thread
        node = _Node()
        refs.append(weakref.ref(node, lambda _r: freed_on.append(
            threading.current_thread().name)))
        del node
        for _ in range(20):
            garbage = [[_Node() for _ in range(1000)] for _ in range(5)]
            del garbage

    worker = threading.Thread(target=churn, name="worker")
    worker.start()
    worker.join()
    assert refs[0]() is not None  # nothing collected it on the worker
    qtbot.waitUntil(lambda: refs[0]() is None, timeout=5000)
    assert freed_on == [threading.main_thread().name]


def test_only_the_generations_due_are_collected(qtbot: Any) -> None:
    collect_on_gui_thread()
    gc.collect()
    assert GuiThreadCollector.collect_due() == -1  # nothing allocated since
    threshold = gc.get_threshold()[0]
    kept = [_Node() for _ in range(threshold + 10)]
    assert GuiThreadCollector.collect_due() >= 0
    assert kept  # still referenced: collected as live objects, not freed
