"""Named targets to plan for: a DGX Spark, two Sparks over RPC, this machine, or N GiB.

A target is a tuple of memory pools. On unified-memory machines (the Spark) one
pool holds everything; on a PC with a discrete GPU the GPU's memory and the
system memory are separate pools; two Sparks joined by llama.cpp RPC are two
pools, each holding its own layers, their KV cache and its own compute buffer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spark_desktop.errors import SparkError
from spark_desktop.hardware.bandwidth import GB, TFLOPS, cpu_bandwidth
from spark_desktop.hardware.probe import Machine, probe

GIB = 1024 ** 3

#: What DGX OS reports as MemTotal on a DGX Spark (GB10, 128 GB LPDDR5x): the
#: firmware and the GPU carve-out take the rest.
SPARK_MEM_TOTAL = int(119.7 * GIB)
#: Kept back for DGX OS, its desktop session and the app itself (measured idle
#: GNOME desktop on DGX OS: about 3 GiB; one more for headroom).
SPARK_OS_RESERVE = 4 * GIB
SPARK_BANDWIDTH = 273 * GB
SPARK_FLOPS = 100 * TFLOPS
#: Kept back on this machine's GPU for the CUDA context and the display.
GPU_RESERVE = 512 * 1024 * 1024


class TargetError(SparkError):
    """The target name is not one we know."""


@dataclass(frozen=True)
class Pool:
    """One memory pool: what a device can give the model, and how fast it is."""

    name: str
    bytes: int          # usable by the model (after the documented reserve)
    bandwidth: float    # bytes/s
    flops: float        # peak FLOP/s of the device computing there (GPU FP16, CPU fp32 FMA)
    kind: str           # "unified", "gpu" or "host"


@dataclass(frozen=True)
class Target:
    """What the estimate is checked against; pools[0] is where llama.cpp offloads first."""

    name: str
    pools: tuple[Pool, ...]
    unified: bool
    repack_isa: frozenset[str] = frozenset()  # the CPU backend's, for layers run on the CPU

    @property
    def total_bytes(self) -> int:
        return sum(p.bytes for p in self.pools)

    @property
    def label(self) -> str:
        """What a person calls this target after "on" or "for": "a DGX Spark", "two DGX
        Sparks", "this machine", "a 48 GiB pool" (the name is a key, not a sentence)."""
        if self.name == "spark":
            return "a DGX Spark"
        if self.name == "spark2":
            return "two DGX Sparks"
        if self.name == "this":
            return "this machine"
        whole = self.name.split(".")[0].split()[0]
        an = whole.startswith("8") or whole in ("11", "18")  # "an eight…", "an eleven…"
        return f"{'an' if an else 'a'} {self.name} pool"


#: GB10's Arm cores (Cortex-X925/A725) with the portable build: NEON and dot products.
GB10_ISA = frozenset({"neon", "dotprod"})


def _spark_pool(name: str) -> Pool:
    return Pool(name, SPARK_MEM_TOTAL - SPARK_OS_RESERVE, SPARK_BANDWIDTH, SPARK_FLOPS,
                "unified")


def target_for_machine(machine: Machine, name: str = "this") -> Target:
    """The pools this machine offers: unified memory, or GPU memory plus system memory."""
    host = Pool("system memory", machine.memory_available, machine.bandwidth,
                machine.flops, "host")
    if not machine.gpus:
        return Target(name, (host,), unified=False, repack_isa=machine.repack_isa)
    if machine.unified_memory:
        # llama.cpp takes MemAvailable as the free memory of a unified GPU.
        pool = Pool(machine.gpus[0].name, machine.memory_available, machine.bandwidth,
                    machine.flops, "unified")
        return Target(name, (pool,), unified=True, repack_isa=machine.repack_isa)
    gpus = tuple(
        Pool(g.name if len(machine.gpus) == 1 else f"{g.name} #{i}",
             max(0, (g.memory_total or 0) - (g.memory_used or 0) - GPU_RESERVE),
             machine.bandwidth, machine.flops, "gpu")
        for i, g in enumerate(machine.gpus))
    host_bw, _ = cpu_bandwidth(machine.cpu_model)
    host = Pool("system memory", machine.memory_available, host_bw,
                machine.cpu_flops, "host")
    return Target(name, (*gpus, host), unified=False, repack_isa=machine.repack_isa)


def resolve_target(name: str, machine: Machine | None = None) -> Target:
    """A target by name: "spark", "spark2", "this", or a size in GiB such as "96".

    `machine` is used for "this" and for the bandwidth of a bare size (probed when None).
    """
    key = name.strip().lower()
    if key == "spark":
        return Target("spark", (_spark_pool("DGX Spark"),), unified=True, repack_isa=GB10_ISA)
    if key == "spark2":
        return Target("spark2", (_spark_pool("DGX Spark 1"), _spark_pool("DGX Spark 2")),
                      unified=True, repack_isa=GB10_ISA)
    if key == "this":
        return target_for_machine(machine or probe())
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(gib|g|gb)?", key)
    if match:
        size = float(match[1])
        if size <= 0:
            raise TargetError("A target size must be more than 0 GiB.")
        here = machine or probe()
        pool = Pool(f"{size:g} GiB", int(size * GIB), here.bandwidth, here.flops, "unified")
        return Target(f"{size:g} GiB", (pool,), unified=True, repack_isa=here.repack_isa)
    raise TargetError(f"Unknown target {name!r}: use spark, spark2, this, or a size in "
                      "GiB such as 96.")
