"""Start the Qt application and show the main window."""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import (
    QLibraryInfo,
    QMessageLogContext,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication

from spark_desktop import settings as settings_mod
from spark_desktop.ui import theme
from spark_desktop.ui.i18n import Translations
from spark_desktop.ui.language import LanguageSwitch
from spark_desktop.ui.main_window import MainWindow
from spark_desktop.ui.startup import QuietStart
from spark_desktop.ui.theme import ThemeManager


def create_window(app: QApplication) -> MainWindow:
    """The main window in the user's language, with the user's theme applied (and
    re-applied when it changes). The language is installed before any widget is built;
    a changed language rebuilds the window's pages in it (ui/language.py)."""
    chosen = settings_mod.load()
    translations = Translations(app)
    translations.apply(chosen.language)
    themes = ThemeManager(app)
    themes.apply(chosen.theme)  # before the widgets: icons are drawn in its colours
    window = MainWindow()
    theme.on_change(window.refresh_icons, owner=window)
    window.services.settings_changed.connect(lambda s: themes.apply(s.theme))
    window.themes = themes  # type: ignore[attr-defined]  (lives as long as the window)
    window.translations = translations  # type: ignore[attr-defined]
    window.language = LanguageSwitch(window, translations)  # type: ignore[attr-defined]
    return window


def show_window(app: QApplication) -> MainWindow:
    """The window, shown, its start-up work begun with no garbage collection until it is
    done (startup.QuietStart). What run_gui does, and what benchmarks/ui_bench.py times."""
    quiet = QuietStart()
    window = create_window(app)
    window.startup.finished.connect(lambda: quiet.end())  # the lambda keeps `quiet`
    window.show()
    return window


def explain_failed_start(qt_message: str) -> str:
    """What to print when Qt cannot open a window: its words, then doctor's diagnosis of
    the platform plugin (missing X11 libraries come with the apt command)."""
    from spark_desktop import doctor

    check = doctor.check_qt(doctor.qt_facts())
    advice = check.advice or (
        "Start Spark Desktop from a desktop session (X11 or Wayland); the command line "
        "works without one (spark-desktop --help).")
    return (f"Spark Desktop cannot open its window. Qt said: {qt_message.strip()}\n"
            f"Diagnosis (spark-desktop doctor): {check.status.value}: {check.detail}\n"
            f"What to do: {advice}\n")


def _startup_messages(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    """Qt's messages while the application starts; a fatal one (no usable platform plugin)
    is explained and ends the process with exit code 2 instead of Qt's abort."""
    if mode == QtMsgType.QtFatalMsg:
        sys.stderr.write(explain_failed_start(message))
        sys.stderr.flush()
        os._exit(2)
    category = context.category if context.category not in (None, "default") else ""
    sys.stderr.write(f"{category}: {message}\n" if category else f"{message}\n")


def input_method_plugins() -> set[str]:
    """The input-method plugins this Qt has ("ibus", "compose", ...)."""
    folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / \
        "platforminputcontexts"
    return {p.name.removeprefix("lib").split("platforminputcontextplugin")[0]
            for p in folder.glob("*platforminputcontextplugin*")}


def input_method_module(env: Mapping[str, str], plugins: set[str]) -> str | None:
    """The QT_IM_MODULE to use instead of the desktop's, or None to keep it.

    PySide6's Qt ships the ibus plugin but no fcitx one, so with QT_IM_MODULE=fcitx the
    composer would take no Chinese input; fcitx5 also answers as ibus (its ibus frontend),
    so ibus is asked for instead."""
    wanted = env.get("QT_IM_MODULE", "")
    if wanted.startswith("fcitx") and wanted not in plugins and "ibus" in plugins:
        return "ibus"
    return None


def run_gui(argv: list[str] | None = None) -> int:
    module = input_method_module(os.environ, input_method_plugins())
    if module is not None:
        os.environ["QT_IM_MODULE"] = module
    previous = qInstallMessageHandler(_startup_messages)
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    qInstallMessageHandler(previous)
    app.setApplicationName("Spark Desktop")
    app.setOrganizationName("spark-desktop")
    app.setDesktopFileName("spark-desktop")
    window = show_window(app)
    stop_on_signals(app)
    app.aboutToQuit.connect(lambda: window.shutdown() if window.isHidden() else None)
    return app.exec()


def stop_on_signals(app: QApplication) -> None:
    """Ctrl-C and SIGTERM quit the app (how a window-less app that keeps serving is
    stopped); a timer lets Python's signal handlers run between Qt's events."""
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    tick = QTimer(app, interval=500)
    tick.timeout.connect(lambda: None)
    tick.start()
