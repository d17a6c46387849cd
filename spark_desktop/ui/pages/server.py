"""The Server page: the app's model host behind the OpenAI-, Anthropic- and Ollama-shaped
API (the same server as `spark-desktop serve`), on uvicorn in a background thread.

On/off, address and port, named API keys (the keys file in the data folder, in the
server's `name key` format: a revoked key stops working at its next request), the
loaded models, a live log of answered requests with tokens/s, and whether the app
keeps serving after its window closes. While the server runs, the app is the machine's
host: `spark-desktop serve` and a second app attach to it instead of loading models again.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from spark_desktop import paths
from spark_desktop.ui.bridges import error_text, run_async
from spark_desktop.ui.format import human_bytes
from spark_desktop.ui.services import Services

DEFAULT_PORT = 8484
LOG_ROWS = 200
POLL_MS = 1000
KEEP_SERVING = "server/keep_serving"
SAVE_HISTORY = "server/save_history"


class ServerPage(QWidget):
    """`running_changed(bool)` when the server starts or stops."""

    running_changed = Signal(bool)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self.server: Any = None            # server.ApiServer while running
        self._busy = False
        self._seen: Any = None             # the newest request record already logged
        self._build()
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._poll_log)
        services.host.models_changed.connect(self._show_models)
        services.host.ready.connect(self._host_state)
        self._show_models(services.host.entries)
        self._show_keys()
        self._host_state()

    # -- construction -------------------------------------------------------------------
    def _build(self) -> None:

        title = QLabel(self.tr("Server"))
        title.setProperty("role", "title")
        self.note = QLabel(self.tr(
            "Serve the loaded models to other programs over an OpenAI-compatible API "
            "(also Anthropic and Ollama shaped). Models named in a request load on demand."))
        self.note.setWordWrap(True)
        self.address = QLineEdit("127.0.0.1")
        self.port = QSpinBox(minimum=1, maximum=65535, value=DEFAULT_PORT)
        self.toggle = QPushButton(self.tr("Start server"))
        self.toggle.setCheckable(True)
        self.toggle.clicked.connect(self._toggled)
        self.status = QLabel(self.tr("The server is off."))
        self.status.setWordWrap(True)
        self.keep = _remembered_box(
            self.tr("Keep serving after the window closes"), self.tr(
                "Closing the window then hides it and the app goes on serving in the "
                "background until it is stopped (Ctrl-C in its terminal, or its process "
                "ended)."), KEEP_SERVING)
        self.save_history = _remembered_box(
            self.tr("Save API conversations to the history"), self.tr(
                "Off by default. When on, every conversation a program has through the API "
                "is kept in the history like a chat, tagged with the name of the key it used."),
            SAVE_HISTORY)
        self.save_history.toggled.connect(self._save_history_toggled)
        where = QHBoxLayout()
        where.addWidget(self.address, 1)
        where.addWidget(QLabel(self.tr("Port")))
        where.addWidget(self.port)
        where.addWidget(self.toggle)
        form = QFormLayout()
        form.addRow(self.tr("Address"), where)

        self.keys = QListWidget()
        self.keys.setMaximumHeight(110)
        self.key_name = QLineEdit(placeholderText=self.tr("Name (one word), e.g. alice"))
        self.add_button = QPushButton(self.tr("Add key"), clicked=lambda: self.add_key(
            self.key_name.text()))
        self.revoke_button = QPushButton(self.tr("Revoke"), clicked=self.revoke_selected)
        self.new_key = QLineEdit(readOnly=True)
        self.new_key.hide()
        key_row = QHBoxLayout()
        key_row.addWidget(self.key_name, 1)
        key_row.addWidget(self.add_button)
        key_row.addWidget(self.revoke_button)

        self.models = QLabel()
        self.models.setWordWrap(True)
        self.log = QTableWidget(0, 6)
        self.log.setHorizontalHeaderLabels([
            self.tr("Model"), self.tr("Finish"), self.tr("Prompt tokens"),
            self.tr("Reply tokens"), self.tr("Tokens/s"), self.tr("First token (ms)")])
        self.log.verticalHeader().hide()
        self.log.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.log.horizontalHeader().setStretchLastSection(True)

        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.note)
        layout.addLayout(form)
        layout.addWidget(self.status)
        layout.addWidget(self.keep)
        layout.addWidget(self.save_history)
        layout.addWidget(_heading(self.tr("API keys")))
        layout.addWidget(self.keys)
        layout.addLayout(key_row)
        layout.addWidget(self.new_key)
        layout.addWidget(_heading(self.tr("Loaded models")))
        layout.addWidget(self.models)
        layout.addWidget(_heading(self.tr("Requests")))
        layout.addWidget(self.log, 1)

    # -- state ----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.server is not None

    @property
    def url(self) -> str:
        """Where the API listens ("" while off)."""
        return self.server.url if self.server is not None else ""

    @property
    def keep_serving(self) -> bool:
        return self.running and self.keep.isChecked()

    def _host_state(self) -> None:
        """An attached host (another process serves the models) runs its own server."""
        host = self.services.host
        if host.attached:
            self.status.setText(self.tr(
                "This app uses the model host of another process at {0}; that process "
                "serves the API (spark-desktop serve).").format(host.url))
        for w in (self.toggle, self.address, self.port):
            w.setEnabled(not host.attached and not self._busy)

    def _show_models(self, entries: Any) -> None:
        if not entries:
            self.models.setText(self.tr("None loaded; a request naming a model on this "
                                        "machine loads it."))
            return
        self.models.setText("\n".join(
            self.tr("{0} — {1}, context {2}, {3} requests running or waiting").format(
                e.id, human_bytes(e.memory), str(e.n_ctx), str(e.busy)) for e in entries))

    # -- on / off -------------------------------------------------------------------------
    def _toggled(self, on: bool) -> None:
        if on:
            self.start()
        else:
            self.stop()

    def start(self) -> None:
        """Listen at the address and port, off the GUI thread (binding can fail in words)."""
        host = self.services.host.host
        if self.running or self._busy or host is None or self.services.host.attached:
            self.toggle.setChecked(self.running)
            if host is None:
                self.status.setText(self.tr("The model host is still starting; try again in "
                                            "a moment."))
            return
        address, port = self.address.text().strip(), self.port.value()
        self._set_busy(True, self.tr("Starting…"))

        def begin() -> Any:
            from spark_desktop.server import ApiServer
            from spark_desktop.server.recorder import ApiRecorder

            config = _config(address, port, ApiRecorder(self.services.history.runner,
                                                        self.save_history.isChecked()))
            return ApiServer(host, config, announce=True).start()

        run_async(begin, self._started, self._start_failed, parent=self)

    def _started(self, server: Any) -> None:
        self.server = server
        self._set_busy(False, self.tr("Serving at {0}/v1 ({1}).").format(
            server.url, self.tr("key required") if server.config.keys.required
            else self.tr("no key: this machine only")))
        self._poll.start()
        self.running_changed.emit(True)

    def _start_failed(self, exc: BaseException) -> None:
        self._set_busy(False, self.tr("The server did not start: {0}").format(error_text(exc)))

    def stop(self, then: Any = None) -> None:
        """Stop listening (requests in flight get a moment to finish), off the GUI thread."""
        server, self.server = self.server, None
        self._poll.stop()
        if server is None:
            self.toggle.setChecked(False)
            return
        self._set_busy(True, self.tr("Stopping…"))

        def stopped(_: object) -> None:
            self._set_busy(False, self.tr("The server is off."))
            self.running_changed.emit(False)
            if then is not None:
                then()

        run_async(server.stop, stopped, self._start_failed, parent=self)

    def shutdown(self) -> None:
        """Stop serving now (the app is quitting: waiting is fine here)."""
        server, self.server = self.server, None
        self._poll.stop()
        if server is not None:
            server.stop()

    def _set_busy(self, busy: bool, text: str) -> None:
        self._busy = busy
        self.status.setText(text)
        self.toggle.setChecked(self.running)
        self.toggle.setText(self.tr("Stop server") if self.running else self.tr("Start server"))
        self._host_state()

    def _save_history_toggled(self, save: bool) -> None:
        """Applies at once to the running server's next requests."""
        if self.server is not None:
            self.server.config.recorder.enabled = save

    # -- keys -----------------------------------------------------------------------------
    def add_key(self, name: str) -> str:
        """Make a key named `name`, save it, and show it once (to copy); returns it."""
        from spark_desktop.server.auth import new_key, write_keys_file

        name = name.strip()
        if not name or any(c.isspace() for c in name):
            self.status.setText(self.tr("Give the key a one-word name (who or what uses it)."))
            return ""
        keys = _read_keys()
        if name in keys.values():
            self.status.setText(self.tr("There is already a key named {0}.").format(name))
            return ""
        key = new_key()
        write_keys_file(paths.api_keys_path(), {**keys, key: name})
        self.key_name.clear()
        self.new_key.setText(key)
        self.new_key.setToolTip(self.tr("Copy this key now: it is shown only once."))
        self.new_key.show()
        self._keys_changed(bool(keys))
        return key

    def revoke_selected(self) -> None:
        item = self.keys.currentItem()
        if item is not None:
            self.revoke(item.data(256))

    def revoke(self, name: str) -> None:
        """Remove the key named `name`: the server refuses it from its next request on."""
        from spark_desktop.server.auth import write_keys_file

        keys = _read_keys()
        write_keys_file(paths.api_keys_path(), {k: n for k, n in keys.items() if n != name})
        self.new_key.hide()
        self._keys_changed(bool(keys))

    def _keys_changed(self, had_keys: bool) -> None:
        """Show the keys; a server started without keys restarts to require them (and the
        other way round). Otherwise the running server reads the file at its next request."""
        self._show_keys()
        if self.running and had_keys != bool(_read_keys()):
            self.stop(then=self.start)

    def _show_keys(self) -> None:
        self.keys.clear()
        for key, name in sorted(_read_keys().items(), key=lambda kv: kv[1]):
            self.keys.addItem(f"{name}   …{key[-4:]}")
            self.keys.item(self.keys.count() - 1).setData(256, name)
        if not self.keys.count():
            self.keys.addItem(self.tr("No keys: only programs on this machine can connect."))

    # -- request log ----------------------------------------------------------------------
    def _poll_log(self) -> None:
        run_async(self.services.host.recent, self._log_records, lambda _e: None, parent=self)

    def _log_records(self, records: tuple[Any, ...]) -> None:
        """Append the records answered since the last look (newest at the bottom)."""
        start = 0
        for i in range(len(records) - 1, -1, -1):
            if records[i] is self._seen:
                start = i + 1
                break
        for r in records[start:]:
            row = self.log.rowCount()
            self.log.insertRow(row)
            cells = (r.model_id, r.finish_reason, str(r.prompt_tokens), str(r.completion_tokens),
                     f"{r.decode_tps:.1f}", f"{r.ttft_ms:.0f}")
            for col, text in enumerate(cells):
                self.log.setItem(row, col, QTableWidgetItem(text))
        if records:
            self._seen = records[-1]
        while self.log.rowCount() > LOG_ROWS:
            self.log.removeRow(0)
        if records[start:]:
            self.log.scrollToBottom()
            self.services.host.refresh()  # busy counts of the loaded models


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setProperty("role", "muted")
    return label


