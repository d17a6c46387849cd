"""Hardware probe and named targets, fed with real text from a DGX Spark, an H100
server and a machine without a GPU."""

from __future__ import annotations

import pytest

from spark_desktop.hardware import (
    TargetError,
    parse_meminfo,
    parse_nvidia_smi,
    probe,
    resolve_target,
)
from spark_desktop.hardware.probe import describe
from spark_desktop.hardware.targets import GIB, SPARK_MEM_TOTAL, SPARK_OS_RESERVE

GB10_SMI = "NVIDIA GB10, [N/A], [N/A], 12.1, 580.95.05\n"
H100_SMI = "NVIDIA H100 80GB HBM3, 81559, 1, 9.0, 550.54.15\n"
TWO_GPUS = ("NVIDIA GeForce RTX 4090, 24564, 812, 8.9, 560.35.03\n"
            "NVIDIA GeForce RTX 3090, 24576, 15, 8.6, 560.35.03\n")
SPARK_MEMINFO = """MemTotal:       125513232 kB
MemFree:        110442668 kB
MemAvailable:   119877128 kB
Buffers:           10236 kB
"""


def test_gb10_reads_as_unified_memory() -> None:
    (gpu,) = parse_nvidia_smi(GB10_SMI)
    assert gpu.name == "NVIDIA GB10" and gpu.unified_memory
    assert gpu.memory_total is None and gpu.compute_capability == "12.1"
    total, available = parse_meminfo(SPARK_MEMINFO)
    machine = describe("Cortex-X925", 20, total, available, (gpu,))
    assert machine.unified_memory and machine.bandwidth == 273e9
    target = resolve_target("this", machine)
    assert target.unified and len(target.pools) == 1
    assert target.pools[0].bytes == 119877128 * 1024


def test_not_supported_is_unified_too() -> None:
    (gpu,) = parse_nvidia_smi("NVIDIA GB10, Not Supported, Not Supported, 12.1, 580.82\n")
    assert gpu.unified_memory and gpu.memory_used is None


def test_h100_has_its_own_memory_pool() -> None:
    (gpu,) = parse_nvidia_smi(H100_SMI)
    assert not gpu.unified_memory and gpu.memory_total == 81559 * 1024 * 1024
    machine = describe("AMD EPYC 9654", 96, 512 * GIB, 500 * GIB, (gpu,))
    assert machine.bandwidth == 3350e9 and "H100" in machine.bandwidth_source
    target = resolve_target("this", machine)
    assert [p.kind for p in target.pools] == ["gpu", "host"]
    assert 79 * GIB < target.pools[0].bytes < 80 * GIB


def test_two_gpus_and_no_gpu() -> None:
    assert [g.name for g in parse_nvidia_smi(TWO_GPUS)] == [
        "NVIDIA GeForce RTX 4090", "NVIDIA GeForce RTX 3090"]
    assert parse_nvidia_smi("") == ()
    machine = describe("AMD EPYC", 2, 24 * GIB, 20 * GIB, ())
    assert not machine.unified_memory and "default" in machine.bandwidth_source
    target = resolve_target("this", machine)
    assert [p.kind for p in target.pools] == ["host"] and target.pools[0].bytes == 20 * GIB


def test_named_targets() -> None:
    machine = describe("AMD EPYC", 2, 24 * GIB, 20 * GIB, ())
    spark = resolve_target("spark", machine)
    assert spark.pools[0].bytes == SPARK_MEM_TOTAL - SPARK_OS_RESERVE
    assert 115 * GIB < spark.pools[0].bytes < 120 * GIB
    assert spark.pools[0].bandwidth == 273e9
    spark2 = resolve_target("spark2", machine)
    assert len(spark2.pools) == 2 and spark2.total_bytes == 2 * spark.pools[0].bytes
    sized = resolve_target("96", machine)
    assert sized.pools[0].bytes == 96 * GIB and sized.pools[0].bandwidth == machine.bandwidth
    with pytest.raises(TargetError):
        resolve_target("moon", machine)
    with pytest.raises(TargetError):
        resolve_target("0", machine)


def test_probe_this_machine() -> None:
    machine = probe()
    assert machine.cpu_cores >= 1
    assert 0 < machine.memory_available <= machine.memory_total
    assert machine.bandwidth > 0
