"""Start the Qt application and show the main window."""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from spark_desktop.ui.main_window import MainWindow
from spark_desktop.ui.theme import ThemeManager


def create_window(app: QApplication) -> MainWindow:
    """The main window with the user's theme applied (and re-applied when it changes)."""
    themes = ThemeManager(app)
    window = MainWindow()
    themes.apply(window.services.settings.theme)
    window.services.settings_changed.connect(lambda s: themes.apply(s.theme))
    window.themes = themes  # type: ignore[attr-defined]  (lives as long as the window)
    return window


def freeze_startup_objects() -> None:
    """Move everything built at start-up out of the garbage collector's reach.

    Start-up leaves many long-lived objects; a full collection walking them stalled
    the GUI thread for 180-270 ms mid-stream (benchmarks/ui_chat_bench.py).
    """
    gc.collect()
    gc.freeze()


def run_gui(argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Spark Desktop")
    app.setOrganizationName("spark-desktop")
    app.setDesktopFileName("spark-desktop")
    window = create_window(app)
    window.show()
    QTimer.singleShot(3000, freeze_startup_objects)  # after the deferred start-up work
    return app.exec()
