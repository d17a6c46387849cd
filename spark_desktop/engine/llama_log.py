"""llama.cpp's log inside the worker: every byte goes on to the worker's log file (an
abort's last words are kept), whole lines to a ring the worker quotes in its errors."""

from __future__ import annotations

import ctypes
import os
import threading
from collections import deque

import llama_cpp


class LogCapture:
    """llama.cpp's log: every byte to our stderr (the log file), whole lines to a ring."""

    def __init__(self, keep: int = 20000) -> None:
        self.lines: deque[str] = deque(maxlen=keep)
        self.total = 0
        self._partial = ""
        self._lock = threading.Lock()
        self.callback = llama_cpp.llama_log_callback(self._on_log)

    def _on_log(self, level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        if not text:
            return
        try:
            os.write(2, text)
        except OSError:
            pass
        with self._lock:
            self._partial += text.decode("utf-8", errors="replace")
            *done, self._partial = self._partial.split("\n")
            self.lines.extend(done)
            self.total += len(done)

    def mark(self) -> int:
        """A position to take the lines logged after it."""
        with self._lock:
            return self.total

    def since(self, mark: int) -> list[str]:
        """Lines logged after `mark` (the newest `keep` of them, if the ring overflowed)."""
        with self._lock:
            count = min(self.total - mark, len(self.lines))
            return list(self.lines)[len(self.lines) - count:]
