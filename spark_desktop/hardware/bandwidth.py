"""Memory bandwidth and compute of known hardware, for the speed prediction.

Figures are the vendors' published peak numbers (NVIDIA product pages and data
sheets: DGX Spark, H100, H200, A100, RTX and L40 series); FLOPS are dense FP16/BF16
tensor-core figures without sparsity. The fit module applies its own efficiency
factors to them. Unknown CPUs get DEFAULT_CPU_BANDWIDTH, said so in the source text.
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
