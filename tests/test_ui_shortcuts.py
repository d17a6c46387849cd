"""Keyboard: every shortcut of the window is listed in Help → Keyboard shortcuts (F1),
the page keys switch pages, and controls carry accessible names for screen readers."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
)

from spark_desktop.ui.main_window import PAGES, MainWindow
from spark_desktop.ui.shortcuts import SHORTCUTS, ShortcutsDialog, native_keys
from tests.fixtures.windows import open_window


def _window_keys(window: MainWindow) -> set[str]:
    keys = {s.key() for s in window.findChildren(QShortcut)}
    keys |= {a.shortcut() for a in window.findChildren(QAction) if not a.shortcut().isEmpty()}
    return {k.toString(QKeySequence.SequenceFormat.NativeText) for k in keys}


def test_every_shortcut_of_the_window_is_listed(qtbot) -> None:
    window = open_window(qtbot)
    listed = {native_keys(keys) for keys, _ in SHORTCUTS}
    assert _window_keys(window) - listed == set()
    assert len(listed) == len(SHORTCUTS)  # no key listed twice


def test_f1_opens_the_list_and_page_keys_switch_pages(qtbot) -> None:
    window = open_window(qtbot)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    for number, name in enumerate(PAGES, start=1):
        qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
        assert window.current_page() == name
    qtbot.keyClick(window, Qt.Key.Key_F1)
    dialog = window.shortcuts_dialog
    assert isinstance(dialog, ShortcutsDialog) and dialog.isVisible()
    shown = [(dialog.table.item(r, 0).text(), dialog.table.item(r, 1).text())
             for r in range(dialog.table.rowCount())]
    assert (native_keys("Ctrl+N"), "Start a new chat") in shown
    assert len(shown) == len(SHORTCUTS)
    dialog.reject()


def test_controls_have_accessible_names(qtbot) -> None:
    window = open_window(qtbot)
    unnamed = []
    for name in ("chat", "models", "discover", "downloads"):
        window.show_page(name)
        fields = [w for kind in (QComboBox, QLineEdit, QPlainTextEdit)
                  for w in window.slots[name].findChildren(kind)]
        for w in fields:
            if w.isVisibleTo(window) and not w.accessibleName() and not \
                    isinstance(w.parent(), QComboBox):  # a combo's own line edit
                unnamed.append(f"{name}: {type(w).__name__} {w.objectName()}")
        for b in window.slots[name].findChildren(QAbstractButton):
            if b.isVisibleTo(window) and not (b.text() or b.accessibleName()):
                unnamed.append(f"{name}: {type(b).__name__} {b.objectName()}")
    assert unnamed == []
    assert window.sidebar.accessibleName()
