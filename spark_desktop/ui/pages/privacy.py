"""Settings → Privacy: is the history encrypted, what the app sends over the network, and
"Delete all my data"; plus the passphrase prompt shown at start when the history needs one.

Converting a plaintext history and changing the passphrase need the history closed, so the
box names the command for that (`spark-desktop history encrypt | passphrase`) instead of
pulling the database from under the open Chat page.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from spark_desktop import paths
from spark_desktop.ui.bridges import error_text, run_async

NETWORK_WORDS = (
    "Spark Desktop connects to the network only when you ask it to: searching the Hugging "
    "Face Hub, opening a model card, and downloading a model (and the local API server, "
    "if you turn it on). There is no telemetry and no update check. Offline mode makes no "
    "connections at all. Your conversations never leave this device.")


def status_text(state: object) -> str:
    """The sentence for an `encryption.EncryptionStatus`."""
    if not getattr(state, "exists", False):
        return "Your history will be encrypted on this device when the first chat is saved."
    if not getattr(state, "encrypted", False):
        return ("Your history is NOT encrypted (it was created by an older version). To "
                "encrypt it, close Spark Desktop and run: spark-desktop history encrypt")
    if getattr(state, "kind", None) == "passphrase":
        return ("Your history is encrypted on this device and unlocked with your passphrase. "
                "To change it, close Spark Desktop and run: spark-desktop history passphrase")
    return ("Your history is encrypted on this device; its key is kept in your system "
            "keyring. To protect it with a passphrase instead, close Spark Desktop and run: "
            "spark-desktop history passphrase")


def _status() -> object:
    from spark_desktop.history.encryption import encryption_status

    return encryption_status(paths.database_path())


class PrivacyBox(QGroupBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Privacy", parent)
        layout = QVBoxLayout(self)
        self.status = QLabel("Checking the history…")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        network = QLabel(NETWORK_WORDS)
        network.setWordWrap(True)
        layout.addWidget(network)
        self.delete_button = QPushButton("Delete all my data…")
        self.delete_button.clicked.connect(self.confirm_delete)
        layout.addWidget(self.delete_button, 0, Qt.AlignmentFlag.AlignLeft)
        self.refresh()

    def refresh(self) -> None:
        run_async(_status, lambda state: self.status.setText(status_text(state)),
                  lambda exc: self.status.setText(error_text(exc)), parent=self)

    def confirm_delete(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, "Delete all my data",
                          "Delete every conversation, the logs, caches and settings from "
                          "this device? This cannot be undone. Spark Desktop quits "
                          "afterwards.", parent=self)
        models = QCheckBox("Also delete the downloaded models")
        box.setCheckBox(models)
        delete = box.addButton("Delete everything", QMessageBox.ButtonRole.DestructiveRole)
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
        self.setWindowTitle("Unlock your history")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Your conversations are protected by a passphrase."))
        self.field = QLineEdit(echoMode=QLineEdit.EchoMode.Password)
        layout.addWidget(self.field)
        self.problem = QLabel("")
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.check)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def check(self) -> None:
        from spark_desktop.history import keys

        # scrypt takes ~0.2 s: acceptable once, before the main window exists.
        if keys.passphrase_matches(self.database, self.field.text()):
            keys.remember_passphrase(self.field.text())
            self.field.clear()
            self.accept()
        else:
            self.problem.setText("That passphrase does not unlock the history. Try again.")
            self.field.selectAll()


def unlock_at_start(parent: QWidget | None = None) -> bool:
    """Ask for the passphrase when the history needs one; False if the user gave up."""
    from spark_desktop.history import keys

    database = paths.database_path()
    if not keys.needs_passphrase(database):
        return True
    return PassphraseDialog(database, parent).exec() == QDialog.DialogCode.Accepted
