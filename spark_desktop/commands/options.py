"""Options several commands share, so `generate`, `chat`, `compare` and `ask` spell and
default them alike."""

from __future__ import annotations

import argparse

from spark_desktop.inference_settings import LoadSettings, SamplingSettings


def add_reply_options(p: argparse.ArgumentParser) -> None:
    """--max-tokens, --temperature, --seed and --ctx: how a reply is sampled, in how much
    context."""
    p.add_argument("--max-tokens", type=int, default=None, metavar="N",
                   help="most tokens in a reply (default: until the model stops)")
    p.add_argument("--temperature", type=float, default=SamplingSettings.temperature,
                   metavar="T", help="0 for greedy, deterministic output "
                   f"(default {SamplingSettings.temperature})")
    p.add_argument("--seed", type=int, default=None, metavar="S", help="sampling seed")
    p.add_argument("--ctx", type=int, default=LoadSettings.n_ctx, metavar="N",
                   help=f"context length (default {LoadSettings.n_ctx})")


def add_gpu_layers(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gpu-layers", type=int, default=-1, metavar="N",
                   help="layers to offload to the GPU (default: all)")
