"""What llama.cpp says it allocated: parse the buffer lines of its load log.

The engine parses a real load's log with this; the dry run (`dryrun.py`) and the
accuracy tests compare the fit estimate with it. llama.cpp prints every buffer in
MiB with two decimals, so each parsed line may be off by up to 0.005 MiB
(5243 bytes); `rounding_error` says how much the whole report may be off.
Where exact byte counts are known (the dry run reads them from llama.cpp), they
are passed in with `exact=True`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

MIB = 1024 * 1024
#: Half of the last printed digit (0.01 MiB), the most one log line can be off.
LINE_ROUNDING_BYTES = int(0.005 * MIB) + 1

COMPONENTS = ("weights", "kv_cache", "compute", "output")

# Lines as printed by llama.cpp (vendor/llama.cpp/src):
#   load_tensors:   CPU_Mapped model buffer size =   241.05 MiB      (llama-model.cpp)
#   llama_kv_cache:        CPU KV buffer size =    12.00 MiB         (llama-kv-cache.cpp)
#   llama_memory_recurrent:  CPU RS buffer size = 0.31 MiB           (llama-memory-recurrent.cpp)
#   llama_context:        CPU  output buffer size =     1.00 MiB     (llama-context.cpp)
#   llama_context:      CUDA0 compute buffer size =   300.25 MiB     (llama-context.cpp)
#   ... DSV4 <name> state buffer size = ...                           (llama-kv-cache-dsv4.cpp)
_LINE = re.compile(
    r"(?P<buf>\S+)\s+(?P<kind>model|KV|RS|output|compute|DSV4 \S+ state)"
    r" buffer size =\s*(?P<mib>[0-9.]+) MiB")
_KIND_TO_COMPONENT = {"model": "weights", "KV": "kv_cache", "RS": "kv_cache",
                      "output": "output", "compute": "compute"}


def device_of_buffer(buffer_name: str) -> str:
    """The memory a llama.cpp buffer lives in: host buffers (CPU, CPU_Mapped,
    CPU_REPACK, CUDA_Host pinned memory) are "CPU"; device buffers keep their name."""
    if buffer_name.startswith("CPU") or buffer_name.endswith("_Host"):
        return "CPU"
    return buffer_name


@dataclass(frozen=True)
class DeviceMemory:
    """The bytes one device (e.g. "CPU", "CUDA0") holds, by component."""

    weights: int = 0
    kv_cache: int = 0
    compute: int = 0
    output: int = 0

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.compute + self.output


@dataclass(frozen=True)
class MemoryReport:
    """Bytes llama.cpp allocated for one loaded model and context, in total and per device.

    `kv_cache` includes recurrent state (RS) buffers; `lines` counts the parsed
    buffer lines; `exact` is True when the figures are byte-exact rather than
    rounded from the log.
    """

    weights: int
    kv_cache: int
    compute: int
    output: int
    devices: Mapping[str, DeviceMemory] = field(default_factory=dict)
    lines: int = 0
    exact: bool = False

    @property
    def total(self) -> int:
        return self.weights + self.kv_cache + self.compute + self.output

    @property
    def rounding_error(self) -> int:
        """The most the figures can be off in bytes because the log prints rounded MiB."""
        return 0 if self.exact else self.lines * LINE_ROUNDING_BYTES


def build_report(entries: Iterable[tuple[str, str, int]], *, exact: bool) -> MemoryReport:
    """A report from (device, component, bytes) entries; components are COMPONENTS."""
    per_device: dict[str, dict[str, int]] = {}
    count = 0
    for device, component, size in entries:
        if component not in COMPONENTS:
            raise ValueError(f"unknown memory component {component!r}")
        slot = per_device.setdefault(device, dict.fromkeys(COMPONENTS, 0))
        slot[component] += size
        count += 1
    devices = {name: DeviceMemory(**parts) for name, parts in sorted(per_device.items())}
    totals = {c: sum(getattr(d, c) for d in devices.values()) for c in COMPONENTS}
    return MemoryReport(**totals, devices=MappingProxyType(devices), lines=count, exact=exact)


def parse_llama_log(lines: Iterable[str]) -> MemoryReport:
    """Sum the buffer sizes llama.cpp printed while loading a model and creating a context.

    Lines that are not buffer lines are ignored, so the whole log can be passed in.
    Text may hold several lines at once (as llama.cpp's log callback delivers it).
    """
    entries = []
    for chunk in lines:
        for match in _LINE.finditer(chunk):
            kind = match["kind"]
            component = "kv_cache" if kind.startswith("DSV4") else _KIND_TO_COMPONENT[kind]
            size = round(float(match["mib"]) * MIB)
            entries.append((device_of_buffer(match["buf"]), component, size))
    return build_report(entries, exact=False)
