"""A model's slots and its bounded first-come-first-served waiting line.

The engine worker serves `slots` sequences at once (one today; the batching
engine raises it). Requests beyond that wait in order; when the line is full the
next request is turned away at once with a retry hint instead of piling up.
"""

from __future__ import annotations

import threading
from collections import deque

from spark_desktop.host.errors import AbandonedError, QueueFullError

#: How often a waiting request checks whether its caller gave up.
POLL_S = 0.1


class Slots:
    def __init__(self, model_id: str, slots: int, queue_limit: int) -> None:
        if slots < 1 or queue_limit < 0:
            raise ValueError("slots must be at least 1 and queue_limit at least 0")
        self.model_id = model_id
        self.size = slots
        self.queue_limit = queue_limit
        self._free = slots
        self._waiting: deque[object] = deque()
        self._cond = threading.Condition()

    @property
    def busy(self) -> int:
        with self._cond:
            return self.size - self._free

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    def acquire(self, abandon: threading.Event | None = None) -> None:
        """Take a slot, waiting in line; QueueFullError when the line is full,
        AbandonedError when `abandon` is set while waiting."""
        with self._cond:
            if self._free > 0 and not self._waiting:
                self._free -= 1
                return
            if len(self._waiting) >= self.queue_limit:
                # each request ahead holds its slot for a while: a second apiece is a fair hint
                raise QueueFullError(self.model_id, len(self._waiting),
                                     retry_after=max(1, len(self._waiting) // self.size))
            ticket = object()
            self._waiting.append(ticket)
            try:
                while not (self._free > 0 and self._waiting[0] is ticket):
                    if abandon is not None and abandon.is_set():
                        raise AbandonedError("The client left while waiting for the model.")
                    self._cond.wait(POLL_S)
                self._waiting.popleft()
                self._free -= 1
            except BaseException:
                if ticket in self._waiting:
                    self._waiting.remove(ticket)
                self._cond.notify_all()
                raise

    def release(self) -> None:
        with self._cond:
            self._free = min(self.size, self._free + 1)
            self._cond.notify_all()
