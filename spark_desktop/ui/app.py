"""Start the Qt application and show the main window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from spark_desktop.ui.main_window import MainWindow


def run_gui(argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Spark Desktop")
    app.setOrganizationName("spark-desktop")
    app.setDesktopFileName("spark-desktop")
    window = MainWindow()
    window.show()
    return app.exec()
