"""Header facts per file, cached by path + size + mtime so a rescan does not reread headers."""

from __future__ import annotations

import json
import os
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from spark_desktop import paths
from spark_desktop.errors import SparkError

CACHE_VERSION = 1
_lock = threading.Lock()


@dataclass(frozen=True)
class HeaderFacts:
    architecture: str | None
    parameters: int | None
    context_length: int | None
    has_chat_template: bool
    license: str | None
    quantization: str | None
    problem: str | None = None


def _cache_file() -> Path:
    return paths.library_cache_path()


def _load() -> dict[str, dict]:
    try:
        raw = json.loads(_cache_file().read_text())
        return raw["files"] if raw.get("version") == CACHE_VERSION else {}
    except (OSError, ValueError, KeyError, AttributeError):
        return {}


def _save(entries: dict[str, dict]) -> None:
    tmp = _cache_file().with_name(f"library-headers.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"version": CACHE_VERSION, "files": entries}))
    os.replace(tmp, _cache_file())


def read_many(first_parts: list[Path]) -> dict[Path, HeaderFacts]:
    """Facts for each model (by its first part), reading only headers not seen before."""
    from spark_desktop.gguf import read_model

    with _lock:
        cached = _load()
        fresh: dict[str, dict] = {}
        result: dict[Path, HeaderFacts] = {}
        for path in first_parts:
            st = path.stat()
            key = str(path.resolve())
            stamp = [st.st_size, st.st_mtime_ns]
            entry = cached.get(key)
            if entry is None or entry.get("stamp") != stamp:
                try:
                    spec = read_model(path)
                    facts = HeaderFacts(spec.architecture, spec.parameters, spec.context_length,
                                        bool(spec.chat_template), spec.license, spec.quantization)
                except (SparkError, OSError) as exc:
                    facts = HeaderFacts(None, None, None, False, None, None, problem=str(exc))
                entry = {"stamp": stamp, "facts": asdict(facts)}
            fresh[key] = entry
            result[path] = HeaderFacts(**entry["facts"])
        if fresh != cached:
            _save(fresh)
        return result
