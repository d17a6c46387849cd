"""The llama.cpp load settings an estimate assumes, with the engine's defaults.

The engine loads with exactly these values (it builds its llama-cpp-python call
from a LoadSettings), so the estimate and the real load agree. Where llama.cpp
itself adjusts a setting, `effective()` applies the same rule and says why.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from spark_desktop.errors import SparkError
from spark_desktop.settings import LoadDefaults

#: KV cache types the app offers, with (block size, bytes per block) as ggml stores them.
KV_TYPES: dict[str, tuple[int, int]] = {"f16": (1, 2), "q8_0": (32, 34), "q4_0": (32, 18)}
#: llama.cpp pads the context to a multiple of this (llama-context.cpp).
CTX_PAD = 256


def ctx_seq(n_ctx: int, n_seq: int) -> int:
    """KV cells per sequence: the context padded to 256, split over the sequences (each
    its own stream, kv_unified off) and padded again (llama_context's constructor)."""
    padded = -(-n_ctx // CTX_PAD) * CTX_PAD
    if n_seq > 1:
        padded = -(-(padded // n_seq) // CTX_PAD) * CTX_PAD
    return padded


class SettingsError(SparkError):
    """A load setting has a value llama.cpp would refuse."""


@dataclass(frozen=True)
class LoadSettings:
    """llama.cpp context and model settings (names as the engine passes them).

    Defaults are the engine's (engine.options.LoadOptions and worker.py): n_batch
    2048 and n_ubatch 512; flash attention on (the engine's "auto" resolves to on
    with the CPU and CUDA backends); swa_full on, because the engine keeps
    llama.cpp's default full-size sliding-window cache (it lets the engine trim the
    cache to any position); every layer on the GPU (gpu_layers -1); use_mmap None
    means the engine's choice for the target: off on unified memory (GB10 copies the
    weights into device buffers and mmap would keep a second copy in the page
    cache), on elsewhere.
    """

    n_ctx: int = 4096
    kv_type: str = "f16"       # type_k and type_v
    gpu_layers: int = -1       # -1: all layers (and the output layer)
    n_batch: int = 2048
    n_ubatch: int = 512
    n_seq: int = 1
    flash_attn: bool = True
    swa_full: bool = True
    use_mmap: bool | None = None

    def __post_init__(self) -> None:
        if self.kv_type not in KV_TYPES:
            raise SettingsError(f"KV cache type {self.kv_type!r} is not one of "
                                f"{', '.join(KV_TYPES)}.")
        if self.n_ctx < 1 or self.n_batch < 1 or self.n_ubatch < 1 or self.n_seq < 1:
            raise SettingsError("Context, batch sizes and parallel sequences must be at least 1.")
        if self.gpu_layers < -1:
            raise SettingsError("GPU layers must be -1 (all) or a number of layers.")

    def effective(self) -> tuple[LoadSettings, tuple[str, ...]]:
        """The settings llama.cpp really runs with, and a note for each change it makes.

        A quantized V cache needs flash attention: llama.cpp refuses the context
        otherwise, so the engine turns flash attention on, and so does the estimate.
        The physical batch never exceeds the logical one, nor the logical one the context.
        """
        notes = []
        out = self
        if self.kv_type != "f16" and not self.flash_attn:
            out = replace(out, flash_attn=True)
            notes.append(f"flash attention turned on: a {self.kv_type} V cache requires it")
        n_batch = min(out.n_batch, out.n_ctx)
        n_ubatch = min(out.n_ubatch, n_batch)
        if (n_batch, n_ubatch) != (out.n_batch, out.n_ubatch):
            out = replace(out, n_batch=n_batch, n_ubatch=n_ubatch)
        return out, tuple(notes)

    @property
    def n_ctx_seq(self) -> int:
        """KV cells per sequence llama.cpp allocates (see ctx_seq)."""
        return ctx_seq(self.n_ctx, self.n_seq)

    def echo(self) -> dict[str, object]:
        """Every llama.cpp setting the estimate assumed, named as llama.cpp names them."""
        eff, _ = self.effective()
        return {"n_ctx": eff.n_ctx, "n_batch": eff.n_batch, "n_ubatch": eff.n_ubatch,
                "n_seq": eff.n_seq, "flash_attn": eff.flash_attn, "type_k": eff.kv_type,
                "type_v": eff.kv_type, "swa_full": eff.swa_full, "gpu_layers": eff.gpu_layers,
                "use_mmap": eff.use_mmap}


def from_user_defaults(defaults: LoadDefaults, n_ctx: int | None = None) -> LoadSettings:
    """The estimator's settings for the user's load choices (Settings, the load dialog)."""
    return LoadSettings(n_ctx=n_ctx or defaults.n_ctx, kv_type=defaults.kv_type,
                        gpu_layers=defaults.gpu_layers, flash_attn=defaults.flash_attn)
