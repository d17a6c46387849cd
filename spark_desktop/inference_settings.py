"""How llama.cpp loads a model and samples a reply: one value each, one set of defaults.

The user's settings store them, the fit estimate assumes them, the engine loads and
samples with them and the GUI edits them, so what an estimate promised is what llama.cpp
is asked for. Names follow llama.cpp, so a person reading its log recognises them.
"""

from __future__ import annotations

import functools
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from spark_desktop.errors import SparkError

KvType = Literal["f16", "q8_0", "q4_0"]
FlashAttn = Literal["auto", "on", "off"]
#: KV cache types the app offers (fit.memory knows their block sizes).
KV_TYPES: tuple[str, ...] = ("f16", "q8_0", "q4_0")
FLASH_ATTN: tuple[str, ...] = ("auto", "on", "off")


class SettingsError(SparkError):
    """A load or sampling setting has a value llama.cpp would refuse."""


@dataclass(frozen=True)
class LoadSettings:
    """llama.cpp's context and model settings; None means "the engine chooses" (resolved()).

    The defaults are llama.cpp's own where it has one (a 4096-token context, as
    llama-server uses: it fits every model on the smallest machine we plan for, and a
    longer one is a choice the load dialog shows against the memory bar; n_batch 2048,
    n_ubatch 512; flash attention "auto", which the CPU and CUDA backends resolve to on;
    swa_full on, llama.cpp's full-size sliding-window cache, which lets the engine trim
    the cache to any position; every layer on the GPU). use_mmap None is off on unified
    memory (GB10 copies the weights into device buffers and mmap would keep a second copy
    in the page cache) and on elsewhere; threads None is the physical cores.
    """

    n_ctx: int = 4096
    n_gpu_layers: int = -1       # -1: all layers (and the output layer)
    flash_attn: FlashAttn = "auto"
    type_k: KvType = "f16"
    type_v: KvType = "f16"
    n_batch: int = 2048
    n_ubatch: int = 512
    n_seq: int = 1               # parallel sequences, each its own KV stream
    swa_full: bool = True
    threads: int | None = None
    use_mmap: bool | None = None
    seed: int | None = None
    lora_paths: tuple[str, ...] = ()
    chat_template: str | None = None
    #: llama.cpp's repacked CPU weight buffers (AMX, AVX-512, AVX2 kernels); the engine
    #: turns them off on machines where they die of SIGILL (see engine.safe_mode).
    use_extra_bufts: bool = True
    #: llama.cpp RPC servers ("host:port") whose devices join this load, in order; the
    #: layers are split over them and this machine's GPUs by free memory (engine.peers).
    rpc_peers: tuple[str, ...] = ()
    #: Shares of the offloaded layers per device, in llama.cpp's order (this machine's
    #: GPUs, then each peer's devices); () splits by free memory, as llama.cpp does.
    tensor_split: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        for name, value in (("type_k", self.type_k), ("type_v", self.type_v)):
            if value not in KV_TYPES:
                raise SettingsError(f"KV cache type {value!r} for {name} is not one of "
                                    f"{', '.join(KV_TYPES)}.")
        if self.flash_attn not in FLASH_ATTN:
            raise SettingsError(f"Flash attention must be one of {', '.join(FLASH_ATTN)}, "
                                f"not {self.flash_attn!r}.")
        if self.n_ctx < 16:
            raise SettingsError(f"Context length {self.n_ctx} is too small; use at least "
                                "16 tokens.")
        if self.n_batch < 1 or self.n_ubatch < 1 or self.n_seq < 1:
            raise SettingsError("Batch sizes and parallel sequences must be at least 1.")
        if self.tensor_split and (min(self.tensor_split) < 0 or sum(self.tensor_split) <= 0):
            raise SettingsError("A tensor split gives each device a share of 0 or more, and "
                                "at least one device more than 0, e.g. 1,3.")
        if self.n_gpu_layers < -1:
            raise SettingsError("GPU layers must be -1 (all) or a number of layers.")

    @property
    def uses_flash_attn(self) -> bool:
        """Whether llama.cpp runs flash attention ("auto" is on with CPU and CUDA)."""
        return self.flash_attn != "off"

    def effective(self) -> tuple[LoadSettings, tuple[str, ...]]:
        """The settings llama.cpp really runs with, and a note for each change.

        A quantized V cache needs flash attention (llama.cpp refuses the context
        otherwise). Flash attention is turned on, with a note, rather than the load
        refused: the person chose the smaller cache for its memory, the load dialog shows
        the note beside the estimate made with flash attention on, and the load then does
        exactly what the dialog showed. The estimate and the engine both come here.
        The physical batch never exceeds the logical one, nor the logical one the context.
        """
        notes = []
        out = self
        if self.type_v != "f16" and self.flash_attn == "off":
            out = replace(out, flash_attn="on")
            notes.append(f"flash attention turned on: a {self.type_v} V cache requires it")
        n_batch = min(out.n_batch, out.n_ctx)
        n_ubatch = min(out.n_ubatch, n_batch)
        if (n_batch, n_ubatch) != (out.n_batch, out.n_ubatch):
            out = replace(out, n_batch=n_batch, n_ubatch=n_ubatch)
        return out, tuple(notes)

    def resolved(self) -> LoadSettings:
        """The effective settings with this machine's choices filled in, so a worker
        receives only concrete values and mistakes show before a process starts."""
        for lora in self.lora_paths:
            if not Path(lora).is_file():
                raise SettingsError(f"LoRA adapter {lora} does not exist.")
        out, _notes = self.effective()
        return replace(out, threads=out.threads or default_threads(),
                       use_mmap=default_use_mmap() if out.use_mmap is None else out.use_mmap,
                       lora_paths=tuple(str(Path(p).resolve()) for p in out.lora_paths))

    def echo(self) -> dict[str, object]:
        """The effective llama.cpp context and model settings, named as llama.cpp names
        them (what `fit --json` says an estimate assumed)."""
        eff, _ = self.effective()
        return {"n_ctx": eff.n_ctx, "n_batch": eff.n_batch, "n_ubatch": eff.n_ubatch,
                "n_seq": eff.n_seq, "flash_attn": eff.flash_attn, "type_k": eff.type_k,
                "type_v": eff.type_v, "swa_full": eff.swa_full,
                "n_gpu_layers": eff.n_gpu_layers, "use_mmap": eff.use_mmap}

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["lora_paths"] = list(self.lora_paths)
        data["rpc_peers"] = list(self.rpc_peers)
        data["tensor_split"] = list(self.tensor_split)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LoadSettings:
        """Read back to_dict()'s output; keys this version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["lora_paths"] = tuple(values.get("lora_paths", ()))
        values["rpc_peers"] = tuple(values.get("rpc_peers", ()))
        values["tensor_split"] = tuple(float(x) for x in values.get("tensor_split", ()))
        return cls(**values)


@dataclass(frozen=True)
class SamplingSettings:
    """How one reply is sampled; temperature <= 0 is greedy (deterministic).

    The defaults are llama.cpp's (llama-cli and llama-server), so a model answers here
    as it does in llama.cpp's own tools: temperature 0.8, top-k 40, top-p 0.95, min-p
    0.05, and no repeat penalty (1.0; llama.cpp turned it off by default because it
    garbles code and lists that must repeat tokens). max_tokens None: until the model
    stops or the context is full, as llama-server does; the Stop button is always there.
    """

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
    json_schema: str | None = None  # JSON Schema text the reply must follow (a grammar)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stop"] = list(self.stop)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SamplingSettings:
        """Read back to_dict()'s output (or a conversation's stored settings); keys this
        version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["stop"] = tuple(values.get("stop", ()))
        return cls(**values)


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
