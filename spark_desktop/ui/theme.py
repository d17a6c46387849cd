"""The app's look: one palette per scheme (light, dark), in this one place, turned into a
QPalette and a style sheet for the whole application.

"system" follows the desktop's light/dark preference (QStyleHints.colorScheme) and
switches when it changes; "light" and "dark" fix one. Fusion is the base style on every
desktop, so the app looks the same under GNOME, KDE or a bare X server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEMES = ("system", "light", "dark")

# Fit badge colours for code that has no palette at hand (fitview): mid tones that read
# on light and dark backgrounds; widgets use the scheme's own (Colours.green, ...).
GREEN = "#2e8b3a"
AMBER = "#b8740a"
RED = "#d03a3a"


@dataclass(frozen=True)
class Colours:
    """Every colour of one scheme. Text colours are checked against their backgrounds for
    WCAG AA contrast by the tests."""

    window: str        # page background
    surface: str       # fields, tables, the assistant's bubbles
    sidebar: str       # the navigation column
    raised: str        # buttons, headers, code blocks
    hover: str         # a control under the pointer
    border: str
    text: str
    muted: str         # secondary text (dates, hints)
    accent: str        # selection, default buttons, focus ring
    on_accent: str     # text on accent
    link: str
    user_bubble: str
    green: str
    amber: str
    red: str
    # code highlighting
    keyword: str
    string: str
    comment: str
    number: str
    function: str


LIGHT = Colours(
    window="#f6f7f9", surface="#ffffff", sidebar="#eceef2", raised="#f0f1f4", hover="#e3e6ec",
    border="#d5d9e0", text="#1b1d22", muted="#5c6370", accent="#3461d1", on_accent="#ffffff",
    link="#2952b8", user_bubble="#e3ebfd", green="#1e7b34", amber="#965c00", red="#c02626",
    keyword="#8839ac", string="#2f7a1e", comment="#5f6773", number="#a34a00",
    function="#2451b0")

DARK = Colours(
    window="#1b1d22", surface="#23262d", sidebar="#16181c", raised="#2c3038", hover="#363b45",
    border="#3a3f4a", text="#e7e9ee", muted="#a0a7b4", accent="#5b8def", on_accent="#0b1020",
    link="#8fb4ff", user_bubble="#2b3a5c", green="#5cc879", amber="#f0b45a", red="#ff8080",
    keyword="#d49cf5", string="#9fdc86", comment="#9aa3b0", number="#f5b47a",
    function="#8fb4ff")

_current = LIGHT
_listeners: list[Callable[[], None]] = []


def on_change(callback: Callable[[], None], owner: QObject | None = None) -> None:
    """Call `callback` after every theme switch (icons redraw themselves in new colours),
    until `owner` (the widget whose icons it draws) is destroyed."""
    _listeners.append(callback)
    if owner is not None:
        owner.destroyed.connect(lambda *_: _listeners.remove(callback))


def colours() -> Colours:
    """The scheme in use now (LIGHT until a theme is applied)."""
    return _current


def badge_colour(colour: str) -> str:
    """The current scheme's shade of a fit badge colour given as GREEN, AMBER or RED (what
    fitview hands out), readable on this scheme's backgrounds; other colours unchanged."""
    c = _current
    return {GREEN: c.green, AMBER: c.amber, RED: c.red}.get(colour, colour)


def palette_for(c: Colours) -> QPalette:
    p = QPalette()
    roles = QPalette.ColorRole
    pairs = {
        roles.Window: c.window, roles.WindowText: c.text, roles.Base: c.surface,
        roles.AlternateBase: c.raised, roles.Text: c.text, roles.Button: c.raised,
        roles.ButtonText: c.text, roles.ToolTipBase: c.surface, roles.ToolTipText: c.text,
        roles.Highlight: c.accent, roles.HighlightedText: c.on_accent, roles.Link: c.link,
        roles.LinkVisited: c.link, roles.PlaceholderText: c.muted, roles.BrightText: c.red,
        roles.Light: c.surface, roles.Midlight: c.raised, roles.Mid: c.border,
        roles.Dark: c.border, roles.Shadow: c.border, roles.Accent: c.accent,
    }
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        for role, colour in pairs.items():
            p.setColor(group, role, QColor(colour))
    for role, colour in pairs.items():
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(colour))
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(c.muted))
    return p


