"""App lock: with a passphrase set, the window locks after an idle time and on demand.

Locked, the Chat page is destroyed (its widgets, item models and open history go with it)
and the window shows only the lock screen, so no conversation text is on screen or held
by a widget. A reply streaming at that moment is stopped as Stop does (its text so far
is saved, marked stopped); the lock screen shows at once, the page goes once that is saved.
Unlocking checks the passphrase off the GUI thread (scrypt takes ~0.2 s) and builds a
fresh Chat page. Without a passphrase there is nothing to unlock with, so the lock stays
off (a keyring key opens the history without asking).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from spark_desktop import paths
from spark_desktop.ui.bridges import run_async

IDLE_MINUTES = 10
_ACTIVITY = (QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
             QEvent.Type.Wheel)


class LockScreen(QWidget):
    unlock_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        title = QLabel(self.tr("Spark Desktop is locked"))
        title.setProperty("role", "title")
        layout.addWidget(title, 0, Qt.AlignmentFlag.AlignHCenter)
        self.field = QLineEdit(echoMode=QLineEdit.EchoMode.Password,
                               placeholderText=self.tr("Your passphrase"))
        self.field.setMaximumWidth(320)
        self.field.returnPressed.connect(self._submit)
        layout.addWidget(self.field, 0, Qt.AlignmentFlag.AlignHCenter)
        self.button = QPushButton(self.tr("Unlock"))
        self.button.clicked.connect(self._submit)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.problem = QLabel("")
        layout.addWidget(self.problem, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)

    def _submit(self) -> None:
        self.button.setEnabled(False)
        self.problem.setText(self.tr("Checking…"))
        self.unlock_requested.emit(self.field.text())

    def refused(self) -> None:
        self.button.setEnabled(True)
        self.problem.setText(self.tr("That passphrase does not unlock Spark Desktop."))
        self.field.selectAll()


def lock_available() -> bool:
    """The lock needs a passphrase: only a passphrase-protected history has one."""
    from spark_desktop.history import keys
    from spark_desktop.history.encryption import encryption_status

    try:
        return keys.passphrase_remembered() or \
            encryption_status(paths.database_path()).kind == "passphrase"
    except Exception:  # noqa: BLE001 - a damaged key file: the history reports it itself
        return False


class AppLock(QObject):
    """Watches for user activity on the whole application and locks `window` (a
    MainWindow: release_chat / rebuild_chat) when idle or asked."""

    locked_changed = Signal(bool)

    def __init__(self, window: Any, idle_ms: int = IDLE_MINUTES * 60_000) -> None:
        super().__init__(window)
        self.window = window
        self.screen: LockScreen | None = None
        self._central: QWidget | None = None
        self.timer = QTimer(self, singleShot=True, interval=idle_ms)
        self.timer.timeout.connect(self._idle)
        self.available = False
        self.refresh()

    def refresh(self) -> None:
        """Find out (off the GUI thread: it imports the history) whether a passphrase
        exists; only then watch for activity, so people without one get no
        application-wide event filter."""
        run_async(lock_available, self._set_available, parent=self)

    def _set_available(self, available: bool) -> None:
        if available and not self.available:
            QApplication.instance().installEventFilter(self)
            self.timer.start()
        self.available = available

    @property
    def locked(self) -> bool:
        return self.screen is not None

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and not self.locked:
            self.timer.start()
        return False

    def _idle(self) -> None:
        if not self.timer.isActive():  # else the person came back meanwhile
            self.lock()

    def lock(self) -> bool:
        """Lock now, stopping a streaming reply (saved as Stop saves it); False when there
        is no passphrase or it is locked already."""
        if self.locked or not self.available:
            return False
        self._central = self.window.takeCentralWidget()
        self.screen = LockScreen()
        self.screen.unlock_requested.connect(self._check)
        self.window.setCentralWidget(self.screen)  # the window owns it from here
        self.window.release_chat()
        self.screen.field.setFocus()
        self.locked_changed.emit(True)
        return True

    def _check(self, passphrase: str) -> None:
        from spark_desktop.history.keys import passphrase_matches

        database = paths.database_path()
        run_async(lambda: passphrase_matches(database, passphrase), self._checked,
                  lambda _exc: self._checked(False), parent=self)

    def _checked(self, ok: bool) -> None:
        if self.screen is None:
            return
        if not ok:
            self.screen.refused()
            return
        self.screen = None
        self.window.setCentralWidget(self._central)  # deletes the lock screen
        self._central = None
        self.window.rebuild_chat()
        self.timer.start()
        self.locked_changed.emit(False)
