"""The theme: body text in both schemes meets WCAG AA contrast, the applied palette is the
scheme's, "system" follows the desktop's light/dark preference, icons are drawn in the
theme's colours, and code in replies is coloured by Pygments."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPalette, QTextCursor
from PySide6.QtWidgets import QApplication, QPushButton

from spark_desktop.ui import icon, theme
from spark_desktop.ui.chat import markdown

AA_BODY = 4.5


def _luminance(hex_colour: str) -> float:
    c = QColor(hex_colour)

    def channel(v: int) -> float:
        s = v / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(c.red()) + 0.7152 * channel(c.green()) + 0.0722 * channel(c.blue())


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula_matches_wcag_examples() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # the AA edge


#: (foreground, background) pairs of body text somewhere in the window.
TEXT_PAIRS = [
    ("text", "window"), ("text", "surface"), ("text", "raised"), ("text", "sidebar"),
    ("text", "hover"), ("text", "user_bubble"), ("muted", "window"), ("muted", "surface"),
    ("muted", "sidebar"), ("on_accent", "accent"), ("link", "surface"), ("link", "window"),
    ("red", "surface"), ("green", "surface"), ("amber", "surface"),
    *[(token, "raised") for token in ("keyword", "string", "comment", "number", "function",
                                      "text")],
]


@pytest.mark.parametrize("scheme", [theme.LIGHT, theme.DARK], ids=["light", "dark"])
@pytest.mark.parametrize(("fg", "bg"), TEXT_PAIRS)
def test_body_text_meets_wcag_aa(scheme: theme.Colours, fg: str, bg: str) -> None:
    ratio = contrast(getattr(scheme, fg), getattr(scheme, bg))
    assert ratio >= AA_BODY, f"{fg} on {bg}: {ratio:.2f}"


@pytest.mark.parametrize("name", ["light", "dark"])
def test_applied_palette_is_the_schemes_and_readable(qapp, name: str) -> None:
    manager = theme.ThemeManager(qapp)
    try:
        manager.apply(name)
        expected = theme.DARK if name == "dark" else theme.LIGHT
        assert manager.scheme is expected and theme.colours() is expected
        pal = QApplication.palette()
        r = QPalette.ColorRole
        for fg, bg in ((r.WindowText, r.Window), (r.Text, r.Base), (r.ButtonText, r.Button),
                       (r.HighlightedText, r.Highlight), (r.PlaceholderText, r.Base),
                       (r.ToolTipText, r.ToolTipBase), (r.Link, r.Base)):
            assert contrast(pal.color(fg).name(), pal.color(bg).name()) >= AA_BODY, (fg, bg)
        assert pal.color(r.Window).name() == expected.window
        assert expected.accent in qapp.styleSheet()
    finally:
        manager.apply("light")


def test_system_theme_follows_the_desktops_scheme(qapp, monkeypatch) -> None:
    manager = theme.ThemeManager(qapp)
    try:
        monkeypatch.setattr(theme, "system_is_dark", lambda: True)
        manager.apply("system")
        assert theme.colours() is theme.DARK
        monkeypatch.setattr(theme, "system_is_dark", lambda: False)
        manager._scheme_changed(Qt.ColorScheme.Light)  # what colorSchemeChanged calls
        assert theme.colours() is theme.LIGHT
        manager.apply("dark")
        manager._scheme_changed(Qt.ColorScheme.Light)  # a fixed choice ignores the desktop
        assert theme.colours() is theme.DARK
    finally:
        manager.apply("light")


def test_system_theme_follows_the_desktop(qapp) -> None:
    hints = QApplication.styleHints()
    if not hasattr(hints, "setColorScheme"):
        pytest.skip("Qt before 6.8 cannot set the colour scheme")
    manager = theme.ThemeManager(qapp)
    try:
        manager.apply("system")
        hints.setColorScheme(Qt.ColorScheme.Dark)
        QApplication.processEvents()
        if hints.colorScheme() != Qt.ColorScheme.Dark:
            pytest.skip("this platform plugin ignores the requested colour scheme")
        assert theme.colours() is theme.DARK
        hints.setColorScheme(Qt.ColorScheme.Light)
        QApplication.processEvents()
        assert theme.colours() is theme.LIGHT
        manager.apply("dark")  # a fixed choice ignores the desktop
        hints.setColorScheme(Qt.ColorScheme.Light)
        QApplication.processEvents()
        assert theme.colours() is theme.DARK
    finally:
        hints.unsetColorScheme()
        manager.apply("light")


def test_icons_are_recoloured_with_the_theme(qapp, qtbot) -> None:
    button = QPushButton()
    qtbot.addWidget(button)
    manager = theme.ThemeManager(qapp)
    try:
        manager.apply("light")
        icon.decorate(button, "send")
        light = button.icon().pixmap(40, 40).toImage()
        manager.apply("dark")
        dark = button.icon().pixmap(40, 40).toImage()
        assert light != dark
        painted = {light.pixelColor(x, y).name() for x in range(40) for y in range(40)
                   if light.pixelColor(x, y).alpha() == 255}
        assert theme.LIGHT.text in painted
        assert all(not icon.icon(name, "#000000").isNull() for name in icon.NAMES)
    finally:
        manager.apply("light")


def _colours_at(doc, word: str) -> set[str]:
    cursor = doc.find(word)
    assert not cursor.isNull(), word
    out = set()
    for pos in range(cursor.selectionStart() + 1, cursor.selectionEnd() + 1):
        c = QTextCursor(doc)
        c.setPosition(pos)
        out.add(c.charFormat().foreground().color().name())
    return out


def test_code_blocks_are_highlighted_in_the_schemes_colours(qapp) -> None:
    markdown.preload_lexers(("python",))
    text = "Look:\n\n```python\ndef greet(name):\n    return 'hi ' + name  # say it\n```\n"
    doc = markdown.render(text, 600, QFont(), QColor(theme.LIGHT.raised), theme.LIGHT)
    assert _colours_at(doc, "def") == {theme.LIGHT.keyword}
    assert _colours_at(doc, "'hi '") == {theme.LIGHT.string}
    assert _colours_at(doc, "# say it") == {theme.LIGHT.comment}
    dark = markdown.render(text, 600, QFont(), QColor(theme.DARK.raised), theme.DARK)
    assert _colours_at(dark, "def") == {theme.DARK.keyword}
    plain = markdown.render(text, 600, QFont(), QColor(theme.LIGHT.raised), None)
    assert theme.LIGHT.keyword not in _colours_at(plain, "def")
    code = markdown.code_blocks(doc)
    assert code[0].language == "python" and "return 'hi '" in code[0].text


def test_a_language_not_loaded_stays_plain(qapp) -> None:
    text = "```nosuchlanguage\nif x then y\n```\n"
    scheme = dataclasses.replace(theme.LIGHT)
    doc = markdown.render(text, 600, QFont(), QColor(scheme.raised), scheme)
    assert scheme.keyword not in _colours_at(doc, "if")


def test_code_shown_before_the_lexers_loaded_gets_colours_once_they_are(qtbot) -> None:
    """The window loads Pygments' lexers at the end of its start-up work; code laid out
    before that is laid out again in colour."""
    from spark_desktop.ui.app import create_window
    from spark_desktop.ui.chat.markdown import _LEXERS

    window = create_window(QApplication.instance())
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.chat is not None, timeout=30000)
    delegate = window.chat.view.message_delegate
    delegate._pieces[("probe",)] = None  # a piece laid out earlier
    loaded: list[bool] = []
    window.startup._load_lexers(lambda: loaded.append(True))  # the start-up's last step
    qtbot.waitUntil(lambda: loaded == [True], timeout=30000)
    assert "python" in _LEXERS and ("probe",) not in delegate._pieces
