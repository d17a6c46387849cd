"""What machine this is: CPU, memory, NVIDIA GPUs, and how fast memory is.

Parsing is kept in pure functions (`parse_meminfo`, `parse_nvidia_smi`) so tests
can feed the text of a DGX Spark (GB10), an H100 server or a machine without a
GPU. NVML is reached through ctypes (libnvidia-ml.so.1 ships with the driver, so
no Python package is needed); `nvidia-smi` is the fallback.

On unified-memory GPUs (GB10 in the DGX Spark) NVML and nvidia-smi report no
memory figure ("[N/A]", "Not Supported" or 0): such a GPU shares system memory,
and the usable pool is what the OS offers (MemAvailable), not a GPU figure.
"""

from __future__ import annotations

import ctypes
import os
import platform
import shutil
import subprocess
from dataclasses import dataclass

import psutil

from spark_desktop.hardware.bandwidth import cpu_bandwidth, cpu_flops, gpu_bandwidth, gpu_flops

_MISSING = {"", "[n/a]", "n/a", "not supported", "[not supported]", "unknown error"}
MIB = 1024 * 1024


@dataclass(frozen=True)
class GPU:
    name: str
    memory_total: int | None   # bytes; None where the GPU has no memory of its own
    memory_used: int | None
    compute_capability: str | None
    driver_version: str | None
    unified_memory: bool       # shares system memory (GB10, other SoCs)


@dataclass(frozen=True)
class Machine:
    cpu_model: str
    cpu_cores: int
    memory_total: int          # bytes of system memory (MemTotal)
    memory_available: int      # bytes the OS can give now (MemAvailable)
    gpus: tuple[GPU, ...]
    unified_memory: bool       # the GPU memory is the system memory
    bandwidth: float           # bytes/s of the memory the model runs from
    bandwidth_source: str      # where that figure comes from, in words
    flops: float               # peak FLOP/s of the device that runs the model
    cpu_flops: float = 0.0     # peak fp32 FMA FLOP/s of the CPU cores (bandwidth.cpu_flops)
    repack_isa: frozenset[str] = frozenset()  # llama_build_isa(): what CPU_REPACK can use


