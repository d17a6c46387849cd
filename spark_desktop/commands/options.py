"""Options several commands share, so `generate`, `chat`, `compare` and `ask` spell and
default them alike."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from spark_desktop.inference_settings import LoadSettings, SamplingSettings


class _Given(argparse.Action):
    """Stores the value and remembers that it was typed, so that an option given on the
    command line wins over a preset while its default does not."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        setattr(namespace, self.dest, values)
        namespace.given_options = {*getattr(namespace, "given_options", ()), self.dest}


def add_reply_options(p: argparse.ArgumentParser) -> None:
    """--max-tokens, --temperature, --seed and --ctx: how a reply is sampled, in how much
    context."""
    p.add_argument("--max-tokens", type=int, default=None, metavar="N", action=_Given,
                   help="most tokens in a reply (default: until the model stops)")
    p.add_argument("--temperature", type=float, default=SamplingSettings.temperature,
                   metavar="T", action=_Given, help="0 for greedy, deterministic output "
                   f"(default {SamplingSettings.temperature})")
    p.add_argument("--seed", type=int, default=None, metavar="S", action=_Given,
                   help="sampling seed")
    p.add_argument("--ctx", type=int, default=LoadSettings.n_ctx, metavar="N", action=_Given,
                   help=f"context length (default {LoadSettings.n_ctx})")


def add_gpu_layers(p: argparse.ArgumentParser) -> None:
    p.add_argument("--gpu-layers", type=int, default=-1, metavar="N", action=_Given,
                   help="layers to offload to the GPU (default: all)")


def add_preset_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", metavar="NAME",
                   help="start from a saved preset: its system prompt, sampling (a JSON "
                        "schema included) and load settings; options typed here win "
                        "(spark-desktop preset list)")


def apply_preset(args: argparse.Namespace, load: LoadSettings,
                 sampling: SamplingSettings) -> tuple[LoadSettings, SamplingSettings]:
    """The settings with `--preset`'s applied under the options typed on the command line;
    a preset's system prompt becomes `args.system` unless --system was given."""
    from spark_desktop.presets import PresetStore

    if not getattr(args, "preset", None):
        return load, sampling
    preset = PresetStore().get(args.preset)
    given = getattr(args, "given_options", set())
    typed_sampling = {k: getattr(args, k) for k in ("temperature", "max_tokens", "seed")
                      if k in given}
    sampling = dataclasses.replace(preset.sampling_settings(), **typed_sampling)
    typed_load = {field: getattr(args, dest) for dest, field in
                  (("ctx", "n_ctx"), ("gpu_layers", "n_gpu_layers"), ("seed", "seed"))
                  if dest in given}
    load = dataclasses.replace(preset.load_settings(load) or load, **typed_load)
    if getattr(args, "system", None) is None and preset.system_prompt:
        args.system = preset.system_prompt
    return load, sampling
