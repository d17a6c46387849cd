"""Presets: saved chat settings chosen per chat (system prompt, sampling with an optional
JSON schema, load settings, tools and documents); built-ins and the user's own."""

from spark_desktop.presets.builtin import BUILTIN
from spark_desktop.presets.model import (
    NoPreset,
    Preset,
    PresetError,
    parse_preset,
    schema_text,
)
from spark_desktop.presets.store import FORMAT, VERSION, Imported, PresetStore, read_file

__all__ = ["BUILTIN", "FORMAT", "VERSION", "Imported", "NoPreset", "Preset", "PresetError",
           "PresetStore", "parse_preset", "read_file", "schema_text"]
