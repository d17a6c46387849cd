"""The main window: a sidebar of pages and a status bar."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Spark Desktop")
        self.resize(1100, 720)
        self.setCentralWidget(QLabel("Spark Desktop"))