def style_sheet(c: Colours) -> str:
    """Spacing, shapes and states (hover, focus, pressed, checked) on top of the palette."""
    return f"""
* {{ outline: none; }}
QMainWindow, QDialog {{ background: {c.window}; }}
QListWidget#sidebar {{ background: {c.sidebar}; border: none; border-right: 1px solid {c.border};
    padding: 10px 8px; font-size: 10.5pt; }}
QListWidget#sidebar::item {{ padding: 9px 10px; margin: 1px 0; border-radius: 8px;
    color: {c.text}; }}
QListWidget#sidebar::item:hover {{ background: {c.hover}; }}
QListWidget#sidebar::item:selected {{ background: {c.accent}; color: {c.on_accent}; }}
QLabel[role="title"] {{ font-size: 16pt; font-weight: 600; padding: 2px 0 6px 0; }}
QLabel[role="muted"] {{ color: {c.muted}; }}
QLabel[role="error"] {{ color: {c.red}; }}
QPushButton, QToolButton {{ background: {c.raised}; color: {c.text}; border: 1px solid {c.border};
    border-radius: 7px; padding: 5px 14px; min-height: 20px; }}
QPushButton:hover, QToolButton:hover {{ background: {c.hover}; }}
QPushButton:pressed, QPushButton:checked {{ background: {c.border}; }}
QPushButton:focus, QToolButton:focus {{ border: 2px solid {c.accent}; padding: 4px 13px; }}
QPushButton:disabled {{ color: {c.muted}; background: {c.window}; }}
QPushButton#sendButton {{ background: {c.accent}; color: {c.on_accent}; border: none;
    font-weight: 600; padding: 7px 18px; }}
QPushButton#sendButton:hover {{ background: {c.link}; }}
QPushButton#sendButton:focus {{ border: 2px solid {c.text}; padding: 5px 16px; }}
QTableView QPushButton {{ padding: 1px 8px; min-height: 0; border-radius: 5px; margin: 1px; }}
QTableView QPushButton:focus {{ padding: 0 7px; }}
QLineEdit, QPlainTextEdit, QTextEdit, QComboBox {{
    background: {c.surface}; color: {c.text}; border: 1px solid {c.border}; border-radius: 7px;
    padding: 5px 8px; selection-background-color: {c.accent};
    selection-color: {c.on_accent}; }}
QLineEdit:hover, QPlainTextEdit:hover, QComboBox:hover {{ border-color: {c.muted}; }}
QLineEdit:focus, QPlainTextEdit:focus, QTextEdit:focus, QComboBox:focus {{
    border: 2px solid {c.accent}; padding: 4px 7px; }}
QPlainTextEdit#composer {{ border-radius: 12px; padding: 8px 10px; }}
QPlainTextEdit#composer:focus {{ padding: 7px 9px; }}
QComboBox {{ padding: 2px 8px; min-height: 22px; }}
QComboBox:focus {{ padding: 1px 7px; }}
QComboBox QAbstractItemView {{ background: {c.surface}; border: 1px solid {c.border};
    selection-background-color: {c.accent}; selection-color: {c.on_accent}; }}
QTableView, QListView, QTextBrowser {{ background: {c.surface}; border: 1px solid {c.border};
    border-radius: 8px; gridline-color: {c.raised};
    selection-background-color: {c.accent}; selection-color: {c.on_accent}; }}
QTableView:focus, QListView:focus, QTextBrowser:focus {{ border: 1px solid {c.accent}; }}
QTableView::item {{ padding: 4px 6px; }}
QTableView::item:hover, QListView::item:hover {{ background: {c.hover}; color: {c.text}; }}
QListView#conversationList::item {{ padding: 6px 6px; border-radius: 6px; }}
QListView#conversationList::item:selected {{ background: {c.accent}; color: {c.on_accent}; }}
QListView#messageView {{ background: {c.window}; border: none; }}
QHeaderView::section {{ background: {c.raised}; color: {c.muted}; border: none;
    border-bottom: 1px solid {c.border}; padding: 6px 8px; font-weight: 600; }}
QProgressBar {{ background: {c.raised}; border: 1px solid {c.border}; border-radius: 6px;
    text-align: center; color: {c.text}; min-height: 16px; }}
QProgressBar::chunk {{ background: {c.accent}; border-radius: 5px; }}
QProgressBar#contextMeter::chunk {{ background: {c.user_bubble}; }}
QFrame#chatBanner {{ background: {c.surface}; border: 1px solid {c.amber}; border-radius: 8px; }}
QFrame#card {{ background: {c.surface}; border: 1px solid {c.border}; border-radius: 10px; }}
QFrame#card:hover {{ border-color: {c.accent}; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 2px; }}
QScrollBar::handle:vertical {{ background: {c.border}; border-radius: 4px; min-height: 30px; }}
QScrollBar::handle:vertical:hover {{ background: {c.muted}; }}
QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; width: 0; }}
QScrollBar:horizontal {{ background: transparent; height: 10px; margin: 2px; }}
QScrollBar::handle:horizontal {{ background: {c.border}; border-radius: 4px; min-width: 30px; }}
QSplitter::handle {{ background: {c.window}; }}
QSplitter::handle:hover {{ background: {c.border}; }}
QStatusBar {{ background: {c.sidebar}; color: {c.muted}; border-top: 1px solid {c.border}; }}
QStatusBar QLabel {{ color: {c.muted}; }}
QMenuBar {{ background: {c.window}; color: {c.text}; }}
QMenuBar::item:selected, QMenu::item:selected {{ background: {c.accent};
    color: {c.on_accent}; }}
QMenu {{ background: {c.surface}; color: {c.text}; border: 1px solid {c.border};
    padding: 4px; }}
QMenu::item {{ padding: 5px 18px; border-radius: 5px; }}
QToolTip {{ background: {c.surface}; color: {c.text}; border: 1px solid {c.border};
    padding: 4px; }}
"""


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


class ThemeManager:
    """Applies a theme to the application and keeps following the desktop's preference
    while the choice is "system"."""

    def __init__(self, app: QApplication) -> None:
        self._app = app
        self._choice = "system"
        app.styleHints().colorSchemeChanged.connect(self._scheme_changed)

    @property
    def scheme(self) -> Colours:
        return _current

    def apply(self, name: str) -> None:
        """Switch the whole application to `name` (system / light / dark)."""
        global _current
        self._choice = name if name in THEMES else "system"
        dark = self._choice == "dark" or (self._choice == "system" and system_is_dark())
        _current = DARK if dark else LIGHT
        if self._app.style().name().lower() != "fusion":
            self._app.setStyle("Fusion")
        self._app.setPalette(palette_for(_current))
        self._app.setStyleSheet(style_sheet(_current))
        for callback in _listeners:
            callback()

    def _scheme_changed(self, _scheme: Qt.ColorScheme) -> None:
        if self._choice == "system":
            self.apply("system")
