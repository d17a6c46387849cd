"""Typed errors of the documents area, each with a sentence a person can act on.

Every one is raised before the index is written, so a file that fails leaves what was
indexed before it as it was.
"""

from __future__ import annotations

from pathlib import Path

from spark_desktop.errors import SparkError


class DocumentError(SparkError):
    """A document that cannot be read, indexed or searched as asked."""

    def __init__(self, path: Path | str, message: str) -> None:
        self.path = Path(path)
        super().__init__(message)


class DocumentMissingError(DocumentError):
    """The file is not there (never was, or vanished while it was being read)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, f"The document {path} is not there any more (moved or deleted?); "
                               "check the path, or remove it from the list.")


class DocumentTooLargeError(DocumentError):
    """Bigger than the limit: reading it would take the memory the model needs."""

    def __init__(self, path: Path | str, size: int, limit: int) -> None:
        self.size = size
        self.limit = limit
        super().__init__(path, f"The document {path} is {size / 2**20:.1f} MiB, more than the "
                               f"{limit / 2**20:.0f} MiB limit for one document; split it into "
                               "smaller files.")


class CorruptDocumentError(DocumentError):
    """The file claims a format (PDF, DOCX) but its content cannot be parsed."""

    def __init__(self, path: Path | str, kind: str, detail: str) -> None:
        self.detail = detail
        super().__init__(path, f"The {kind} {path} cannot be read ({detail}); it may be damaged "
                               "or incomplete. Open it in its own application and save or "
                               "export it again.")


class NoTextError(DocumentError):
    """A document without any text: a scanned PDF (images of pages) or an empty file."""

    def __init__(self, path: Path | str, scanned: bool) -> None:
        self.scanned = scanned
        super().__init__(path, (
            f"The PDF {path} has no text layer: it looks scanned (pages are pictures). Run it "
            "through OCR (for example ocrmypdf) and attach the result."
            if scanned else f"The document {path} holds no text."))


class UnsupportedDocumentError(DocumentError):
    """A binary format we have no reader for."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, f"{path} is not a format Spark Desktop can read (plain text, "
                               "Markdown, source code, PDF, DOCX or HTML); export it as one of "
                               "those.")
