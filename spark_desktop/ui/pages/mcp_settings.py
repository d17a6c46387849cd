"""Settings → MCP servers: the `mcpServers` JSON as text (as other apps write it), saved
only when valid; a check that connects the servers and lists their tools; and the tools the
person lets the model call without asking, each revocable.

The hub's calls block (a server may take seconds to start): they run off the GUI thread
through run_async. Nothing connects until the person presses "Check servers" or a chat
uses a tool.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.ui.bridges import EventRelay, error_text, run_async

STATE_WORDS = {"ready": QT_TRANSLATE_NOOP("McpSettingsBox", "Ready: {count} tools"),
               "idle": QT_TRANSLATE_NOOP("McpSettingsBox", "Not connected yet"),
               "failed": QT_TRANSLATE_NOOP("McpSettingsBox", "Failed"),
               "off": QT_TRANSLATE_NOOP("McpSettingsBox", "Turned off")}
PLACEHOLDER = """{
  "mcpServers": {
    "files": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "~"]},
    "web": {"url": "http://127.0.0.1:8000/mcp", "headers": {"Authorization": "Bearer …"}}
  }
}"""


class McpSettingsBox(QGroupBox):
    """The MCP servers of the window's hub (`services.mcp`), made at the box's first show."""

    def __init__(self, services: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("MCP servers (tools for chats)"))
        self.services = services
        self._hub: Any = None  # the window's McpHub, once the first show has opened it
        self._loading = False
        self._relay = EventRelay(self)
        self._relay.event.connect(self._config_changed)
        layout = QVBoxLayout(self)
        about = QLabel(self.tr(
            "Tools a chat's model may use, from MCP servers, written as the \"mcpServers\" "
            "JSON other apps use: \"command\", \"args\", \"env\" to run a program, or "
            "\"url\" and \"headers\" for a streamable HTTP server."))
        about.setWordWrap(True)
        layout.addWidget(about)
        self.editor = QPlainTextEdit()
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setPlaceholderText(PLACEHOLDER)
        self.editor.setMinimumHeight(180)
        self.editor.setAccessibleName(self.tr("MCP servers JSON"))
        layout.addWidget(self.editor)
        self.error_label = QLabel("")
        self.error_label.setProperty("role", "error")
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        layout.addWidget(self.error_label)
        row = QHBoxLayout()
        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.clicked.connect(self.save)
        self.check_button = QPushButton(self.tr("Check servers"))
        self.check_button.clicked.connect(self.check)
        self.status_label = QLabel("")
        self.status_label.setWordWrap(True)
        for button in (self.save_button, self.check_button):
            button.setEnabled(False)  # until the saved servers are read
        row.addWidget(self.save_button)
        row.addWidget(self.check_button)
        row.addWidget(self.status_label, 1)
        layout.addLayout(row)
        self.servers = QTreeWidget()
        self.servers.setHeaderLabels([self.tr("Server or tool"), self.tr("Status or description")])
        self.servers.setMinimumHeight(140)
        layout.addWidget(self.servers)
        layout.addWidget(QLabel(self.tr("Tools allowed without asking:")))
        self.allowed = QListWidget()
        self.allowed.setMaximumHeight(110)
        layout.addWidget(self.allowed)
        revoke_row = QHBoxLayout()
        self.revoke_button = QPushButton(self.tr("Ask again before using it"))
        self.revoke_button.clicked.connect(self.revoke)
        revoke_row.addWidget(self.revoke_button)
        revoke_row.addStretch(1)
        layout.addLayout(revoke_row)

    # -- loading ------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        if self._hub is None and not self._loading:
            self._loading = True
            services = self.services
            run_async(lambda: _open(services), self._loaded, self._load_failed, parent=self)

    def _loaded(self, opened: tuple[Any, str]) -> None:
        self._hub, text = opened
        self._hub.subscribe(self._relay.post)
        self.editor.setPlainText(text)
        self.editor.document().setModified(False)
        self._show_error(self._hub.load_error)
        self._show_config(self._hub.config)
        self.save_button.setEnabled(True)
        self.check_button.setEnabled(True)

    def _load_failed(self, exc: BaseException) -> None:
        self._loading = False
        self._show_error(error_text(exc))

    def _config_changed(self, config: object) -> None:
        """The hub took a new configuration (here, or a chat's "always allow")."""
        if not self.editor.document().isModified() and not self._shows(config):
            self.editor.setPlainText(config.text())  # type: ignore[attr-defined]
            self.editor.document().setModified(False)
        self._show_config(config)

    def _shows(self, config: Any) -> bool:
        """Whether the editor already holds `config` (in the person's own layout)."""
        from spark_desktop.mcp.config import McpConfigError, parse

        try:
            return parse(self.editor.toPlainText()).document == config.document
        except McpConfigError:
            return False

    def _show_config(self, config: Any) -> None:
        self.allowed.clear()
        for server in config.servers:
            for tool in server.always_allow:
                item = QListWidgetItem(f"{server.name}: {tool}")
                item.setData(Qt.ItemDataRole.UserRole, (server.name, tool))
                self.allowed.addItem(item)
        self.revoke_button.setEnabled(self.allowed.count() > 0)
        self._show_statuses(self._hub.statuses())

    # -- actions ------------------------------------------------------------------------
    def save(self, then: Any = None) -> None:
        """Check the text; save it when valid (the error is shown and the text kept when not)."""
        config = self._parsed()
        if config is None:
            return
        self._write(config, then)

    def _parsed(self) -> Any:
        from spark_desktop.mcp.config import McpConfigError, parse

        try:
            config = parse(self.editor.toPlainText())
        except McpConfigError as exc:
            self._show_error(str(exc))
            return None
        self._show_error("")
        return config

    def _write(self, config: Any, then: Any = None) -> None:
        hub = self._hub
        self.editor.document().setModified(False)
        self.status_label.setText(self.tr("Saving…"))

        def saved(_: object) -> None:
            self.status_label.setText(self.tr("Saved."))
            if then is not None:
                then()

        def failed(exc: BaseException) -> None:
            self.editor.document().setModified(True)
            self.status_label.setText("")
            self._show_error(error_text(exc))

        run_async(lambda: hub.save(config), saved, failed, parent=self)

    def check(self) -> None:
        """Connect every enabled server (saving unsaved edits first) and list its tools."""
        if self.editor.document().isModified():
            self.save(then=self.check)
            return
        hub = self._hub
        self.check_button.setEnabled(False)
        self.status_label.setText(self.tr("Connecting to the servers…"))

        def checked(statuses: Any) -> None:
            self.check_button.setEnabled(True)
            ready = sum(s.state == "ready" for s in statuses)
            self.status_label.setText(self.tr("{ready} of {count} servers ready.").format(
                ready=ready, count=len(statuses)))
            self._show_statuses(statuses)

        def failed(exc: BaseException) -> None:
            self.check_button.setEnabled(True)
            self.status_label.setText(error_text(exc))

        run_async(lambda: hub.connect(force=True), checked, failed, parent=self)

    def revoke(self) -> None:
        """Take the selected tool off its server's alwaysAllow and save."""
        item = self.allowed.currentItem()
        config = self._parsed()
        if item is None or config is None:
            return
        server, tool = item.data(Qt.ItemDataRole.UserRole)
        spec = config.server(server)
        if spec is None:
            return
        config = config.with_always_allow(server, tuple(t for t in spec.always_allow
                                                        if t != tool))
        self.editor.setPlainText(config.text())
        self._write(config)

    # -- showing ------------------------------------------------------------------------
    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def _show_statuses(self, statuses: Any) -> None:
        self.servers.clear()
        for status in statuses:
            words = self.tr(STATE_WORDS.get(status.state, status.state))
            if status.state == "ready":
                words = words.format(count=len(status.tools))
            item = QTreeWidgetItem([status.name, words])
            item.setToolTip(1, status.error or words)
            for line in _sentences(status.error):  # why it failed or stopped, in full
                item.addChild(QTreeWidgetItem(["", line]))
            for tool in status.tools:
                child = QTreeWidgetItem([tool.name, tool.description.strip().split("\n")[0]])
                child.setToolTip(1, tool.description)
                item.addChild(child)
            self.servers.addTopLevelItem(item)
            item.setExpanded(status.state != "off")
        self.servers.resizeColumnToContents(0)


def _sentences(text: str) -> list[str]:
    """A reason's lines and sentences, one a row (a tree's cells do not wrap)."""
    return [part for line in text.splitlines()
            for part in re.split(r"(?<=[.:])\s+(?=[A-Z])", line) if part.strip()]


def _open(services: Any) -> tuple[Any, str]:
    """The window's hub (made now if no chat made it yet) and its file as the person wrote
    it (a damaged one too, to be fixed here), or an empty document when there is none."""
    from spark_desktop import paths
    from spark_desktop.mcp.config import McpConfig

    hub = services.mcp
    try:
        text = (hub.path or paths.mcp_config_path()).read_text(encoding="utf-8")
    except FileNotFoundError:
        text = McpConfig().text()
    return hub, text
