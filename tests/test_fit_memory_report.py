"""The load-log parser reads the buffer lines llama.cpp prints, per device."""

from __future__ import annotations

from spark_desktop.engine.memory_report import MIB, parse_llama_log

CPU_LOG = """\
load_tensors: loading model tensors, this can take a while... (mmap = true, direct_io = false)
load_tensors:   CPU_Mapped model buffer size =   241.05 MiB
llama_context: constructing llama_context
llama_context:        CPU  output buffer size =     1.00 MiB
llama_kv_cache:        CPU KV buffer size =    12.00 MiB
llama_kv_cache:        CPU KV buffer size =     3.50 MiB
llama_memory_recurrent:        CPU RS buffer size =     0.31 MiB
llama_context:        CPU compute buffer size =   300.25 MiB
llama_context: graph nodes  = 1000
"""

CUDA_LOG = [
    "load_tensors: offloaded 19/19 layers to GPU\n",
    "load_tensors:        CUDA0 model buffer size =  1000.00 MiB\n",
    "load_tensors:   CPU_Mapped model buffer size =   100.00 MiB\n",
    "llama_context:  CUDA_Host  output buffer size =     1.00 MiB\n",
    "llama_kv_cache:      CUDA0 KV buffer size =    64.00 MiB\n",
    "llama_context:      CUDA0 compute buffer size =   200.00 MiB\n",
    "llama_context:  CUDA_Host compute buffer size =    10.00 MiB\n",
]


def test_cpu_log_sums_components() -> None:
    report = parse_llama_log(CPU_LOG.splitlines(keepends=True))
    assert report.weights == round(241.05 * MIB)
    assert report.kv_cache == round((12.00 + 3.50 + 0.31) * MIB)
    assert report.output == MIB
    assert report.compute == round(300.25 * MIB)
    assert list(report.devices) == ["CPU"]
    assert report.total == report.devices["CPU"].total
    assert report.lines == 6
    assert report.rounding_error <= 6 * 0.0051 * MIB


def test_cuda_log_splits_devices_and_accepts_one_text_block() -> None:
    report = parse_llama_log(["".join(CUDA_LOG)])
    assert report.devices["CUDA0"].weights == 1000 * MIB
    assert report.devices["CPU"].weights == 100 * MIB
    assert report.devices["CPU"].output == MIB
    assert report.devices["CUDA0"].compute == 200 * MIB
    assert report.devices["CPU"].compute == 10 * MIB
    assert report.kv_cache == 64 * MIB


def test_no_buffer_lines_gives_zero() -> None:
    report = parse_llama_log(["hello\n", "llama_context: n_ctx = 512\n"])
    assert report.total == 0 and not report.devices
