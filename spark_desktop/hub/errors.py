"""Typed errors of the hub area, each with a sentence a person can act on."""

from __future__ import annotations

from spark_desktop.errors import SparkError


class OfflineError(SparkError):
    """The Hub cannot be reached (no network, HF_HUB_OFFLINE, or offline in settings)."""

    def __init__(self, message: str = "You are offline; search needs the internet. "
                                      "Your models and chats still work.") -> None:
        super().__init__(message)


class HubBusyError(SparkError):
    """The Hub answers, but with 5xx/429 or dropped connections even after the retries."""


class HubAccessError(SparkError):
    """A gated or private repository the current login may not read."""


class RepoNotFoundError(SparkError):
    """The repository or file does not exist on the Hub."""


class VariantNotFoundError(SparkError):
    """The requested quantization or file is not in the repository."""


class UnsafeFileNameError(SparkError):
    """A file name from the Hub that could escape the models folder or is otherwise odd."""


class DiskFullError(SparkError):
    """Not enough free space for a download."""


class ChecksumError(SparkError):
    """The downloaded bytes do not match the Hub's sha256; the file was deleted."""


class DownloadError(SparkError):
    """A download failed after all retries."""
