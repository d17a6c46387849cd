"""Settings for loading a model and for sampling one reply.

Names follow llama.cpp (n_ctx, n_batch, n_ubatch, n_gpu_layers, type_k, type_v,
flash_attn, use_mmap) so that the fit estimator can echo the same settings and a
person reading llama.cpp's log recognises them.
"""

from __future__ import annotations

import functools
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from spark_desktop.engine.errors import InvalidOptionsError

KvType = Literal["f16", "q8_0", "q4_0"]
FlashAttn = Literal["auto", "on", "off"]
KV_TYPES: tuple[str, ...] = ("f16", "q8_0", "q4_0")
FLASH_ATTN: tuple[str, ...] = ("auto", "on", "off")
MAX_SEQ = 256  # llama.cpp's LLAMA_MAX_SEQ


@functools.lru_cache(maxsize=1)
def is_unified_memory_machine() -> bool:
    """True where the GPU shares the CPU's memory (DGX Spark / GB10), per the hardware probe."""
    from spark_desktop.hardware.probe import detect_gpus

    return any(gpu.unified_memory for gpu in detect_gpus())


def default_use_mmap() -> bool:
    """mmap off on unified memory (llama.cpp copies weights into CUDA buffers, so the
    page cache would hold a second copy of the model); on elsewhere (fast, shared)."""
    return not is_unified_memory_machine()


def default_threads() -> int:
    """Physical cores where known: decode is memory-bound and hyper-threads only add contention."""
    import psutil

    cores = psutil.cpu_count(logical=False)  # None where the kernel does not say
    return max(1, cores or os.cpu_count() or 1)


@dataclass(frozen=True)
class LoadOptions:
    """How llama.cpp loads a model; None means "let the engine choose" (see resolved())."""

    n_ctx: int = 4096
    n_gpu_layers: int = -1
    flash_attn: FlashAttn = "auto"
    type_k: KvType = "f16"
    type_v: KvType = "f16"
    n_batch: int = 2048
    n_ubatch: int = 512
    n_seq: int = 1  # parallel sequences (slots); n_ctx is shared out among them
    threads: int | None = None
    use_mmap: bool | None = None
    seed: int | None = None
    lora_paths: tuple[str, ...] = ()
    chat_template: str | None = None

    def resolved(self) -> LoadOptions:
        """Fill machine-dependent defaults and check the combination, so the worker
        receives only concrete values and mistakes are reported before a process starts."""
        if self.n_ctx < 16:
            raise InvalidOptionsError(f"Context length {self.n_ctx} is too small; use at least 16 tokens.")
        if self.n_batch < 1 or self.n_ubatch < 1:
            raise InvalidOptionsError("n_batch and n_ubatch must be at least 1.")
        if not 1 <= self.n_seq <= MAX_SEQ:
            raise InvalidOptionsError(
                f"Parallel sequences must be between 1 and {MAX_SEQ}, not {self.n_seq}.")
        if self.n_seq > min(self.n_batch, self.n_ctx):
            raise InvalidOptionsError(
                f"{self.n_seq} parallel sequences need a batch and a context of at least "
                f"{self.n_seq} tokens.")
        for name, value in (("type_k", self.type_k), ("type_v", self.type_v)):
            if value not in KV_TYPES:
                raise InvalidOptionsError(
                    f"KV cache type {value!r} for {name} is not one of {', '.join(KV_TYPES)}.")
        if self.flash_attn not in FLASH_ATTN:
            raise InvalidOptionsError(
                f"flash_attn must be one of {', '.join(FLASH_ATTN)}, not {self.flash_attn!r}.")
        if self.type_v != "f16" and self.flash_attn == "off":
            raise InvalidOptionsError(
                f"A quantized V cache ({self.type_v}) needs flash attention: "
                "turn flash attention on (or auto), or use an f16 V cache.")
        for lora in self.lora_paths:
            if not Path(lora).is_file():
                raise InvalidOptionsError(f"LoRA adapter {lora} does not exist.")
        return LoadOptions(
            n_ctx=self.n_ctx,
            n_gpu_layers=self.n_gpu_layers,
            flash_attn=self.flash_attn,
            type_k=self.type_k,
            type_v=self.type_v,
            n_batch=min(self.n_batch, self.n_ctx),
            n_ubatch=min(self.n_ubatch, self.n_batch, self.n_ctx),
            n_seq=self.n_seq,
            threads=self.threads or default_threads(),
            use_mmap=default_use_mmap() if self.use_mmap is None else self.use_mmap,
            seed=self.seed,
            lora_paths=tuple(str(Path(p).resolve()) for p in self.lora_paths),
            chat_template=self.chat_template,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["lora_paths"] = list(self.lora_paths)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadOptions:
        data = dict(data)
        data["lora_paths"] = tuple(data.get("lora_paths", ()))
        return cls(**data)


@dataclass(frozen=True)
class SamplingOptions:
    """How one reply is sampled. temperature <= 0 means greedy (deterministic)."""

    temperature: float = 0.8
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    repeat_last_n: int = 64
    max_tokens: int | None = None
    seed: int | None = None
    stop: tuple[str, ...] = field(default_factory=tuple)
    ignore_eos: bool = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SamplingOptions:
        data = dict(data)
        data["stop"] = tuple(data.get("stop", ()))
        return cls(**data)
