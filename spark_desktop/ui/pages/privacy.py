"""Settings → Privacy: is the history encrypted, what the app sends over the network, and
"Delete all my data"; plus what runs before the Chat page opens the history (the window
already shows): the passphrase prompt, and a conversion or key change the user asked for.

Converting a plaintext history and changing its key need the history closed: the box runs
them on the app's history thread with the store closed (HistoryBridge.run_closed), so every
other history call waits meanwhile, behind a modal progress dialog. When another window or
a CLI chat holds the history, the box records the request and the next start carries it out
first (or the user runs `spark-desktop history encrypt | passphrase` meanwhile).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from spark_desktop import paths
from spark_desktop.ui.bridges import EventRelay, error_text, run_async

NETWORK_WORDS = QT_TRANSLATE_NOOP(
    "PrivacyBox",
    "Spark Desktop connects to the network only when you ask it to: searching the Hugging "
    "Face Hub, opening a model card, and downloading a model (and the local API server, "
    "if you turn it on). MCP servers you add in Settings are started or reached as you "
    "configured them, and a tool call you allow sends its arguments to its server. There "
    "is no telemetry and no update check. Offline mode makes no connection to the Hub. "
    "Your conversations never leave this device, except what a tool call you allow sends.")
translate = QCoreApplication.translate


def status_text(state: object) -> str:
    """The sentence for an `encryption.EncryptionStatus`."""
    if not getattr(state, "exists", False):
        return translate("PrivacyBox", "Your history will be encrypted on this device when "
                         "the first chat is saved.")
    if not getattr(state, "encrypted", False):
        return translate("PrivacyBox", "Your history is NOT encrypted (it was created by an "
                         "older version). Encrypt it at the next start, or close Spark "
                         "Desktop and run: spark-desktop history encrypt")
    if getattr(state, "kind", None) == "passphrase":
        return translate("PrivacyBox", "Your history is encrypted on this device and unlocked "
                         "with your passphrase.")
    return translate("PrivacyBox", "Your history is encrypted on this device; its key is kept "
                     "in your system keyring, so nothing is asked at start.")


_REQUEST_WORDS = {
    "encrypt": QT_TRANSLATE_NOOP(
        "PrivacyBox", "Your history will be encrypted at the next start of Spark Desktop."),
    "passphrase": QT_TRANSLATE_NOOP(
        "PrivacyBox", "You will choose the passphrase at the next start of Spark Desktop."),
    "keyring": QT_TRANSLATE_NOOP(
        "PrivacyBox",
        "The passphrase will be replaced by a key in your keyring at the next start."),
}


def _status() -> object:
    from spark_desktop.history.encryption import encryption_status

    return encryption_status(paths.database_path())


class PrivacyBox(QGroupBox):
    """`history`: the app's HistoryBridge, whose thread converts the history (None: no
    store is open in this process). Signal `progressed(percent)` while one runs."""

    progressed = Signal(int)

    def __init__(self, history: Any = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Privacy"))
        self.history = history
        layout = QVBoxLayout(self)
        self.status = QLabel(self.tr("Checking the history…"))
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        row = QHBoxLayout()
        self.encrypt_button = QPushButton(self.tr("Encrypt my history"))
        self.passphrase_button = QPushButton(self.tr("Set a passphrase…"))
        self.keyring_button = QPushButton(self.tr("Use the keyring instead of a passphrase"))
        for button, action in ((self.encrypt_button, "encrypt"),
                               (self.passphrase_button, "passphrase"),
                               (self.keyring_button, "keyring")):
            button.setVisible(False)
            button.clicked.connect(lambda _=False, a=action: self.convert(a))
            row.addWidget(button)
        row.addStretch(1)
        layout.addLayout(row)
        self.request_note = QLabel("")
        self.request_note.setWordWrap(True)
        layout.addWidget(self.request_note)
        network = QLabel(self.tr(NETWORK_WORDS))
        network.setWordWrap(True)
        layout.addWidget(network)
        self.delete_button = QPushButton(self.tr("Delete all my data…"))
        self.delete_button.clicked.connect(self.confirm_delete)
        layout.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.refresh()

    def refresh(self) -> None:
        run_async(_status, self._show_status,
                  lambda exc: self.status.setText(error_text(exc)), parent=self)

    def _show_status(self, state: Any) -> None:
        self.status.setText(status_text(state))
        encrypted, kind = state.encrypted, state.kind
        self.encrypt_button.setVisible(state.exists and not encrypted)
        self.passphrase_button.setVisible(True)
        self.passphrase_button.setText(self.tr("Change the passphrase…") if kind == "passphrase"
                                       else self.tr("Set a passphrase…"))
        self.keyring_button.setVisible(encrypted and kind == "passphrase")

    def convert(self, action: str) -> None:
        """Make the change now, behind a modal progress dialog; at the next start instead
        when another process holds the history."""
        from spark_desktop.history.encryption import HistoryInUseError

        try:
            message = _carry_out(action, paths.database_path(), self, self.history,
                                 self.progressed.emit)
        except HistoryInUseError as exc:
            self.request(action)
            message = error_text(exc)
        except Exception as exc:  # noqa: BLE001 - shown in words; the history is unchanged
            message = error_text(exc)
        if message:
            QMessageBox.information(self, self.tr("Privacy"), message)
        self.refresh()

    def request(self, action: str) -> None:
        """Record the change for the next start (another process holds the history)."""
        from spark_desktop.history.encryption import request_at_start

        request_at_start(paths.database_path(), action)  # type: ignore[arg-type]
        self.request_note.setText(self.tr(_REQUEST_WORDS[action]))

    def confirm_delete(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, self.tr("Delete all my data"),
                          self.tr("Delete every conversation, the logs, caches and settings "
                                  "from this device? This cannot be undone. Spark Desktop "
                                  "quits afterwards."), parent=self)
        models = QCheckBox(self.tr("Also delete the downloaded models"))
        box.setCheckBox(models)
        delete = box.addButton(self.tr("Delete everything"),
                               QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is delete:
            self.delete_on_quit(models.isChecked())

    def delete_on_quit(self, include_models: bool) -> None:
        """Quit first (pages close the history, the window saves its state), then delete,
        so nothing is written back after the deletion."""
        app = QApplication.instance()
        app.aboutToQuit.connect(lambda: _delete(include_models))
        window = self.window()
        if window is not None:
            window.close()
        app.quit()


def _delete(include_models: bool) -> list[Path]:
    from spark_desktop.privacy import delete_all_data

    return delete_all_data(include_models)


class PassphraseDialog(QDialog):
    """Asks for the history's passphrase; accepts only one the key file expects."""

    def __init__(self, database: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.field = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.problem = _passphrase_form(
            self, self.tr("Unlock your history"),
            self.tr("Your conversations are protected by a passphrase."), (self.field,))

    def check(self) -> None:
        """scrypt takes ~0.2 s: checked on a worker, the dialog waits meanwhile."""
        from spark_desktop.history import keys

        passphrase = self.field.text()
        self.setEnabled(False)
        self.problem.setText(self.tr("Checking…"))
        run_async(lambda: keys.passphrase_matches(self.database, passphrase),
                  lambda ok: self._checked(ok, passphrase),
                  lambda _exc: self._checked(False, passphrase), parent=self)

    def _checked(self, ok: bool, passphrase: str) -> None:
        from spark_desktop.history import keys

        self.setEnabled(True)
        if ok:
            keys.remember_passphrase(passphrase)
            self.field.clear()
            self.accept()
        else:
            self.problem.setText(self.tr("That passphrase does not unlock the history. Try again."))
            self.field.selectAll()


class NewPassphraseDialog(QDialog):
    """Asks for a new passphrase twice; `passphrase` holds it once accepted."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.passphrase = ""
        self.first = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.second = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        self.problem = _passphrase_form(
            self, self.tr("Choose a passphrase for your history"),
            self.tr("It is asked at every start. If you forget it, your conversations cannot "
                    "be recovered."), (self.first, self.second))

    def check(self) -> None:
        if len(self.first.text()) < 8:
            self.problem.setText(self.tr("Use at least 8 characters."))
        elif self.first.text() != self.second.text():
            self.problem.setText(self.tr("The two entries differ."))
        else:
            self.passphrase = self.first.text()
            self.accept()


COPY_SHARE = 40  # percent of the bar for the copy; checking every row takes the rest


def _percent(phase: str, done: int, total: int) -> int:
    """encryption.Progress's (phase, done, total) as a percent of the whole conversion."""
    share = done / total if total else 1.0
    return int(COPY_SHARE * share) if phase == "copy" else \
        COPY_SHARE + int((100 - COPY_SHARE) * share)


def run_with_progress(fn: Callable[[Any], Any], text: str, parent: QWidget | None = None,
                      history: Any = None, on_percent: Callable[[int], None] | None = None
                      ) -> Any:
    """Run `fn(progress)` off the GUI thread (`progress`: an encryption.Progress hook) while
    a modal progress dialog keeps the GUI alive and shows how far it got; with `history`
    (a HistoryBridge) it runs on the history's thread with the store closed. Return its
    result or raise its error."""
    dialog = QProgressDialog(text, "", 0, 0, parent)  # busy until the first figure
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setAutoClose(False)
    dialog.setAutoReset(False)
    outcome: dict[str, Any] = {}
    shown, posted = [-1], [-1]
    relay = EventRelay(dialog)

    def show(percent: int) -> None:
        if percent > shown[0]:
            shown[0] = percent
            dialog.setRange(0, 100)
            dialog.setValue(percent)
            if on_percent is not None:
                on_percent(percent)

    def progress(phase: str, done: int, total: int) -> None:  # on the worker
        percent = _percent(phase, done, total)
        if percent != posted[0]:
            posted[0] = percent
            relay.post(percent)

    def finished(key: str, value: Any) -> None:
        outcome[key] = value
        dialog.done(0)

    relay.event.connect(show)
    run = run_async if history is None else history.run_closed
    run(lambda: fn(progress), lambda result: finished("result", result),
        lambda exc: finished("error", exc))
    if not outcome:
        dialog.exec()
    dialog.deleteLater()
    if "error" in outcome:
        raise outcome["error"]
    show(100)
    return outcome.get("result")


def _carry_out(action: str, database: Path, parent: QWidget | None, history: Any = None,
               on_percent: Callable[[int], None] | None = None) -> str | None:
    """Do the requested change; the sentence to show, or None if the user cancelled.
    `history` and `on_percent` as for run_with_progress."""
    from spark_desktop.history import keys
    from spark_desktop.history.encryption import change_key, encrypt_history

    def run(fn: Callable[[Any], Any], text: str) -> Any:
        return run_with_progress(fn, text, parent, history, on_percent)

    if action == "encrypt":
        count = run(lambda progress: encrypt_history(
            database, keys.app_key_source(), on_progress=progress),
            translate("PrivacyBox", "Encrypting your history…"))
        return translate("PrivacyBox", "Your history is now encrypted (%n message(s) checked).",
                         "", count)
    if action == "keyring":
        run(lambda _: change_key(database, keys.app_key_source(), keys.KeySource()),
            translate("PrivacyBox", "Moving the key to your keyring…"))
        return translate("PrivacyBox", "Your history now opens with a key kept in your keyring.")
    chooser = NewPassphraseDialog(parent)
    if chooser.exec() != QDialog.DialogCode.Accepted:
        return None
    passphrase = chooser.passphrase
    new = keys.KeySource(passphrase=passphrase, use_keyring=False)

    def protect(progress: Any, plaintext: bool) -> None:
        if plaintext:
            encrypt_history(database, new, on_progress=progress)
        else:
            change_key(database, keys.app_key_source(), new)
        keys.remember_passphrase(passphrase)  # before the history opens again
    if keys.is_new(database):
        keys.remember_passphrase(passphrase)  # the history is created with it
    elif keys.is_plaintext(database):
        run(lambda progress: protect(progress, True),
            translate("PrivacyBox", "Encrypting your history with your passphrase…"))
    else:
        run(lambda progress: protect(progress, False),
            translate("PrivacyBox", "Re-encrypting your history with the new passphrase…"))
    return translate("PrivacyBox", "Your history is now protected by your new passphrase.")


def start_needs() -> tuple[bool, str | None]:
    """(asks for a passphrase, requested change): read off the GUI thread before the Chat
    page opens the history."""
    from spark_desktop.history import keys
    from spark_desktop.history.encryption import requested_at_start

    database = paths.database_path()
    return keys.needs_passphrase(database), requested_at_start(database)


def prepare_history(needs: tuple[bool, str | None], parent: QWidget | None = None) -> bool:
    """Before the Chat page opens the history: ask for its passphrase if it needs one, then
    carry out a change requested in Settings → Privacy. False if the user gave up."""
    from spark_desktop.history.encryption import request_at_start

    database = paths.database_path()
    asks, action = needs
    if asks and PassphraseDialog(database, parent).exec() != QDialog.DialogCode.Accepted:
        return False
    if action is None:
        return True
    request_at_start(database, None)  # once, whatever happens
    try:
        message = _carry_out(action, database, parent)
    except Exception as exc:  # noqa: BLE001 - shown in words; the history is unchanged
        message = error_text(exc)
    if message:
        QMessageBox.information(parent, translate("PrivacyBox", "Privacy"), message)
    return True


def _passphrase_form(dialog: QDialog, title: str, text: str,
                     fields: tuple[QLineEdit, ...]) -> QLabel:
    """The passphrase dialogs' layout: a sentence, the fields, a line for what is wrong
    (returned), OK (the dialog's `check`) and Cancel."""
    dialog.setWindowTitle(title)
    layout = QVBoxLayout(dialog)
    layout.addWidget(QLabel(text))
    for field in fields:
        layout.addWidget(field)
    problem = QLabel("")
    layout.addWidget(problem)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                               | QDialogButtonBox.StandardButton.Cancel)
    buttons.accepted.connect(dialog.check)  # type: ignore[attr-defined]
    buttons.rejected.connect(dialog.reject)
    layout.addWidget(buttons)
    return problem
