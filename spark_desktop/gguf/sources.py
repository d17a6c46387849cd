"""Byte sources for GGUF headers, and the growing buffer that reads a header from them.

A header is read front to back from byte 0, so one contiguous buffer that grows by a
few requests of doubling size is enough, local or remote; the weights are never read.
"""

from __future__ import annotations

import os
from pathlib import Path

from spark_desktop.gguf.errors import GGUFError
from spark_desktop.gguf.spec import ByteSource

FIRST_REQUEST = 256 * 1024
MAX_HEADER_BYTES = 128 * 1024 * 1024


class FileSource:
    """A local file as a ByteSource (one open per read, so it holds no descriptor)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.name = self.path.name
        try:
            self._size = self.path.stat().st_size
        except FileNotFoundError:
            raise GGUFError(f"{self.path} does not exist.") from None
        except OSError as exc:
            raise GGUFError(f"{self.path} cannot be read: {exc.strerror or exc}.") from None
        if not self.path.is_file():
            raise GGUFError(f"{self.path} is not a file.")

    def size(self) -> int:
        return self._size

    def read(self, offset: int, length: int) -> bytes:
        try:
            with self.path.open("rb") as f:
                f.seek(offset)
                return f.read(length)
        except OSError as exc:
            raise GGUFError(f"{self.path} cannot be read: {exc.strerror or exc}.") from None


class HeaderBuffer:
    """The first bytes of a source, fetched on demand in requests of growing size.

    Requests start at FIRST_REQUEST and double; nothing past MAX_HEADER_BYTES is
    ever fetched, so a hostile length can cost at most that much.
    """

    def __init__(self, source: ByteSource, limit: int = MAX_HEADER_BYTES) -> None:
        self.source = source
        self.name = source.name
        self.file_size = source.size()
        self.data = bytearray()
        self.requests = 0
        self._next = FIRST_REQUEST
        self._limit = limit

    @property
    def end(self) -> int:
        return len(self.data)

    def ensure(self, stop: int) -> None:
        """Make bytes [0, stop) available, or say why they cannot be."""
        if stop <= len(self.data):
            return
        if stop > self.file_size:
            raise GGUFError(
                f"{self.name} is truncated: its header needs at least {stop} bytes "
                f"but the file is {self.file_size} bytes long.")
        if stop > self._limit:
            raise GGUFError(
                f"{self.name} has a header larger than {self._limit // (1024 * 1024)} MiB, "
                "which no real model needs; the file is damaged or not a model.")
        while len(self.data) < stop:
            start = len(self.data)
            want = max(self._next, stop - start)
            want = min(want, self.file_size - start, self._limit - start)
            chunk = self.source.read(start, want)
            self.requests += 1
            self._next = min(self._next * 2, self._limit)
            if not chunk:
                raise GGUFError(
                    f"{self.name} ended at byte {start} while its header was read, "
                    f"although it claims to be {self.file_size} bytes long.")
            self.data += chunk[:want]
