"""A preset: saved chat settings (system prompt, sampling, load, tools, documents), as a
value, and the checks that turn a JSON object from a file into one.

Every field but the name is optional: a preset's sampling names only what it changes, the
rest stays at the defaults. Values are checked field by field, so a bad file names the
field that is wrong and the type it should be; keys this version does not know are kept
out with a note rather than refused (a newer app's file still imports).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from spark_desktop.errors import SparkError
from spark_desktop.inference_settings import LoadSettings, SamplingSettings, SettingsError

TOOL_CHOICES = ("auto", "required")
#: SamplingSettings fields: the JSON types each accepts (bool is not a number here).
_NUMBER, _INT = (int, float), (int,)
_SAMPLING_TYPES: dict[str, tuple[tuple[type, ...], bool, str]] = {
    # name: (types, None allowed, what to say)
    "temperature": (_NUMBER, False, "a number from 0 to 2"),
    "top_p": (_NUMBER, False, "a number from 0 to 1"),
    "top_k": (_INT, False, "a whole number, 0 or more"),
    "min_p": (_NUMBER, False, "a number from 0 to 1"),
    "repeat_penalty": (_NUMBER, False, "a number from 0.5 to 2"),
    "repeat_last_n": (_INT, False, "a whole number, -1 or more"),
    "max_tokens": (_INT, True, "a whole number, 1 or more, or null"),
    "seed": (_INT, True, "a whole number or null"),
    "stop": ((list,), False, "a list of texts"),
    "ignore_eos": ((bool,), False, "true or false"),
    "json_schema": ((str, dict), True, "a JSON Schema object (or its JSON text), or null"),
}
_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0, 2), "top_p": (0, 1), "top_k": (0, 1 << 20), "min_p": (0, 1),
    "repeat_penalty": (0.5, 2), "repeat_last_n": (-1, 1 << 20), "max_tokens": (1, 1 << 24)}
_TOP_KEYS = ("name", "description", "system_prompt", "sampling", "load", "tools",
             "documents", "collection")


class PresetError(SparkError):
    """A preset (or a preset file) cannot be read, saved, imported or deleted."""


@dataclass(frozen=True)
class Preset:
    """Saved chat settings, chosen per chat. `sampling` holds SamplingSettings fields
    (json_schema as JSON text), `load` LoadSettings fields (None: the load is not
    touched); tools/documents/collection are written into a chat's extra as they are."""

    name: str
    description: str = ""
    system_prompt: str | None = None
    sampling: Mapping[str, Any] = field(default_factory=dict, hash=False)
    load: Mapping[str, Any] | None = field(default=None, hash=False)
    tools: Mapping[str, Any] | None = field(default=None, hash=False)
    documents: tuple[str, ...] | None = None
    collection: str | None = None
    builtin: bool = field(default=False, compare=False)

    def sampling_settings(self, defaults: SamplingSettings | None = None) -> SamplingSettings:
        """The preset's sampling over `defaults` (the user's, else llama.cpp's)."""
        base = (defaults or SamplingSettings()).to_dict()
        return SamplingSettings.from_dict({**base, **self.sampling})

    def load_settings(self, base: LoadSettings | None = None) -> LoadSettings | None:
        """The preset's load settings over `base`; None when it has none."""
        if self.load is None:
            return None
        return LoadSettings.from_dict({**(base or LoadSettings()).to_dict(), **self.load})

    def chat_extra(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        """A conversation's extra with this preset chosen: its name, and its tools,
        documents and collection where it has them (others' values stay)."""
        out = dict(extra)
        out["preset"] = self.name
        if self.tools is not None:
            out["tools"] = dict(self.tools)
        if self.documents is not None:
            out["documents"] = list(self.documents)
        if self.collection is not None:
            out["collection"] = self.collection
        return out

    def to_dict(self) -> dict[str, Any]:
        """The file form: omitted fields left out, a JSON schema as an object."""
        out: dict[str, Any] = {"name": self.name}
        if self.description:
            out["description"] = self.description
        if self.system_prompt is not None:
            out["system_prompt"] = self.system_prompt
        sampling = dict(self.sampling)
        if isinstance(sampling.get("json_schema"), str):
            sampling["json_schema"] = json.loads(sampling["json_schema"])
        if sampling:
            out["sampling"] = sampling
        for key in ("load", "tools"):
            value = getattr(self, key)
            if value is not None:
                out[key] = dict(value)
        if self.documents is not None:
            out["documents"] = list(self.documents)
        if self.collection is not None:
            out["collection"] = self.collection
        return out


@dataclass(frozen=True)
class NoPreset:
    """"No preset" chosen for a chat: it forgets its preset's name; its settings stay."""

    name: str = ""

    def chat_extra(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in extra.items() if k != "preset"}


def schema_text(value: Any, where: str = "json_schema") -> str:
    """A JSON Schema given as an object or as JSON text, checked and as compact text."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise PresetError(f"{where} is not valid JSON ({exc.msg} at line {exc.lineno}, "
                              f"column {exc.colno}).") from exc
    if not isinstance(value, dict):
        raise PresetError(f"{where} must be a JSON object (a JSON Schema such as "
                          '{"type": "object"}), not ' + f"{_json_type(value)}.")
    return json.dumps(value, ensure_ascii=False)


def parse_preset(data: Any, where: str = "preset") -> tuple[Preset, list[str]]:
    """A preset from its file form, and notes about what was left out; PresetError names
    the first field that is wrong."""
    if not isinstance(data, dict):
        raise PresetError(f"The {where} must be a JSON object, not {_json_type(data)}.")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise PresetError(f"The {where} has no name: give it a \"name\" text.")
    name = name.strip()
    where = f"preset {name!r}"
    notes = [f"{where}: unknown key {key!r} ignored" for key in data if key not in _TOP_KEYS]
    description = _optional(data, "description", str, where, "a text") or ""
    system_prompt = _optional(data, "system_prompt", str, where, "a text")
    sampling, sampling_notes = _sampling(data.get("sampling", {}), where)
    load = _load(data.get("load"), where, notes)
    tools = _tools(data.get("tools"), where)
    documents = _optional(data, "documents", list, where, "a list of file paths")
    if documents is not None and not all(isinstance(d, str) for d in documents):
        raise PresetError(f"In {where}, documents must be a list of file paths (texts).")
    collection = _optional(data, "collection", str, where, "a collection's name")
    preset = Preset(name, description, system_prompt, sampling, load, tools,
                    tuple(documents) if documents is not None else None, collection)
    return preset, notes + sampling_notes


def _optional(data: Mapping[str, Any], key: str, kind: type, where: str, what: str) -> Any:
    value = data.get(key)
    if value is not None and not isinstance(value, kind):
        raise PresetError(f"In {where}, {key} must be {what}, not {_json_type(value)}.")
    return value


def _sampling(raw: Any, where: str) -> tuple[dict[str, Any], list[str]]:
    if not isinstance(raw, dict):
        raise PresetError(f"In {where}, sampling must be a JSON object, not {_json_type(raw)}.")
    out: dict[str, Any] = {}
    notes = []
    for key, value in raw.items():
        if key not in _SAMPLING_TYPES:
            notes.append(f"{where}: unknown sampling setting {key!r} ignored")
            continue
        kinds, nullable, what = _SAMPLING_TYPES[key]
        wrong = isinstance(value, bool) and bool not in kinds
        if (value is None and not nullable) or (value is not None and
                                                (wrong or not isinstance(value, kinds))):
            raise PresetError(f"In {where}, sampling.{key} must be {what}, "
                              f"not {_json_type(value)}.")
        lo_hi = _RANGES.get(key)
        if lo_hi is not None and value is not None and not lo_hi[0] <= value <= lo_hi[1]:
            raise PresetError(f"In {where}, sampling.{key} is {value}; it must be {what}.")
        if key == "stop":
            if not all(isinstance(s, str) for s in value):
                raise PresetError(f"In {where}, sampling.stop must be a list of texts.")
            value = list(value)
        if key == "json_schema" and value is not None:
            value = schema_text(value, f"In {where}, sampling.json_schema")
        out[key] = value
    return out, notes


def _load(raw: Any, where: str, notes: list[str]) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise PresetError(f"In {where}, load must be a JSON object, not {_json_type(raw)}.")
    known = set(LoadSettings().to_dict())
    notes.extend(f"{where}: unknown load setting {key!r} ignored" for key in raw
                 if key not in known)
    values = {k: v for k, v in raw.items() if k in known}
    try:
        LoadSettings.from_dict(values)
    except SettingsError as exc:
        raise PresetError(f"In {where}, the load settings are wrong: {exc}") from exc
    except (TypeError, ValueError) as exc:
        raise PresetError(f"In {where}, a load setting has the wrong type ({exc}).") from exc
    return values


def _tools(raw: Any, where: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("enabled", False), bool) or \
            raw.get("choice", "auto") not in TOOL_CHOICES:
        raise PresetError(f"In {where}, tools must be an object like "
                          '{"enabled": true, "choice": "auto"} (choice auto or required).')
    return {"enabled": raw.get("enabled", False), "choice": raw.get("choice", "auto")}


def _json_type(value: Any) -> str:
    """The JSON name of a value's type, as a person reading the file sees it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return "a text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
