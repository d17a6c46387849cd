"""Split a streamed reply into thinking and answer, safe against tags cut across tokens.

Understands `<think>…</think>` (Qwen3, DeepSeek-R1, QwQ) and the gpt-oss
"harmony" channels (`<|channel|>analysis<|message|>…<|end|>` is thinking,
`final` and other channels are the answer). Pure: no llama.cpp here.
"""

from __future__ import annotations

from typing import Literal

Kind = Literal["text", "reasoning"]

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
CHANNEL = "<|channel|>"
MESSAGE = "<|message|>"
END = "<|end|>"
START = "<|start|>"
MARKERS = (THINK_OPEN, THINK_CLOSE, CHANNEL, MESSAGE, END, START)

_TEXT, _REASONING, _HEADER, _SKIP = "text", "reasoning", "header", "skip"


def prompt_opens_thinking(prompt: str) -> bool:
    """True when the template already opened a think block (DeepSeek-R1 style prompts)."""
    tail = prompt.rstrip()
    return tail.endswith(THINK_OPEN)


def _held_suffix(buffer: str) -> int:
    """Length of the longest suffix of buffer that could start a marker."""
    best = 0
    for marker in MARKERS:
        for size in range(min(len(marker) - 1, len(buffer)), best, -1):
            if buffer.endswith(marker[:size]):
                best = size
                break
    return best


class ReasoningSplitter:
    """Feed decoded text as it streams; get back (kind, text) pieces ready to show."""

    def __init__(self, start_in_reasoning: bool = False) -> None:
        self._state = _REASONING if start_in_reasoning else _TEXT
        self._strip = start_in_reasoning
        self._pending = ""
        self._header = ""

    def feed(self, text: str) -> list[tuple[Kind, str]]:
        out: list[tuple[Kind, str]] = []
        buffer = self._pending + text
        while True:
            hits = [(buffer.find(m), m) for m in MARKERS]
            found = [(i, m) for i, m in hits if i >= 0]
            if not found:
                break
            index, marker = min(found)
            self._emit(buffer[:index], out)
            self._switch(marker)
            buffer = buffer[index + len(marker):]
        held = _held_suffix(buffer)
        self._emit(buffer[:len(buffer) - held], out)
        self._pending = buffer[len(buffer) - held:]
        return out

    def flush(self) -> list[tuple[Kind, str]]:
        """End of stream: a held-back partial tag was just text after all."""
        out: list[tuple[Kind, str]] = []
        self._emit(self._pending, out)
        self._pending = ""
        return out

    def _emit(self, text: str, out: list[tuple[Kind, str]]) -> None:
        if not text:
            return
        if self._state == _HEADER:
            self._header += text
            return
        if self._state == _SKIP:
            return
        if self._strip:
            text = text.lstrip()
            if not text:
                return
            self._strip = False
        kind: Kind = "reasoning" if self._state == _REASONING else "text"
        if out and out[-1][0] == kind:
            out[-1] = (kind, out[-1][1] + text)
        else:
            out.append((kind, text))

    def _switch(self, marker: str) -> None:
        if marker == THINK_OPEN:
            self._state, self._strip = _REASONING, True
        elif marker == THINK_CLOSE:
            self._state, self._strip = _TEXT, True
        elif marker == CHANNEL:
            self._state, self._header = _HEADER, ""
        elif marker == MESSAGE:
            if self._state == _HEADER and self._header.strip().startswith("analysis"):
                self._state = _REASONING
            else:
                self._state = _TEXT
            self._strip = True
        elif marker in (END, START):
            self._state = _SKIP
