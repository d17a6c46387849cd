"""The main window: a sidebar of pages, a status bar, remembered geometry and shortcuts."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QWidget,
)

from spark_desktop import paths
from spark_desktop.ui.format import human_bytes
from spark_desktop.ui.services import Services

PAGES = ("chat", "discover", "downloads", "models", "settings")
TITLES = {"chat": "Chat", "discover": "Discover", "downloads": "Downloads",
          "models": "My Models", "settings": "Settings"}


def window_settings() -> QSettings:
    """Window state (geometry, last page) in the data folder, never the real home in tests."""
    return QSettings(str(paths.data_dir() / "window.ini"), QSettings.Format.IniFormat)


class MainWindow(QMainWindow):
    def __init__(self, services: Services | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Spark Desktop")
        self.services = services or Services(self)
        self.sidebar = QListWidget(objectName="sidebar")
        self.sidebar.setFixedWidth(170)
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
        self._restore_state()
        self.services.library_changed.connect(self._library_changed)
        self.services.start()

    # -- construction ---------------------------------------------------------------
    def _build_pages(self) -> None:
        from spark_desktop.ui.chat import ChatPage
        from spark_desktop.ui.pages.discover import DiscoverPage
        from spark_desktop.ui.pages.downloads import DownloadsPage
        from spark_desktop.ui.pages.first_run import FirstRunPage
        from spark_desktop.ui.pages.models import ModelsPage
        from spark_desktop.ui.pages.settings import SettingsPage

        s = self.services
        self.chat = ChatPage(None, s.engine, parent=self)  # opens the history off-thread
        built: dict[str, QWidget] = {
            "chat": self.chat, "discover": DiscoverPage(s), "downloads": DownloadsPage(s),
            "models": ModelsPage(s), "settings": SettingsPage(s)}
        for name in PAGES:
            self.pages[name] = built[name]
            self.stack.addWidget(built[name])
            self.sidebar.addItem(TITLES[name])
        self.first_run = FirstRunPage(s)
        self.stack.addWidget(self.first_run)
        self.sidebar.addItem("Get started")  # shown while this machine has no models
        self.sidebar.item(len(PAGES)).setHidden(True)
        self.first_run.download_started.connect(lambda: self.show_page("downloads"))
        self.first_run.browse.connect(lambda: self.show_page("discover"))
        built["discover"].download_started.connect(lambda: self.show_page("downloads"))
        built["models"].chat_requested.connect(lambda: self.show_page("chat"))
        self.chat.reload_model_requested.connect(s.engine.reload)
        self.chat.model_selected.connect(built["models"].load_path)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.model_label = QLabel("No model loaded")
        self.memory_label = QLabel("")
        self.state_label = QLabel("not loaded")
        for w in (self.model_label, self.memory_label, self.state_label):
            w.setContentsMargins(6, 0, 6, 0)
            bar.addPermanentWidget(w)
        engine = self.services.engine
        engine.load_started.connect(self._load_started)
        engine.load_progress.connect(
            lambda f: self.state_label.setText(f"loading {int(f * 100)} %"))
        engine.loaded.connect(self._loaded)
        engine.load_failed.connect(self._not_loaded)
        engine.died.connect(self._not_loaded)
        engine.unloaded.connect(lambda: self._not_loaded(""))
        self.services.machine_ready.connect(lambda _m: self._show_memory())

    def _build_shortcuts(self) -> None:
        def chat_action(method: str):
            def run() -> None:
                self.show_page("chat")
                getattr(self.chat, method)()
            return run

        for keys, method in (("Ctrl+N", "new_chat"), ("Ctrl+K", "focus_search")):
            QShortcut(QKeySequence(keys), self, activated=chat_action(method))
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, activated=lambda: self.chat.stop())

    # -- pages ----------------------------------------------------------------------
    def show_page(self, name: str) -> None:
        """Show a page by name ("chat", "discover", ..., or "welcome")."""
        if name == "welcome":
            self.sidebar.item(len(PAGES)).setHidden(False)
            self.sidebar.setCurrentRow(len(PAGES))
            return
        self.sidebar.setCurrentRow(PAGES.index(name))

    def current_page(self) -> str:
        widget = self.stack.currentWidget()
        if widget is self.first_run:
            return "welcome"
        return next(n for n, w in self.pages.items() if w is widget)

    def _row_changed(self, row: int) -> None:
        if 0 <= row < len(PAGES):
            self.stack.setCurrentWidget(self.pages[PAGES[row]])
        elif row == len(PAGES):
            self.stack.setCurrentWidget(self.first_run)

    def _library_changed(self, models: tuple) -> None:
        """Offer the models in the chat's picker; on first run (no models on this machine
        yet) show what fits and one-click downloads."""
        from spark_desktop.ui.pages.models import display_name

        self.chat.set_models([(display_name(m), str(m.path)) for m in models if not m.problem])
        if models and self.current_page() != "welcome":
            self.sidebar.item(len(PAGES)).setHidden(True)
        if not models and not self._restored_page_explicit:
            self.show_page("welcome")
        self._restored_page_explicit = True

    # -- status bar -----------------------------------------------------------------
    def _load_started(self, name: str) -> None:
        self.model_label.setText(name)
        self.state_label.setText("loading")

    def _loaded(self, info: object) -> None:
        self.model_label.setText(self.services.engine.model_name)
        self.state_label.setText("loaded")
        self._show_memory()

    def _not_loaded(self, _reason: str) -> None:
        self.model_label.setText("No model loaded")
        self.state_label.setText("not loaded")
        self._show_memory()

    def _show_memory(self) -> None:
        pool = self.services.pool_bytes
        used = self.services.engine.memory_in_use
        if pool:
            self.memory_label.setText(f"{human_bytes(used)} / {human_bytes(pool)}")

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
        self.services.shutdown()
        super().closeEvent(event)