def _remembered_box(text: str, tip: str, key: str) -> QCheckBox:
    """A check box whose state is kept in the window settings under `key` (off at first)."""
    from spark_desktop.ui.main_window import window_settings

    box = QCheckBox(text)
    box.setToolTip(tip)
    box.setChecked(window_settings().value(key, False, type=bool))

    def remember(value: bool) -> None:
        state = window_settings()
        state.setValue(key, value)
        state.sync()

    box.toggled.connect(remember)
    return box


def _read_keys() -> dict[str, str]:
    """{key: name} from the app's keys file (a few lines; none when it is missing)."""
    from spark_desktop.server.auth import read_keys_file

    path = paths.api_keys_path()
    return read_keys_file(path) if path.exists() else {}


def _config(address: str, port: int, recorder: Any) -> Any:
    """The server's settings: the app's keys file when it holds keys (then every request
    needs one), this user's host token so other processes can attach, and the recorder
    that saves API conversations while the user wants them saved."""
    from spark_desktop.host import discovery
    from spark_desktop.server import KeyRing, ServerConfig

    path = paths.api_keys_path()
    ring = KeyRing(keys_file=path if _read_keys() else None, host_key=discovery.host_token())
    return ServerConfig(host=address, port=port, keys=ring, recorder=recorder)
