"""Writing a reply into the history while it is generated.

The message row exists from the first moment (empty, `streaming`); text is written back at
most every `flush_interval` seconds, so a crash loses at most that much, while a reply of
thousands of tokens costs a few dozen small commits instead of one per token.
"""

from __future__ import annotations

import time
from typing import Protocol, Self

from spark_desktop.history.records import FinishReason, Message


class StreamStore(Protocol):
    """What the writer needs of the store (HistoryStore is one): a flush, and the end."""

    def write_stream(self, message_id: str, content: str, reasoning: str) -> None: ...

    def finish_stream(self, message_id: str, content: str, reasoning: str,
                      finish_reason: FinishReason, *, prompt_tokens: int | None = None,
                      completion_tokens: int | None = None, ttft_ms: float | None = None,
                      tokens_per_s: float | None = None) -> Message: ...


class StreamWriter:
    """Accumulates deltas of one reply and persists them; use once, then `finish()`."""

    def __init__(self, store: StreamStore, message: Message, flush_interval: float) -> None:
        self._store = store
        self.message = message
        self.flush_interval = flush_interval
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._dirty = False
        self._last_flush = time.monotonic()
        self._finished: Message | None = None

    @property
    def message_id(self) -> str:
        return self.message.id

    @property
    def content(self) -> str:
        return "".join(self._content)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    def append(self, delta: str = "", reasoning: str = "") -> bool:
        """Add generated text (and/or reasoning text); returns True when it flushed."""
        if self._finished is not None:
            raise RuntimeError("this reply is already finished")
        if delta:
            self._content.append(delta)
        if reasoning:
            self._reasoning.append(reasoning)
        self._dirty = self._dirty or bool(delta or reasoning)
        if self._dirty and time.monotonic() - self._last_flush >= self.flush_interval:
            self.flush()
            return True
        return False

    def flush(self) -> None:
        """Write what has been generated so far (one small commit)."""
        if self._dirty:
            self._content[:] = [self.content]
            self._reasoning[:] = [self.reasoning]
            self._store.write_stream(self.message.id, self.content, self.reasoning)
            self._dirty = False
        self._last_flush = time.monotonic()

    def finish(self, finish_reason: FinishReason, *, prompt_tokens: int | None = None,
               completion_tokens: int | None = None, ttft_ms: float | None = None,
               tokens_per_s: float | None = None) -> Message:
        """Write the whole reply with why it ended and its statistics; returns the message."""
        if self._finished is not None:
            return self._finished
        self._finished = self._store.finish_stream(
            self.message.id, self.content, self.reasoning, finish_reason,
            prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
            ttft_ms=ttft_ms, tokens_per_s=tokens_per_s)
        return self._finished

    def __enter__(self) -> Self:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
        """Leaving the block without finish() keeps the text: 'error' if an exception
        escaped, 'cancelled' if the caller simply stopped."""
        if self._finished is None:
            self.finish("error" if exc_type is not None else "cancelled")
