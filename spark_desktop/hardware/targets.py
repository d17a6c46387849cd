"""Named targets to plan for: a DGX Spark, two Sparks over RPC, this machine, or N GiB.

A target is a tuple of memory pools. On unified-memory machines (the Spark) one
pool holds everything; on a PC with a discrete GPU the GPU's memory and the
system memory are separate pools; two Sparks joined by llama.cpp RPC are two
pools, each holding its own layers, their KV cache and its own compute buffer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
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
    #: The pools are on machines joined by llama.cpp RPC: each extra node in use costs
    #: fit.speed.RPC_HOP_S per generated token.
    linked: bool = False

    @property
    def total_bytes(self) -> int:
        return sum(p.bytes for p in self.pools)

    @property
    def local_pools(self) -> tuple[Pool, ...]:
        """The pools of the machine the app runs on (not a peer's)."""
        return tuple(p for p in self.pools if not p.name.startswith("RPC "))

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
        base, plus, _ = self.name.partition("+")
        if plus:  # a cluster_target: the planned machine and its peers
            peers = len(self.pools) - len(self.local_pools)
            alone = Target(base, self.local_pools, self.unified).label
            return f"{alone} and {peers} RPC peer{'s' if peers > 1 else ''}"
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
                      unified=True, repack_isa=GB10_ISA, linked=True)
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


def cluster_target(local: Target, peers: Sequence[tuple[str, int]]) -> Target:
    """`local` plus one pool per RPC peer device, (endpoint, free bytes) as probed.

    The engine puts this machine's GPUs first and the peers after them (engine.rpc_devices),
    and llama.cpp splits the offloaded layers over that list by free memory, which is the
    order and the proportion the estimate uses. A peer's pool is a device like a GPU: its
    own layers, their KV cache and its own compute buffer. Its speed is not reported over
    RPC, so it is assumed to be this machine's (two of the same machine, as two Sparks).
    The estimate also counts a CUDA context on each peer, 512 MiB too much for a CPU peer.
    """
    if not peers:
        return local
    like = local.pools[0]
    kind = "unified" if local.unified else "gpu"
    pools = tuple(Pool(f"RPC {endpoint}", free, like.bandwidth, like.flops, kind)
                  for endpoint, free in peers)
    return Target(f"{local.name}+{len(peers)} peers", (*local.pools, *pools),
                  unified=local.unified, linked=True)
