"""Typed, versioned user settings stored as JSON in the data folder.

Unknown keys from a newer app are kept on save so a downgrade loses nothing; a file
of an older version is read in today's names; a damaged file is set aside (never
silently overwritten) and defaults are used.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from spark_desktop import paths
from spark_desktop.inference_settings import LoadSettings, SamplingSettings, SettingsError

#: 2: "load" holds inference_settings.LoadSettings (version 1 had n_ctx, kv_type,
#: gpu_layers and a flag for flash attention).
SETTINGS_VERSION = 2
#: Key in Settings.extra: the embedding model for documents (a library model id; "" or
#: absent = the chat model); a collection that names no model of its own follows it.
DOCUMENTS_EMBED_MODEL = "documents_embed_model"


@dataclass(frozen=True)
class Settings:
    version: int = SETTINGS_VERSION
    extra_model_dirs: tuple[str, ...] = ()
    target: str = "this"
    theme: str = "system"  # system | light | dark
    language: str = "system"  # system | en | zh_CN (the window's language)
    offline: bool = False
    load: LoadSettings = field(default_factory=LoadSettings)
    sampling: SamplingSettings = field(default_factory=SamplingSettings)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def documents_embed_model(self) -> str:
        """The embedding model chosen for documents ("": the chat model)."""
        return str(self.extra.get(DOCUMENTS_EMBED_MODEL) or "")


def _load_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """A version-1 "load" section in today's names (one KV type for K and V)."""
    out = dict(raw)
    if "kv_type" in out:
        kv = out.pop("kv_type")
        out.setdefault("type_k", kv)
        out.setdefault("type_v", kv)
    if "gpu_layers" in out:
        out.setdefault("n_gpu_layers", out.pop("gpu_layers"))
    if isinstance(out.get("flash_attn"), bool):
        out["flash_attn"] = "on" if out["flash_attn"] else "off"
    return out


def _build(raw: dict[str, Any]) -> Settings:
    known = {f.name for f in fields(Settings)}
    kwargs: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in known or name in ("extra", "version"):
            continue
        if name == "load":
            value = LoadSettings.from_dict(_load_v1(value) if isinstance(value, dict) else {})
        elif name == "sampling":
            value = SamplingSettings.from_dict(value if isinstance(value, dict) else {})
        elif name == "extra_model_dirs":
            value = tuple(str(v) for v in value) if isinstance(value, list) else ()
        kwargs[name] = value
    return Settings(**kwargs)


def load(path: Path | None = None) -> Settings:
    """Read settings; a missing file gives defaults, a damaged one is moved aside."""
    path = path or paths.settings_path()
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise TypeError("settings file is not a JSON object")
        settings = _build(raw)
    except FileNotFoundError:
        return Settings()
    except (ValueError, TypeError, SettingsError):
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
