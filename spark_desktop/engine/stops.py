"""Stop strings on a stream: hold back text that might be the start of a stop string."""

from __future__ import annotations

from collections.abc import Sequence


class StopMatcher:
    """Feed text pieces; get back what is safe to show and whether a stop string hit."""

    def __init__(self, stops: Sequence[str]) -> None:
        self._stops = tuple(s for s in stops if s)
        self._pending = ""

    def feed(self, text: str) -> tuple[str, bool]:
        if not self._stops:
            return text, False
        buffer = self._pending + text
        hits = [i for i in (buffer.find(s) for s in self._stops) if i >= 0]
        if hits:
            self._pending = ""
            return buffer[:min(hits)], True
        held = 0
        for stop in self._stops:
            for size in range(min(len(stop) - 1, len(buffer)), held, -1):
                if buffer.endswith(stop[:size]):
                    held = size
                    break
        self._pending = buffer[len(buffer) - held:]
        return buffer[:len(buffer) - held], False

    def flush(self) -> str:
        """End of stream: held-back text was not a stop string after all."""
        rest, self._pending = self._pending, ""
        return rest
