"""Values that cross the engine boundary: load results, chat events and embeddings."""

from __future__ import annotations

import array
import base64
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from spark_desktop.inference_settings import LoadSettings

if TYPE_CHECKING:
    from spark_desktop.engine.memory_report import MemoryReport

FinishReason = Literal["stop", "length", "cancelled", "error", "tool_calls"]


@dataclass(frozen=True)
class ModelInfo:
    """What llama.cpp says about the loaded model."""

    path: str
    description: str
    architecture: str
    n_params: int
    size_bytes: int
    n_ctx_train: int
    n_ctx: int
    n_layer: int
    chat_template: str  # "gguf", a built-in llama.cpp name such as "gemma", or "custom"
    n_seq: int = 1  # parallel sequences (slots)
    n_ctx_seq: int = 0  # context of each sequence: n_ctx shared out, padded as llama.cpp does
    n_embd: int = 0  # length of the model's embedding vectors
    tool_format: str = "generic"  # how its template offers tools (engine.tools.template_format)


@dataclass(frozen=True)
class LoadedModel:
    """A model ready to chat, with what llama.cpp actually allocated for it."""

    info: ModelInfo
    options: LoadSettings
    memory: MemoryReport
    load_seconds: float
    log_lines: tuple[str, ...]
    notes: tuple[str, ...] = ()  # one line each for what the engine changed, and why


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer."""

    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    """A piece of the model's thinking, kept apart from the answer."""

    text: str


@dataclass(frozen=True)
class ToolCall:
    """A call of one of the request's tools; `arguments` is JSON text (OpenAI's shape)."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ChatDone:
    """The last event of a reply: why it ended and how fast it ran."""

    finish_reason: FinishReason
    prompt_tokens: int
    completion_tokens: int
    ttft_ms: float
    prefill_tps: float
    decode_tps: float
    dropped_messages: int
    token_ids: tuple[int, ...] = ()
    error: str | None = None
    cached_tokens: int = 0  # prompt tokens reused from the slot's cache, not evaluated again


ChatEvent = TextDelta | ReasoningDelta | ToolCall | ChatDone


@dataclass(frozen=True)
class EmbeddingResult:
    """One unit-length (L2) vector per input, in the inputs' order, and the tokens read."""

    vectors: tuple[tuple[float, ...], ...]
    prompt_tokens: int

    @property
    def dimensions(self) -> int:
        return len(self.vectors[0]) if self.vectors else 0


def unpack_vector(data: str) -> tuple[float, ...]:
    """A vector as the worker sends it: base64 of little-endian float32 (exact, compact)."""
    values = array.array("f", base64.b64decode(data))
    if sys.byteorder == "big":
        values.byteswap()
    return tuple(values)
