"""Light, dark or the system's look, applied to the whole application.

Fusion with an explicit palette gives the same light and dark look on every desktop;
"system" keeps the platform style and palette the app started with.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")

# Fit badge colours, readable on both light and dark backgrounds.
GREEN = "#2e7d32"
AMBER = "#b26a00"
RED = "#c62828"

_SHEET = f"""
QListWidget#sidebar {{ border: none; font-size: 11pt; }}
QListWidget#sidebar::item {{ padding: 8px 12px; }}
QLabel[role="title"] {{ font-size: 15pt; font-weight: 600; }}
QLabel[role="muted"] {{ color: palette(placeholder-text); }}
QLabel[role="error"] {{ color: {RED}; }}
"""


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 30, 32), QColor(40, 40, 43), QColor(230, 230, 230)
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        p.setColor(group, QPalette.ColorRole.Window, window)
        p.setColor(group, QPalette.ColorRole.WindowText, text)
        p.setColor(group, QPalette.ColorRole.Base, base)
        p.setColor(group, QPalette.ColorRole.AlternateBase, QColor(45, 45, 48))
        p.setColor(group, QPalette.ColorRole.Text, text)
        p.setColor(group, QPalette.ColorRole.Button, window)
        p.setColor(group, QPalette.ColorRole.ButtonText, text)
        p.setColor(group, QPalette.ColorRole.ToolTipBase, base)
        p.setColor(group, QPalette.ColorRole.ToolTipText, text)
        p.setColor(group, QPalette.ColorRole.Highlight, QColor(76, 140, 220))
        p.setColor(group, QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
        p.setColor(group, QPalette.ColorRole.Link, QColor(120, 170, 255))
        p.setColor(group, QPalette.ColorRole.PlaceholderText, QColor(150, 150, 150))
    disabled = QColor(120, 120, 120)
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text,
                 QPalette.ColorRole.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return p


class ThemeManager:
    """Remembers the platform look at start so "system" can go back to it."""

    def __init__(self, app: QApplication) -> None:
        self._app = app
        self._system_style = app.style().name()
        self._system_palette = QPalette(app.palette())

    def apply(self, name: str) -> None:
        """Switch the whole application to `name` (system / light / dark)."""
        if name not in THEMES:
            name = "system"
        if name == "system":
            self._app.setStyle(self._system_style)
            self._app.setPalette(self._system_palette)
        else:
            self._app.setStyle("Fusion")
            palette = _dark_palette() if name == "dark" else self._app.style().standardPalette()
            self._app.setPalette(palette)
        self._app.setStyleSheet(_SHEET)
