"""Memory bandwidth and compute of known hardware, for the speed prediction.

Figures are the vendors' published peak numbers (NVIDIA product pages and data
sheets: DGX Spark, H100, H200, A100, RTX and L40 series); FLOPS are dense FP16/BF16
tensor-core figures without sparsity. The fit module applies its own efficiency
factors to them. Unknown CPUs get DEFAULT_CPU_BANDWIDTH, said so in the source text.

A CPU's peak is its SIMD fused multiply-add rate: cores x FLOPs per cycle x clock.
FLOPs per cycle: 32 for x86 with AVX2+FMA (two 256-bit FMA pipes x 8 fp32 lanes x
2) and for AArch64 (Neoverse V2 in Grace, Cortex-X925 in GB10: four 128-bit
NEON/SVE pipes x 4 lanes x 2); AVX-512 is not counted higher, because llama.cpp's
quantized kernels gain little from it and we have not measured one; 16 otherwise.
CPU_CLOCK_HZ is one assumed sustained all-core clock (clock readings in VMs are the
base clock or absent). How much of that peak llama.cpp reaches is fit.speed's
business (benchmarks/README.md gives the figures).
"""

from __future__ import annotations

GB = 1e9
TFLOPS = 1e12

# (substring of the GPU name as NVML reports it, bandwidth B/s, dense FP16 FLOP/s).
# Longer, more specific names first.
_GPUS: tuple[tuple[str, float, float], ...] = (
    ("GB10", 273 * GB, 100 * TFLOPS),          # DGX Spark: 128 GB LPDDR5x, 273 GB/s
    ("H200", 4800 * GB, 989 * TFLOPS),
    ("H100 PCIe", 2000 * GB, 756 * TFLOPS),
    ("H100 NVL", 3900 * GB, 835 * TFLOPS),
    ("H100", 3350 * GB, 989 * TFLOPS),         # H100 SXM5 80GB HBM3
    ("GH200", 4000 * GB, 989 * TFLOPS),
    ("A100-SXM4-80GB", 2039 * GB, 312 * TFLOPS),
    ("A100 80GB PCIe", 1935 * GB, 312 * TFLOPS),
    ("A100", 1555 * GB, 312 * TFLOPS),
    ("L40S", 864 * GB, 362 * TFLOPS),
    ("L40", 864 * GB, 181 * TFLOPS),
    ("RTX 6000 Ada", 960 * GB, 364 * TFLOPS),
    ("RTX PRO 6000", 1792 * GB, 500 * TFLOPS),
    ("RTX A6000", 768 * GB, 155 * TFLOPS),
    ("RTX 5090", 1792 * GB, 419 * TFLOPS),
    ("RTX 4090", 1008 * GB, 330 * TFLOPS),
    ("RTX 3090", 936 * GB, 142 * TFLOPS),
)

#: Dual-channel DDR5-4800 peak is 76.8 GB/s; desktops sustain about 60.
DEFAULT_CPU_BANDWIDTH = 60 * GB

#: Assumed sustained all-core clock of a CPU (Hz), for its FMA peak.
CPU_CLOCK_HZ = 3.0e9
#: fp32 FLOPs per core per cycle: AVX2+FMA or 128-bit NEON/SVE x 4 pipes; without.
CPU_FMA_FLOPS_PER_CYCLE = 32
CPU_BASIC_FLOPS_PER_CYCLE = 16

# (substring of the CPU model name, bandwidth B/s) for CPUs with a known memory system.
_CPUS: tuple[tuple[str, float], ...] = (
    ("Grace", 500 * GB),          # Grace CPU Superchip LPDDR5x (GH200 node)
    ("Cortex-X925", 273 * GB),    # GB10's CPU cores share the Spark's 273 GB/s memory
    ("Apple M", 100 * GB),
)


def gpu_bandwidth(name: str) -> tuple[float, str] | None:
    """(bytes/s, source) for a GPU known by name, else None."""
    for key, bandwidth, _ in _GPUS:
        if key.lower() in name.lower():
            return bandwidth, f"published peak of {key} ({bandwidth / GB:.0f} GB/s)"
    return None


def gpu_flops(name: str) -> float | None:
    """Dense FP16 FLOP/s of a GPU known by name, else None."""
    for key, _, flops in _GPUS:
        if key.lower() in name.lower():
            return flops
    return None


def cpu_bandwidth(model: str) -> tuple[float, str]:
    """(bytes/s, source) for a CPU; a stated default where the CPU is not known."""
    for key, bandwidth in _CPUS:
        if key.lower() in model.lower():
            return bandwidth, f"published peak for {key} ({bandwidth / GB:.0f} GB/s)"
    return (DEFAULT_CPU_BANDWIDTH,
            (f"default for an unknown CPU ({DEFAULT_CPU_BANDWIDTH / GB:.0f} GB/s, "
             "typical dual-channel DDR5)"))


def cpu_flops(cores: int, flags: frozenset[str], machine: str) -> float:
    """Peak fp32 FMA FLOP/s of `cores` CPU cores, from the ISA (/proc/cpuinfo flags,
    `platform.machine()`); see the module text for the figures."""
    wide = machine.lower() in ("aarch64", "arm64") or {"avx2", "fma"} <= flags
    per_cycle = CPU_FMA_FLOPS_PER_CYCLE if wide else CPU_BASIC_FLOPS_PER_CYCLE
    return max(1, cores) * per_cycle * CPU_CLOCK_HZ
