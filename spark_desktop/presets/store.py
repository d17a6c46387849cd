"""The user's presets in one JSON file beside the built-ins; import and export.

The file and exports share one versioned layout, `{"format": "spark-desktop-preset",
"version": 1, "presets": [...]}`; an import also takes a single preset object, a bare
list of them, or an LM Studio preset. A file is checked whole before anything changes,
and written atomically (temporary file, then rename), so a bad import or a crash loses
nothing. A damaged presets file is never overwritten: every change is refused until it
is fixed or moved away.

Built-ins are read-only: saving under a built-in's name is refused (a user copy of the
same name would hide the built-in and make "Precise" mean two things); the GUI offers
"<name> (copy)" instead. A user preset of the same name replaces the older one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spark_desktop import paths
from spark_desktop.files import write_text_atomically
from spark_desktop.presets.builtin import BUILTIN
from spark_desktop.presets.lmstudio import from_lmstudio, is_lmstudio
from spark_desktop.presets.model import Preset, PresetError, parse_preset

FORMAT = "spark-desktop-preset"
VERSION = 1


@dataclass(frozen=True)
class Imported:
    """What an import added (or replaced), and notes about what it left out."""

    presets: tuple[Preset, ...]
    notes: tuple[str, ...]


def builtin(name: str) -> Preset | None:
    """The built-in preset of that name (case does not matter), if there is one."""
    key = name.strip().casefold()
    return next((p for p in BUILTIN if p.name.casefold() == key), None)


def read_file(path: Path) -> tuple[list[Preset], list[str]]:
    """The presets in a preset file (any layout import accepts), checked; PresetError
    names the file and what is wrong."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PresetError(f"There is no preset file at {path}.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise PresetError(f"The preset file {path} cannot be read: {exc}.") from exc
    except json.JSONDecodeError as exc:
        raise PresetError(f"The preset file {path} is not valid JSON ({exc.msg} at line "
                          f"{exc.lineno}).") from exc
    try:
        return parse_presets(data)
    except PresetError as exc:
        raise PresetError(f"The preset file {path} cannot be used: {exc}") from exc


def parse_presets(data: Any) -> tuple[list[Preset], list[str]]:
    """Presets from a file's JSON: the versioned layout, one preset, a list, LM Studio's."""
    if isinstance(data, dict) and "format" in data:
        if data["format"] != FORMAT:
            raise PresetError(f"its format is {data['format']!r}, not {FORMAT!r}.")
        version = data.get("version")
        if not isinstance(version, int) or version > VERSION:
            raise PresetError(f"it is version {version} of the preset format; this app "
                              f"reads version {VERSION}. Update the app to import it.")
        items = data.get("presets")
        if not isinstance(items, list):
            raise PresetError("its \"presets\" must be a list.")
    elif isinstance(data, dict) and is_lmstudio(data):
        preset, notes = from_lmstudio(data)
        return [preset], notes
    else:
        items = data if isinstance(data, list) else [data]
    presets, notes, seen = [], [], set()
    for i, item in enumerate(items, 1):
        preset, item_notes = parse_preset(item, f"preset number {i}")
        if preset.name.casefold() in seen:
            raise PresetError(f"the name {preset.name!r} is used twice.")
        seen.add(preset.name.casefold())
        presets.append(preset)
        notes.extend(item_notes)
    return presets, notes


def write_file(path: Path, presets: Iterable[Preset]) -> None:
    """Write presets in the versioned layout, atomically."""
    text = json.dumps({"format": FORMAT, "version": VERSION,
                       "presets": [p.to_dict() for p in presets]},
                      indent=2, ensure_ascii=False) + "\n"
    path = Path(path)
    try:
        write_text_atomically(path, text)
    except OSError as exc:
        raise PresetError(f"The presets could not be written to {path}: {exc}.") from exc


class PresetStore:
    """The built-in presets and the user's, kept in `path` (default: the data folder)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else paths.presets_path()

    def user(self) -> list[Preset]:
        """The user's presets, in the order saved; [] when there is no file yet."""
        if not self.path.exists():
            return []
        return read_file(self.path)[0]

    def all(self) -> list[Preset]:
        """Built-ins first, then the user's."""
        return [*BUILTIN, *self.user()]

    def get(self, name: str) -> Preset:
        """The preset of that name (case does not matter)."""
        key = name.strip().casefold()
        for preset in self.all():
            if preset.name.casefold() == key:
                return preset
        known = ", ".join(p.name for p in self.all())
        raise PresetError(f"There is no preset named {name!r}. Presets: {known}.")

    def save(self, preset: Preset) -> Preset:
        """Add a user preset, or replace the user's preset of the same name."""
        checked, _ = parse_preset(preset.to_dict())  # what a file would hold, checked
        if builtin(checked.name) is not None:
            raise PresetError(f"{checked.name!r} is a built-in preset and cannot be changed; "
                              "save it under another name.")
        users = [p for p in self.user() if p.name.casefold() != checked.name.casefold()]
        write_file(self.path, [*users, checked])
        return checked

    def delete(self, name: str) -> None:
        """Remove a user preset; built-ins cannot be removed."""
        if builtin(name) is not None:
            raise PresetError(f"{name!r} is a built-in preset and cannot be deleted.")
        users = self.user()
        kept = [p for p in users if p.name.casefold() != name.strip().casefold()]
        if len(kept) == len(users):
            raise PresetError(f"There is no preset of yours named {name!r}.")
        write_file(self.path, kept)

    def import_file(self, path: Path) -> Imported:
        """Add the presets of a file (replacing the user's of the same names). A preset
        named like a built-in is skipped when it is the same, else imported as
        "<name> (imported)". The whole file is checked before anything is written."""
        presets, notes = read_file(Path(path))
        users = self.user()
        added: list[Preset] = []
        for preset in presets:
            same = builtin(preset.name)
            if same is not None:
                if same == _plain(preset, same.name):
                    notes.append(f"preset {preset.name!r} is already built in; skipped")
                    continue
                preset = _plain(preset, self._free_name(f"{same.name} (imported)", users))
                notes.append(f"a built-in preset is named {same.name!r}; imported as "
                             f"{preset.name!r}")
            if any(p.name.casefold() == preset.name.casefold() for p in users):
                notes.append(f"your preset {preset.name!r} was replaced")
            users = [p for p in users if p.name.casefold() != preset.name.casefold()]
            users.append(preset)
            added.append(preset)
        if added:
            write_file(self.path, users)
        return Imported(tuple(added), tuple(notes))

    def export(self, names: Iterable[str], path: Path) -> list[Preset]:
        """Write the named presets (built-in or the user's) to a file others can import."""
        presets = [self.get(name) for name in names]
        if not presets:
            raise PresetError("Choose at least one preset to export.")
        write_file(Path(path), presets)
        return presets

    @staticmethod
    def _free_name(name: str, users: list[Preset]) -> str:
        taken = {p.name.casefold() for p in users}
        candidate, n = name, 2
        while candidate.casefold() in taken:
            candidate, n = f"{name} {n}", n + 1
        return candidate


def _plain(preset: Preset, name: str) -> Preset:
    """The preset as a user preset named `name` (for comparing and renaming)."""
    return Preset(name, preset.description, preset.system_prompt, preset.sampling,
                  preset.load, preset.tools, preset.documents, preset.collection)
