"""The language of the window: Qt translators for our texts and Qt's own (dialog buttons).

English is the source language; a translation is a compiled Qt Linguist file (.qm) in
this package, built from assets/translations/*.ts by tools/build_translations.py. The
choice is the settings' `language`: "system" follows the desktop's locale.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QLibraryInfo, QLocale, QTranslator

#: The choices of Settings → Language, in the order shown: (settings value, label). A
#: language is named in itself; "system" is translated (language_choices()).
LANGUAGES = (("system", QT_TRANSLATE_NOOP("Language", "Same as the system")),
             ("en", "English"), ("zh_CN", "简体中文"))
#: Languages with a translation shipped (English needs none).
TRANSLATED = ("zh_CN",)
QM_DIR = Path(__file__).resolve().parent / "translations"


def resolve(language: str, system: QLocale | None = None) -> str:
    """The translation to use for a settings value: "en" or one of TRANSLATED.

    "system" picks Chinese for any Chinese locale written in simplified script (zh_CN,
    zh_SG, plain zh) and English for everything else we do not translate yet.
    """
    if language in ("en", *TRANSLATED):
        return language
    locale = system or QLocale.system()
    if locale.language() == QLocale.Language.Chinese and \
            locale.script() != QLocale.Script.TraditionalChineseScript:
        return "zh_CN"
    return "en"


def language_choices() -> list[tuple[str, str]]:
    """(settings value, label) for a Settings → Language combo, in the window's language."""
    return [(value, QCoreApplication.translate("Language", label) if value == "system"
             else label) for value, label in LANGUAGES]


def qm_path(language: str) -> Path:
    return QM_DIR / f"spark_desktop_{language}.qm"


class Translations:
    """Installs the translators of one language in the application, and swaps them when
    the choice changes (Qt then sends every widget a LanguageChange event)."""

    def __init__(self, app: QCoreApplication) -> None:
        self._app = app
        self._installed: list[QTranslator] = []
        self.language = "en"

    def apply(self, choice: str) -> str:
        """Use the language of settings value `choice`; returns the one in use ("en",
        "zh_CN"). A missing .qm file leaves the window in English."""
        language = resolve(choice)
        for translator in self._installed:
            self._app.removeTranslator(translator)
        self._installed = []
        if language != "en":
            ours = QTranslator(self._app)
            if ours.load(str(qm_path(language))):
                self._installed.append(ours)
                qt = QTranslator(self._app)
                folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
                if qt.load(f"qtbase_{language}", folder):
                    self._installed.append(qt)
            else:
                language = "en"
        for translator in self._installed:
            self._app.installTranslator(translator)
        # numbers as the language writes them; in English, the system's way
        QLocale.setDefault(QLocale(language) if language != "en" else QLocale.system())
        self.language = language
        return language
