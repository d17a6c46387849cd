"""The main window: a sidebar of pages, a status bar, remembered geometry and shortcuts."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QT_TRANSLATE_NOOP,
    QByteArray,
    QEventLoop,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from spark_desktop import paths
from spark_desktop.ui import fitview, theme
from spark_desktop.ui.bridges import error_text, run_async
from spark_desktop.ui.format import human_bytes
from spark_desktop.ui.icon import icon
from spark_desktop.ui.lock import AppLock
from spark_desktop.ui.services import Services
from spark_desktop.ui.startup import Startup

if TYPE_CHECKING:
    from spark_desktop.host import ModelEntry

PAGES = ("chat", "discover", "downloads", "models", "compare", "server", "settings")
TITLES = {"chat": QT_TRANSLATE_NOOP("MainWindow", "Chat"),
          "discover": QT_TRANSLATE_NOOP("MainWindow", "Discover"),
          "downloads": QT_TRANSLATE_NOOP("MainWindow", "Downloads"),
          "models": QT_TRANSLATE_NOOP("MainWindow", "My Models"),
          "compare": QT_TRANSLATE_NOOP("MainWindow", "Compare"),
          "server": QT_TRANSLATE_NOOP("MainWindow", "Server"),
          "settings": QT_TRANSLATE_NOOP("MainWindow", "Settings"),
          "welcome": QT_TRANSLATE_NOOP("MainWindow", "Get started")}
_PAGE_CLASSES = {
    "discover": ("spark_desktop.ui.pages.discover", "DiscoverPage"),
    "downloads": ("spark_desktop.ui.pages.downloads", "DownloadsPage"),
    "models": ("spark_desktop.ui.pages.models", "ModelsPage"),
    "compare": ("spark_desktop.ui.pages.compare", "ComparePage"),
    "server": ("spark_desktop.ui.pages.server", "ServerPage"),
    "settings": ("spark_desktop.ui.pages.settings", "SettingsPage"),
    "welcome": ("spark_desktop.ui.pages.first_run", "FirstRunPage"),
}


def window_settings() -> QSettings:
    """Window state (geometry, last page) in the data folder, never the real home in tests."""
    return QSettings(str(paths.window_state_path()), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    """The window. The chat page (history database, SQLAlchemy) is imported off the GUI
    thread and built as soon as it is ready, so the window shows at once; `chat` is None
    until then."""

    chat_released = Signal()  # release_chat() has destroyed the page, closed the history

    def __init__(self, services: Services | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Spark Desktop")
        self.services = services or Services(self)
        self.sidebar = QListWidget(objectName="sidebar")
        self.sidebar.setFixedWidth(190)
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setAccessibleName(self.tr("Pages"))
        self.stack = QStackedWidget()
        self.pages: dict[str, QWidget] = {}
        self._build_pages()
        central = QWidget()
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.sidebar)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(central)
        self.sidebar.currentRowChanged.connect(self._row_changed)
        self._build_status_bar()
        self._build_shortcuts()
        self._build_menus()
        self.refresh_icons()
        self._restore_state()
        self.services.library_changed.connect(self._library_changed)
        self.lock = AppLock(self)  # with a passphrase: locks when idle and on Ctrl+L
        self.startup = Startup(self)  # the slow work, in turn, once the window shows
        QTimer.singleShot(0, self.startup.begin)

    # -- construction ---------------------------------------------------------------
    def _build_pages(self) -> None:
        """One slot per page in the stack; a page is built the first time it is needed,
        so the window shows without constructing (and importing) pages nobody looked at."""
        self.chat: Any = None
        self._releasing: Any = None  # a released chat page still saving its stopped reply
        self._reopen: str | None = None  # the conversation shown when the page was released
        self.slots: dict[str, QWidget] = {}
        for name in (*PAGES, "welcome"):
            slot = QWidget()
            QVBoxLayout(slot).setContentsMargins(0, 0, 0, 0)
            self.slots[name] = slot
            self.stack.addWidget(slot)
            self.sidebar.addItem(self.tr(TITLES[name]))
        self.sidebar.item(len(PAGES)).setHidden(True)  # shown while there are no models
        self.chat_note = QLabel(self.tr("Opening your conversations…"))
        self.chat_note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.slots["chat"].layout().addWidget(self.chat_note)

    def page(self, name: str) -> QWidget:
        """The page `name` ("discover", "downloads", "models", "settings", "welcome"),
        built now if it was not yet."""
        if name in self.pages:
            return self.pages[name]
        module, cls = _PAGE_CLASSES[name]
        widget = getattr(importlib.import_module(module), cls)(self.services)
        self.pages[name] = widget
        self.slots[name].layout().addWidget(widget)
        if name in ("discover", "welcome"):
            widget.download_started.connect(lambda: self.show_page("downloads"))
        if name == "welcome":
            widget.browse.connect(lambda: self.show_page("discover"))
        if name == "models":
            widget.chat_requested.connect(lambda: self.show_page("chat"))
        return widget

    def _build_chat(self, module: object, then: Callable[[], None]) -> None:
        """Put the chat page in its slot (its modules were imported off the GUI thread), a
        piece per turn of the event loop, made inside its slot (not styled twice), then
        shown; `then()` once the history has opened and answered."""
        chat = module.ChatPage(self.services.history,  # type: ignore[attr-defined]
                               self.services.host, self.slots["chat"], pieces=True)

        def build() -> None:
            if self.startup.stopped:  # the window closed meanwhile
                return
            if chat.build_piece():
                QTimer.singleShot(0, build)
                return
            self.chat_note.hide()
            self.slots["chat"].layout().addWidget(chat)
            self.chat = chat
            self.pages["chat"] = chat
            self._sampling_defaults(self.services.settings)
            self.services.settings_changed.connect(self._sampling_defaults)
            self.services.offer_tools(chat.set_toolbox)
            self.services.tools_changed.connect(chat.tools.refresh)
            self.lock.refresh()
            reopen, self._reopen = self._reopen, None
            if reopen is not None:  # the conversation shown when the lock took the page
                chat.open_conversation(reopen)
            QTimer.singleShot(0, opened)

        def opened() -> None:  # the page's first history call opened the store
            if self.startup.stopped:
                return

            def answered(_result: object) -> None:
                if not self.startup.stopped:  # not after the window closed meanwhile
                    then()

            self.services.history.run(lambda _store: None, answered, answered, parent=self)

        QTimer.singleShot(0, build)

    def release_chat(self) -> None:
        """Destroy the chat page and close its history (the app lock: no conversation
        text stays in a widget); `rebuild_chat` brings a fresh one, on the same chat. A
        streaming reply is stopped as Stop does; the page goes once it is saved."""
        chat, self.chat = self.chat, None
        if chat is None:
            return
        self.services.settings_changed.disconnect(self._sampling_defaults)
        self.pages.pop("chat", None)
        chat.hide()
        self.chat_note.setText(self.tr("Opening your conversations…"))
        self.chat_note.show()
        if chat.busy:
            self._releasing = chat
            chat.busy_changed.connect(lambda busy: busy or self._drop_chat(chat))
            chat.stop()
            return
        self._drop_chat(chat)

    def _drop_chat(self, chat: Any) -> None:
        if chat.conversation is not None:
            self._reopen = chat.conversation.id
        self.services.history.runner.release().result(timeout=5)  # no reply runs: ms
        # The page's views queue zero-delay timers on themselves (scroll to the end);
        # let them run while the page still exists.
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
        chat.setParent(None)
        chat.deleteLater()
        self._releasing = None
        self.chat_released.emit()

    def rebuild_chat(self, then: Callable[[], None] = lambda: None) -> None:
        """Build the chat page, its modules imported off the GUI thread; first, what the
        history needs before it opens (a passphrase, a change asked for in Settings).
        `then()` once the page is up and the history answered (or it could not open)."""
        if self._releasing is not None:  # a stopped reply is being saved: after that
            self.chat_released.connect(lambda: self.rebuild_chat(then),
                                       Qt.ConnectionType.SingleShotConnection)
            return

        def load() -> tuple[Any, Any, Any]:
            from spark_desktop.ui.pages import privacy

            return importlib.import_module("spark_desktop.ui.chat"), privacy, \
                privacy.start_needs()

        def failed(exc: BaseException) -> None:
            self._chat_failed(exc)
            then()

        run_async(load, lambda loaded: self._chat_module_ready(loaded, then), failed,
                  parent=self)

    def _chat_module_ready(self, loaded: tuple[Any, Any, Any], then: Callable[[], None]) -> None:
        module, privacy, needs = loaded
        asks, action = needs
        if asks or action is not None:
            then()  # the rest of the start-up need not wait for the person's answer
        if not privacy.prepare_history(needs, self):
            self.chat_note.setText(self.tr("Your conversations stay locked: the passphrase "
                                           "was not given. Restart Spark Desktop to try "
                                           "again."))
            then()
            return
        self._build_chat(module, then)

    def _sampling_defaults(self, settings: Any) -> None:
        """New chats start from the sampling defaults chosen in Settings."""
        self.chat.panel.defaults = settings.sampling
        if self.chat.conversation is None:
            self.chat.panel.show_settings(None, {})

    def _chat_failed(self, exc: BaseException) -> None:
        self.chat_note.setText(self.tr("The chat could not open: {error}").format(
            error=error_text(exc)))

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.plan_label = QLabel("")    # names the planning target when it is not this machine
        self.plan_label.hide()
        self.model_label = QLabel(self.tr("No model loaded"))
        self.memory_label = QLabel("")
        self.state_label = QLabel(self.tr("not loaded"))
        for w in (self.plan_label, self.model_label, self.memory_label, self.state_label):
            w.setContentsMargins(6, 0, 6, 0)
            bar.addPermanentWidget(w)
        host = self.services.host
        host.load_started.connect(lambda _id: self._show_models())
        host.loaded.connect(self._model_loaded)
        host.load_failed.connect(lambda _id, _reason: self._show_models())
        host.models_changed.connect(lambda _entries: self._show_models())
        self.services.machine_ready.connect(lambda _m: self._machine_ready())
        self.services.peers_probed.connect(lambda _r: self._machine_ready())
        self.services.problem.connect(lambda text: self.statusBar().showMessage(text, 10000))

    def _build_shortcuts(self) -> None:
        def chat_action(method: str, show: bool):
            def run() -> None:
                if show:
                    self.show_page("chat")
                if self.chat is not None:
                    getattr(self.chat, method)()
            return run

        QShortcut(QKeySequence("Ctrl+L"), self, activated=lambda: self.lock.lock())
        for keys, method, show in (("Ctrl+N", "new_chat", True),
                                   ("Ctrl+K", "focus_search", True),
                                   (Qt.Key.Key_Escape, "stop", False)):
            QShortcut(QKeySequence(keys), self, activated=chat_action(method, show))
        for keys, action in (("Ctrl+Shift+C", "copy"), ("Ctrl+R", "regenerate"),
                             ("Ctrl+E", "edit")):
            QShortcut(QKeySequence(keys), self, activated=lambda a=action: self.on_last(a))

    def on_last(self, action: str) -> None:
        """The keyboard's way to a message's links: "copy" or "regenerate" the newest reply,
        "edit" your newest message (Ctrl+Shift+C, Ctrl+R, Ctrl+E)."""
        chat = self.chat
        role = "user" if action == "edit" else "assistant"
        msg = next((m for m in reversed(chat.model.messages()) if m.role == role), None) \
            if chat is not None else None
        if msg is None or (chat.busy and action != "copy"):
            return
        if action == "copy":
            QGuiApplication.clipboard().setText(msg.content)
            return
        self.show_page("chat")
        if action == "regenerate":
            chat.regenerate(msg.id)
        else:
            chat.edit(msg.id)

    def _build_menus(self) -> None:
        """View (the pages, Ctrl+1…7), Help (keyboard shortcuts, F1) and Quit: every page and
        action has a key, and the menu bar (Alt) reaches them all."""
        bar = self.menuBar()
        app_menu = bar.addMenu(self.tr("&Spark Desktop"))
        quit_action = QAction(self.tr("&Quit"), self, shortcut=QKeySequence("Ctrl+Q"))
        quit_action.triggered.connect(self.close)
        app_menu.addAction(quit_action)
        view = bar.addMenu(self.tr("&View"))
        for number, name in enumerate(PAGES, start=1):
            action = QAction(self.tr(TITLES[name]), self,
                             shortcut=QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _=False, n=name: self.show_page(n))
            view.addAction(action)
        help_menu = bar.addMenu(self.tr("&Help"))
        self.shortcuts_action = QAction(self.tr("&Keyboard shortcuts"), self,
                                        shortcut=QKeySequence(QKeySequence.StandardKey.HelpContents))
        self.shortcuts_action.triggered.connect(self.show_shortcuts)
        help_menu.addAction(self.shortcuts_action)

    def show_shortcuts(self) -> None:
        """Help → Keyboard shortcuts (F1)."""
        from spark_desktop.ui.shortcuts import ShortcutsDialog

        self.shortcuts_dialog = ShortcutsDialog(self)
        self.shortcuts_dialog.open()

    def refresh_icons(self) -> None:
        """The sidebar's icons in the colours of the theme in use."""
        colour = theme.colours().text
        for row, name in enumerate((*PAGES, "welcome")):
            self.sidebar.item(row).setIcon(icon(name, colour))
        self.shortcuts_action.setIcon(icon("keyboard", colour))

    # -- pages ----------------------------------------------------------------------
    def show_page(self, name: str) -> None:
        """Show a page by name ("chat", "discover", ..., or "welcome")."""
        if name == "welcome":
            self.sidebar.item(len(PAGES)).setHidden(False)
            self.sidebar.setCurrentRow(len(PAGES))
        else:
            self.sidebar.setCurrentRow(PAGES.index(name))

    def current_page(self) -> str:
        widget = self.stack.currentWidget()
        return next(n for n, slot in self.slots.items() if slot is widget)

    def _row_changed(self, row: int) -> None:
        name = (*PAGES, "welcome")[row] if 0 <= row <= len(PAGES) else None
        if name is not None:
            if name != "chat":
                self.page(name)
            self.stack.setCurrentWidget(self.slots[name])

    def _library_changed(self, models: tuple) -> None:
        """On first run (no models on this machine yet) show what fits and one-click
        downloads."""
        if models and self.current_page() != "welcome":
            self.sidebar.item(len(PAGES)).setHidden(True)
        if not models and not self._restored_page_explicit:
            self.page("welcome")  # built in this turn of the event loop, shown in the next
            QTimer.singleShot(0, lambda: self.show_page("welcome"))
        self._restored_page_explicit = True

    # -- status bar -----------------------------------------------------------------
    def _model_loaded(self, entry: ModelEntry) -> None:
        self._show_models()
        if entry.notes:  # e.g. a CPU feature turned off after an illegal instruction
            self.statusBar().showMessage(" ".join(entry.notes), 30_000)

    def _show_models(self) -> None:
        """Every loaded model with its memory, and what is loading."""
        host = self.services.host
        entries = host.entries
        if entries:
            self.model_label.setText(self.tr("%n model(s) loaded", "", len(entries)))
        else:
            self.model_label.setText(self.tr("No model loaded"))
        self.state_label.setText(self.tr("loading {0}").format(", ".join(sorted(host.loading)))
                                 if host.loading else
                                 self.tr("loaded") if entries else self.tr("not loaded"))
        self._show_memory()

    def _machine_ready(self) -> None:
        services = self.services
        if services.plans_elsewhere:
            where = fitview.target_label(services.target)
            self.plan_label.setText(self.tr("Planning for {target}").format(target=where))
            self.plan_label.setToolTip(self.tr(
                "Fit badges and speed estimates are for {target}; the memory figure is "
                "this machine's.").format(target=where))
        self.plan_label.setVisible(services.plans_elsewhere)
        self._show_memory()

    def _show_memory(self) -> None:
        """What the loaded models take on THIS machine (each, then all against the host's
        pool): the models run here whatever target the estimates plan for."""
        host = self.services.host
        pool = host.pool or self.services.local_pool_bytes
        each = " · ".join(f"{e.id} {human_bytes(e.memory)}" for e in host.entries)
        if pool and self.services.local is not None:
            total = self.tr("{0} of {1} in use").format(human_bytes(host.memory_in_use),
                                                   human_bytes(pool))
            self.memory_label.setText(f"{each} — {total}" if each else total)
            self.memory_label.setToolTip(self.tr(
                "Memory the loaded models use on {0}, of the {1} the model host may fill.").format(
                fitview.target_label(self.services.local), human_bytes(pool)))

    # -- state ----------------------------------------------------------------------
    def _restore_state(self) -> None:
        state = window_settings()
        geometry = state.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1180, 760)
        page = state.value("page")
        self._restored_page_explicit = page in PAGES
        self.show_page(page if page in PAGES else "chat")

    def save_state(self) -> None:
        state = window_settings()
        state.setValue("geometry", self.saveGeometry())
        page = self.current_page()
        if page in PAGES:
            state.setValue("page", page)
        state.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_state()
        server = self.pages.get("server")
        if server is not None and server.keep_serving:  # type: ignore[attr-defined]
            # Serve on without a window until the process is stopped (app.run_gui quits
            # on SIGINT / SIGTERM and then shuts down as below).
            event.ignore()
            self.hide()
            QApplication.setQuitOnLastWindowClosed(False)
            sys.stderr.write(
                f"Spark Desktop keeps serving at {server.url}/v1 "  # type: ignore[attr-defined]
                f"with its window closed; press Ctrl-C here (or kill {os.getpid()}) to stop.\n")
            return
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop a running reply and the server (if on), unload the app's models, close the
        history."""
        self.startup.stop()
        for chat in (self.chat, self._releasing):
            if chat is not None:
                chat.shutdown()
        server = self.pages.get("server")
        if server is not None:
            server.shutdown()  # type: ignore[attr-defined]
        self.services.shutdown()
