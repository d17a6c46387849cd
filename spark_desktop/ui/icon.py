"""The app's own icons (SVGs in ui/icons/, drawn for the project), in the theme's colours.

Each SVG strokes with `currentColor`; it is drawn in the colour asked for, so an icon
reads on light and dark backgrounds alike. Rendered icons are kept per name and colour.
"""

from __future__ import annotations

import weakref
from functools import cache
from pathlib import Path

import shiboken6
from PySide6.QtCore import QByteArray
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QAbstractButton

from spark_desktop.ui import theme

ICON_DIR = Path(__file__).resolve().parent / "icons"
NAMES = ("chat", "discover", "downloads", "models", "settings", "welcome", "send", "stop",
         "new", "refresh", "delete", "load", "unload", "keyboard", "copy", "pause", "tune",
         "compare")


@cache
def icon(name: str, colour: str, size: int = 40) -> QIcon:
    """The icon `name` drawn in `colour` ("#rrggbb"); an empty icon for an unknown name."""
    path = ICON_DIR / f"{name}.svg"
    if not path.exists():
        return QIcon()
    svg = path.read_text(encoding="utf-8").replace("currentColor", colour)
    svg = svg.replace('width="24" height="24"', f'width="{size}" height="{size}"')
    pixmap = QPixmap()
    pixmap.loadFromData(QByteArray(svg.encode()), "SVG")
    return QIcon(pixmap)


_decorated: weakref.WeakKeyDictionary[QAbstractButton, tuple[str, str]] = \
    weakref.WeakKeyDictionary()


def decorate(button: QAbstractButton, name: str, role: str = "text") -> None:
    """Give `button` the icon `name` in the theme's colour `role` (a Colours field), and
    again in the new colours whenever the theme changes."""
    _decorated[button] = (name, role)
    button.setIcon(icon(name, getattr(theme.colours(), role)))


def recolour() -> None:
    """Draw every decorated button's icon in the colours of the theme now in use (called
    by the theme after each switch)."""
    for button, (name, role) in list(_decorated.items()):
        if shiboken6.isValid(button):  # Qt may have deleted it with its parent
            button.setIcon(icon(name, getattr(theme.colours(), role)))
        else:
            del _decorated[button]


theme.on_change(recolour)
