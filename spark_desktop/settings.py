"""Typed, versioned user settings stored as JSON in the data folder.

Unknown keys from a newer app are kept on save so a downgrade loses nothing; a
damaged file is set aside (never silently overwritten) and defaults are used.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from spark_desktop import paths

SETTINGS_VERSION = 1


@dataclass(frozen=True)
class LoadDefaults:
    n_ctx: int = 8192
    kv_type: str = "f16"
    gpu_layers: int = -1
    flash_attn: bool = True


@dataclass(frozen=True)
class SamplingDefaults:
    temperature: float = 0.7
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    max_tokens: int = 2048


@dataclass(frozen=True)
class Settings:
    version: int = SETTINGS_VERSION
    extra_model_dirs: tuple[str, ...] = ()
    target: str = "this"
    theme: str = "system"  # system | light | dark
    offline: bool = False
    load: LoadDefaults = field(default_factory=LoadDefaults)
    sampling: SamplingDefaults = field(default_factory=SamplingDefaults)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)


def _build(cls: type, raw: dict[str, Any]) -> Any:
    known = {f.name: f for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in known or name == "extra":
            continue
        if name == "load":
            value = _build(LoadDefaults, value if isinstance(value, dict) else {})
        elif name == "sampling":
            value = _build(SamplingDefaults, value if isinstance(value, dict) else {})
        elif name == "extra_model_dirs":
            value = tuple(str(v) for v in value) if isinstance(value, list) else ()
        kwargs[name] = value
    return cls(**kwargs)


def load(path: Path | None = None) -> Settings:
    """Read settings; a missing file gives defaults, a damaged one is moved aside."""
    path = path or paths.settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise TypeError("settings file is not a JSON object")
        settings = _build(Settings, raw)
    except FileNotFoundError:
        return Settings()
    except (ValueError, TypeError):
        path.replace(path.with_suffix(".damaged.json"))
        return Settings()
    extra = {k: v for k, v in raw.items() if k not in {f.name for f in fields(Settings)}}
    return dataclasses.replace(settings, version=SETTINGS_VERSION, extra=extra)


def save(settings: Settings, path: Path | None = None) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    path = path or paths.settings_path()
    data = dataclasses.asdict(settings)
    extra = data.pop("extra")
    data.update({k: v for k, v in extra.items() if k not in data})
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
    os.replace(tmp, path)
