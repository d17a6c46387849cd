"""One reply's events as an iterator, apart from the other replies streaming beside it."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator
from typing import Any, Protocol, Self

from spark_desktop.engine.events import ChatDone, ChatEvent, ReasoningDelta, TextDelta, ToolCall


class StreamOwner(Protocol):
    """What a stream needs of its engine.client.Client (its worker's event routing)."""

    stall_timeout: float

    def _wait(self, proc: Any, events: queue.Queue[Any], deadline: float, doing: str,
              stall: bool = False) -> dict[str, Any]: ...

    def _cancel_id(self, rid: int, every: bool = False, proc: Any = None,
                   wait: bool = True) -> None: ...


_CLOSED = {"ev": "closed"}  # wakes a thread blocked on a stream another thread closed


class ChatStream(Iterator[ChatEvent]):
    """One reply's events, in order. close() (or dropping the stream unfinished)
    cancels this reply alone; the other streams keep flowing."""

    def __init__(self, client: StreamOwner, proc: Any, rid: int,
                 events: queue.Queue[Any]) -> None:
        self.rid = rid
        self._client = client
        self._proc = proc
        self._events = events
        self._finished = False

    def __iter__(self) -> Self:
        return self

    def __next__(self) -> ChatEvent:
        if self._finished:
            raise StopIteration
        try:
            event = self._client._wait(self._proc, self._events,
                                       time.monotonic() + self._client.stall_timeout,
                                       "generating a reply", stall=True)
        except BaseException:
            self._end()  # an error, a death, a timeout: the worker holds nothing more of it
            raise
        kind = event["ev"]
        if kind == "closed":
            raise StopIteration
        if kind == "delta":
            return TextDelta(event["text"])
        if kind == "reasoning":
            return ReasoningDelta(event["text"])
        if kind == "tool_call":
            return ToolCall(event["call_id"], event["name"], event["arguments"])
        self._end()
        return ChatDone(
            finish_reason=event["finish_reason"], prompt_tokens=int(event["prompt_tokens"]),
            completion_tokens=int(event["completion_tokens"]), ttft_ms=float(event["ttft_ms"]),
            prefill_tps=float(event["prefill_tps"]), decode_tps=float(event["decode_tps"]),
            dropped_messages=int(event["dropped_messages"]),
            token_ids=tuple(event["token_ids"]), error=event.get("error"),
            cached_tokens=int(event.get("cached_tokens", 0)))

    def cancel(self) -> None:
        """Stop this reply; it still ends with its ChatDone ("cancelled"). Any thread."""
        if not self._finished:
            self._client._cancel_id(self.rid, proc=self._proc)

    def close(self, wait: bool = True) -> None:
        """Stop this reply and stop listening: iteration ends at once. Any thread."""
        if not self._finished:
            self._client._cancel_id(self.rid, proc=self._proc, wait=wait)
            self._end()
            self._events.put(_CLOSED)

    def _end(self) -> None:
        self._finished = True
        self._proc.unroute(self.rid)

    def __del__(self) -> None:
        try:  # the garbage collector may run this inside a send of this very thread
            self.close(wait=False)
        except Exception:  # noqa: BLE001, S110 - interpreter teardown: nothing left to stop
            pass
