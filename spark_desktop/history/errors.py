"""Typed errors of the history store, each with a sentence a person can act on."""

from __future__ import annotations

from pathlib import Path

from spark_desktop.errors import SparkError


class HistoryError(SparkError):
    """Something went wrong with the conversation history."""


class DatabaseTooNewError(HistoryError):
    """The database was written by a newer Spark Desktop; we refuse to touch it."""

    def __init__(self, path: Path, revision: str) -> None:
        self.path = path
        self.revision = revision
        super().__init__(
            f"The history database {path} was written by a newer version of Spark Desktop "
            f"(schema {revision}). Update Spark Desktop to open it; the file was left untouched.")


class CorruptDatabaseError(HistoryError):
    """The database file cannot be read; a copy was put aside before anything else."""

    def __init__(self, path: Path, backup: Path, detail: str) -> None:
        self.path = path
        self.backup = backup
        self.detail = detail
        super().__init__(
            f"The history database {path} is damaged ({detail}). A copy was saved as {backup}. "
            "Move or delete the damaged file to start a new history, or restore a backup.")


class NotHistoryDatabaseError(HistoryError):
    """The file is an SQLite database, but not one of ours."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"{path} is an SQLite database that Spark Desktop did not create; "
            "choose another data folder or move the file away.")


class NotFoundError(HistoryError):
    """A conversation or message id that is not in the history."""


class AmbiguousIdError(HistoryError):
    """A shortened id that matches more than one conversation."""


class ImportFormatError(HistoryError):
    """A file to import that is neither our JSON export nor a ChatGPT export."""


class InvalidMessageError(HistoryError, ValueError):
    """A message the history cannot hold: an unknown role or finish reason, or no place in
    a conversation. A ValueError too, for callers that validate input that way."""


class NoKeyStoreError(HistoryError):
    """No keyring and no passphrase: the history cannot be encrypted, and we will not
    quietly write it in plain text."""

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(
            (detail + " " if detail else "No keyring is available to keep the history's key. ")
            + "Choose one: set a passphrase (Settings → Privacy, or --passphrase-file FILE / "
            "SPARK_DESKTOP_PASSPHRASE_FILE for the command line), or start a keyring "
            "service (Secret Service: GNOME Keyring or KWallet) and try again.")


class KeyringUnavailableError(HistoryError):
    """The keyring exists but refused (locked, D-Bus gone, permission denied)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The keyring did not answer ({detail}). Unlock it (log in to the desktop "
            "session) or use a passphrase (--passphrase-file FILE) instead.")


class PassphraseRequiredError(HistoryError):
    """The history is encrypted with a passphrase and none was given."""

    def __init__(self, path: Path) -> None:
        self.path = path
        super().__init__(
            f"The history {path} is protected by a passphrase. Enter it, or pass "
            "--passphrase-file FILE (or set SPARK_DESKTOP_PASSPHRASE_FILE).")


class WrongPassphraseError(HistoryError):
    """The passphrase does not open this history; nothing was changed."""

    def __init__(self, path: Path, *, interrupted: bool = False) -> None:
        self.path = path
        super().__init__(
            f"That passphrase does not unlock the history {path}. "
            + ("A passphrase change was interrupted before it finished: the previous "
               "passphrase still opens it. " if interrupted else "Check it and try again; ")
            + "the history was left untouched.")


class MissingKeyError(HistoryError):
    """An encrypted history whose key is not available here; nothing was changed."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        super().__init__(
            f"The history {path} cannot be opened: {reason}. It was left untouched; open it "
            "on the machine that created it and set a passphrase there (Settings → Privacy, "
            "or `spark-desktop history passphrase`) to carry it elsewhere.")