def parse_meminfo(text: str) -> tuple[int, int]:
    """(MemTotal, MemAvailable) in bytes from the text of /proc/meminfo."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            scale = 1024 if len(parts) > 1 and parts[1].lower() == "kb" else 1
            values[key.strip()] = int(parts[0]) * scale
    total = values.get("MemTotal", 0)
    available = values.get("MemAvailable", values.get("MemFree", 0))
    return total, available


def _number(field: str) -> float | None:
    if field.strip().lower() in _MISSING:
        return None
    try:
        return float(field)
    except ValueError:
        return None


def parse_nvidia_smi(text: str) -> tuple[GPU, ...]:
    """GPUs from `nvidia-smi --query-gpu=name,memory.total,memory.used,compute_cap,
    driver_version --format=csv,noheader,nounits` (memory in MiB)."""
    gpus = []
    for line in text.splitlines():
        fields = [f.strip() for f in line.split(",")]
        if len(fields) < 5 or not fields[0]:
            continue
        total = _number(fields[1])
        used = _number(fields[2])
        cap = fields[3] if _number(fields[3]) is not None else None
        unified = not total
        gpus.append(GPU(
            name=fields[0],
            memory_total=None if unified else int(total * MIB),
            memory_used=None if unified or used is None else int(used * MIB),
            compute_capability=cap,
            driver_version=fields[4] if fields[4].lower() not in _MISSING else None,
            unified_memory=unified))
    return tuple(gpus)


class _NvmlMemory(ctypes.Structure):
    _fields_ = [("total", ctypes.c_ulonglong), ("free", ctypes.c_ulonglong),
                ("used", ctypes.c_ulonglong)]


def _nvml_gpus() -> tuple[GPU, ...] | None:
    """GPUs via NVML, or None where NVML is not present or does not start."""
    try:
        nvml = ctypes.CDLL("libnvidia-ml.so.1")
    except OSError:
        return None
    if nvml.nvmlInit_v2() != 0:
        return None
    try:
        count = ctypes.c_uint()
        if nvml.nvmlDeviceGetCount_v2(ctypes.byref(count)) != 0:
            return None
        buf = ctypes.create_string_buffer(96)
        driver = None
        if nvml.nvmlSystemGetDriverVersion(buf, 96) == 0:
            driver = buf.value.decode(errors="replace")
        gpus = []
        for index in range(count.value):
            handle = ctypes.c_void_p()
            if nvml.nvmlDeviceGetHandleByIndex_v2(index, ctypes.byref(handle)) != 0:
                continue
            name = "NVIDIA GPU"
            if nvml.nvmlDeviceGetName(handle, buf, 96) == 0:
                name = buf.value.decode(errors="replace")
            mem = _NvmlMemory()
            # GB10 answers NVML_ERROR_NOT_SUPPORTED here: the GPU uses system memory.
            has_memory = nvml.nvmlDeviceGetMemoryInfo(handle, ctypes.byref(mem)) == 0 \
                and mem.total > 0
            major, minor = ctypes.c_int(), ctypes.c_int()
            cap = None
            if nvml.nvmlDeviceGetCudaComputeCapability(
                    handle, ctypes.byref(major), ctypes.byref(minor)) == 0:
                cap = f"{major.value}.{minor.value}"
            gpus.append(GPU(name=name,
                            memory_total=mem.total if has_memory else None,
                            memory_used=mem.used if has_memory else None,
                            compute_capability=cap, driver_version=driver,
                            unified_memory=not has_memory))
        return tuple(gpus)
    finally:
        nvml.nvmlShutdown()


def _smi_gpus() -> tuple[GPU, ...]:
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return ()
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.total,memory.used,compute_cap,driver_version",
             "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return parse_nvidia_smi(out.stdout) if out.returncode == 0 else ()


def detect_gpus() -> tuple[GPU, ...]:
    """NVIDIA GPUs of this machine (NVML first, nvidia-smi second, none if neither)."""
    found = _nvml_gpus()
    return found if found is not None else _smi_gpus()


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.lower().startswith(("model name", "hardware")):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags from /proc/cpuinfo ("flags" on x86, "Features" on ARM)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.lower().startswith(("flags", "features")):
                    return frozenset(line.partition(":")[2].split())
    except OSError:
        pass
    return frozenset()


def llama_build_isa(flags: frozenset[str], arch: str) -> frozenset[str]:
    """The instructions of the app's portable llama.cpp build (installers/linux/install.sh,
    GGML_NATIVE=OFF: x86-64-v3 or ARMv8.2 with dot products) that this CPU runs, as far as
    the CPU backend's weight repacking cares (fit.repack)."""
    if arch.lower() in ("aarch64", "arm64"):
        return frozenset({"neon", "dotprod"}) if "asimddp" in flags else frozenset({"neon"})
    return frozenset({"avx2"}) if "avx2" in flags else frozenset()


def describe(cpu_model: str, cpu_cores: int, memory_total: int, memory_available: int,
             gpus: tuple[GPU, ...], flags: frozenset[str] | None = None,
             arch: str = "") -> Machine:
    """A Machine from probed facts: decides unified memory, bandwidth and FLOPS.

    flags: the CPU's feature flags; None when not known (then an AVX2/NEON-class
    CPU is assumed, as every x86-64 since 2013 and every AArch64 core is)."""
    unified = any(g.unified_memory for g in gpus)
    main = gpus[0] if gpus else None
    known = gpu_bandwidth(main.name) if main else None
    if known is not None:
        bandwidth, source = known
    else:
        bandwidth, source = cpu_bandwidth(cpu_model)
    flags = frozenset({"avx2", "fma"}) if flags is None else flags
    cpu = cpu_flops(cpu_cores, flags, arch)
    flops = gpu_flops(main.name) if main else None
    return Machine(cpu_model=cpu_model, cpu_cores=cpu_cores, memory_total=memory_total,
                   memory_available=memory_available, gpus=gpus, unified_memory=unified,
                   bandwidth=bandwidth, bandwidth_source=source,
                   flops=cpu if flops is None else flops, cpu_flops=cpu,
                   repack_isa=llama_build_isa(flags, arch))


def probe() -> Machine:
    """Detect this machine (takes a few milliseconds; NVML is opened and closed)."""
    if os.path.exists("/proc/meminfo"):
        with open("/proc/meminfo", encoding="ascii", errors="replace") as fh:
            total, available = parse_meminfo(fh.read())
    else:
        vm = psutil.virtual_memory()
        total, available = vm.total, vm.available
    cores = psutil.cpu_count(logical=False) or psutil.cpu_count() or 1
    return describe(_cpu_model(), cores, total, available, detect_gpus(), cpu_flags(),
                    platform.machine())
