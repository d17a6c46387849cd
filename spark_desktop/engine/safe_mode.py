"""CPU paths of llama.cpp that this machine cannot run, remembered per backend build.

Some machines report instructions that the OS or hypervisor has not enabled (AMX
tiles inside some sandboxes): llama.cpp's CPU backend then picks repacked-weight
kernels for them and the worker dies of SIGILL at its first decode. The client
turns those extra buffer types off (llama.cpp's `use_extra_bufts = false`), retries
once, and keeps the choice here so later starts go straight to the safe path.
Qt-free; the file is small JSON in the data folder, keyed by the backend build.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from spark_desktop import paths

#: Test switch read by the worker's warm-up: "extra-bufts" dies of SIGILL while the extra
#: buffer types are on (as a sandbox that hides AMX tile state does), "always" regardless.
TEST_SIGILL_ENV = "SPARK_DESKTOP_TEST_SIGILL"
#: CPU flags whose kernels live in llama.cpp's extra (repacked) buffer types.
EXTRA_BUFT_FLAGS = ("amx_tile", "amx_int8", "amx_bf16", "avx512f", "avx512_vnni", "avx_vnni")


@dataclass(frozen=True)
class SafeChoice:
    """What was turned off for a build, and the sentence that says why."""

    use_extra_bufts: bool
    reason: str


def build_key(worker_info: dict[str, object]) -> str:
    """A short id of the llama.cpp build a worker runs (version and compiled features)."""
    text = f"{worker_info.get('llama_cpp_python')}\n{worker_info.get('system_info')}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The flags the CPU reports (/proc/cpuinfo's first "flags" line; empty elsewhere)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return frozenset()
    for line in cpuinfo.splitlines():
        if line.startswith(("flags", "Features")):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def sigill_reason(flags: frozenset[str]) -> str:
    """The one line the user sees when the extra buffer types are turned off."""
    suspects = [f for f in EXTRA_BUFT_FLAGS if f in flags and f.startswith("amx")]
    suspects = suspects or [f for f in EXTRA_BUFT_FLAGS if f in flags]
    named = f" ({', '.join(suspects)})" if suspects else ""
    return ("A CPU feature was turned off: llama.cpp's repacked CPU kernels stopped with an "
            f"illegal instruction{named}, which this CPU reports but the system does not "
            "enable. Models now load without them (answers are the same; prompt processing "
            "on the CPU may be slower).")


def _load(path: Path) -> dict[str, dict[str, object]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def remembered(key: str, path: Path | None = None) -> SafeChoice | None:
    """The safe setting recorded for this build, if any."""
    entry = _load(path or paths.backend_quirks_path()).get(key)
    if not isinstance(entry, dict):
        return None
    return SafeChoice(use_extra_bufts=bool(entry.get("use_extra_bufts", True)),
                      reason=str(entry.get("reason", "")))


def remember(key: str, choice: SafeChoice, path: Path | None = None) -> None:
    """Record the safe setting for this build (atomic replace, 0600 like the data folder)."""
    path = path or paths.backend_quirks_path()
    data = _load(path)
    data[key] = {"use_extra_bufts": choice.use_extra_bufts, "reason": choice.reason,
                 "recorded": time.strftime("%Y-%m-%dT%H:%M:%S")}
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2)
    os.replace(tmp, path)

