"""The wire format between client and worker: length-prefixed JSON frames.

Frames travel on dedicated pipe file descriptors, never on stdout/stderr, so
nothing llama.cpp prints can corrupt the channel. Every request carries a
monotonically increasing id; every event echoes the id of its request, so the
client can discard events of a request it has given up on. One step of the
worker's slots may send its events together: {"ev": "many", "events": [...]}.
"""

from __future__ import annotations

import json
import os
import struct
import threading
from typing import Any

_HEADER = struct.Struct(">I")
MAX_FRAME = 64 * 1024 * 1024


class ChannelClosed(Exception):
    """The other end of the pipe is gone (process exited or closed it)."""


def _read_exact(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        chunk = os.read(fd, remaining)
        if not chunk:
            raise ChannelClosed
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> dict[str, Any]:
    """Block until one whole message arrives; ChannelClosed on end of file."""
    (size,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    if size > MAX_FRAME:
        raise ChannelClosed
    return json.loads(_read_exact(fd, size))


class FrameWriter:
    """Writes whole frames atomically with respect to other threads."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the descriptor once; later sends raise ChannelClosed instead of
        writing to whatever file reuses the number."""
        with self._lock:
            fd, self.fd = self.fd, -1
        if fd >= 0:
            try:
                os.close(fd)
            except OSError:
                pass

    def send(self, message: dict[str, Any], wait: bool = True) -> bool:
        """Write one frame; with wait=False (a finalizer, which may run inside another
        send on this very thread) give up after a moment and return False."""
        body = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        data = _HEADER.pack(len(body)) + body
        if not self._lock.acquire(timeout=-1 if wait else 0.05):
            return False
        try:
            if self.fd < 0:
                raise ChannelClosed
            view = memoryview(data)
            while view:
                try:
                    written = os.write(self.fd, view)
                except (BrokenPipeError, OSError) as exc:
                    raise ChannelClosed from exc
                view = view[written:]
        finally:
            self._lock.release()
        return True
