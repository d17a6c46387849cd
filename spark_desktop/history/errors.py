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
