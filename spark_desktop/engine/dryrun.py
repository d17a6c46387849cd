"""llama.cpp's own memory plan for a model file, without loading the weights.

`simulate_load` runs llama.cpp's `no_alloc` dry run ("only load metadata and
simulate memory allocations") in a child process, since llama.cpp may abort on a
bad file. The model and a context are created with no_alloc, which works: llama.cpp
reserves the compute graph and sizes every buffer, but allocates only dummy
(size 0) buffers for weights and KV cache. So its "model buffer" and "KV buffer"
lines print 0.00 MiB, and the figures come from elsewhere:

- weights: `llama_model_size()`, the exact sum of the tensors' bytes (llama.cpp
  pads each tensor to 32 bytes in a real buffer: at most 32 bytes per tensor more);
- KV cache: the "llama_kv_cache: size = X MiB" lines (one per cache, e.g. full and
  sliding-window), which llama.cpp computes from the tensors it would allocate;
  recurrent state (RS) buffers are allocated for real even in a dry run, so their
  "RS buffer size" lines are real;
- compute and output: their buffer lines, as in a real load.

no_alloc cannot be combined with mmap (llama.cpp asserts), so the dry run always
plans a load without mmap; only how the weights reach memory differs.

Each figure printed in MiB may be off by 0.005 MiB (see memory_report). The file
only needs a valid header at the real size: a sparse stub of a remote model
(gguf.write_stub) is enough, so a download can be confirmed before it starts;
`spark-desktop fit --confirm` shows the plan next to the estimate.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, replace
from pathlib import Path

from spark_desktop.engine.memory_report import (
    MIB,
    MemoryReport,
    build_report,
    device_of_buffer,
    parse_llama_log,
)
from spark_desktop.errors import SparkError
from spark_desktop.inference_settings import LoadSettings

TIMEOUT_S = 120
_KV_SIZE = re.compile(r"llama_kv_cache: size =\s*([0-9.]+) MiB")
_KV_BUF = re.compile(r"(\S+) KV buffer size =")


class DryRunError(SparkError):
    """llama.cpp could not plan this load (bad file, unsupported model, or it crashed)."""


def report_from_dry_run(log: str, model_size: int) -> MemoryReport:
    """Combine a no_alloc log and the exact weight bytes into a MemoryReport."""
    logged = parse_llama_log([log])
    entries: list[tuple[str, str, int]] = [("CPU", "weights", model_size)] if model_size else []
    for name, dev in logged.devices.items():
        entries += [(name, "compute", dev.compute), (name, "output", dev.output)]
    device = "CPU"
    for line in log.splitlines():
        buf = _KV_BUF.search(line)
        if buf:
            device = device_of_buffer(buf[1])
            continue
        size = _KV_SIZE.search(line)
        if size:
            entries.append((device, "kv_cache", round(float(size[1]) * MIB)))
        elif " RS buffer size =" in line:
            entries.append((device, "kv_cache", parse_llama_log([line]).kv_cache))
    report = build_report(entries, exact=False)
    return MemoryReport(report.weights, report.kv_cache, report.compute, report.output,
                        report.devices, lines=max(0, len(entries) - 1), exact=False)


def simulate_load(path: Path | str, settings: LoadSettings | None = None) -> MemoryReport:
    """What llama.cpp would allocate to load `path` with `settings` (a dry run, seconds)."""
    return simulate_loads(path, [settings or LoadSettings()])[0]


def simulate_loads(path: Path | str, settings: Sequence[LoadSettings]) -> list[MemoryReport]:
    """Dry runs of several settings for one file in one child process (one import of
    llama.cpp, one model load per GPU-layer count), in the order given."""
    plans = []
    for one in settings:
        eff, _ = one.effective()
        # no_alloc cannot be combined with mmap (GGML_ASSERT(!ml.no_alloc) in
        # load_tensors); the plan is the same apart from how the weights reach memory.
        plans.append(asdict(replace(eff, use_mmap=False)))
    request = json.dumps({"path": str(path), "settings": plans})
    try:
        proc = subprocess.run([sys.executable, "-m", "spark_desktop.engine.dryrun", request],
                              capture_output=True, text=True, check=False,
                              timeout=TIMEOUT_S * max(1, len(plans)))
    except subprocess.TimeoutExpired:
        raise DryRunError(f"llama.cpp took too long to plan {path}; "
                          "the file may be damaged.") from None
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        err = proc.stderr.strip().splitlines() or ["it stopped without a message"]
        tail = next((ln.strip() for ln in err if "GGML_ASSERT" in ln or "error" in ln.lower()),
                    err[-1].strip())
        raise DryRunError(f"llama.cpp could not plan loading {path}: {tail}")
    result = json.loads(lines[-1])
    if "error" in result:
        raise DryRunError(f"llama.cpp could not plan loading {path}: {result['error']}")
    return [report_from_dry_run(r["log"], r["model_size"]) for r in result["runs"]]


def _child(request: dict) -> dict:
    """Runs in the child process: the dry runs themselves."""
    import ctypes

    import llama_cpp as ll

    chunks: list[str] = []

    @ll.llama_log_callback
    def on_log(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        chunks.append(text.decode("utf-8", errors="replace"))

    ll.llama_log_set(on_log, ctypes.c_void_p(0))
    ll.llama_backend_init()
    kv_types = {"f16": ll.GGML_TYPE_F16, "q8_0": ll.GGML_TYPE_Q8_0, "q4_0": ll.GGML_TYPE_Q4_0}
    model, model_layers, runs = None, None, []
    for s in request["settings"]:
        start = len(chunks)
        if model is None or model_layers != s["n_gpu_layers"]:
            if model is not None:
                ll.llama_model_free(model)
            mparams = ll.llama_model_default_params()
            mparams.no_alloc = True
            mparams.n_gpu_layers = s["n_gpu_layers"]
            mparams.load_mode = ll.LLAMA_LOAD_MODE_NONE
            model = ll.llama_model_load_from_file(request["path"].encode(), mparams)
            model_layers = s["n_gpu_layers"]
            if not model:
                return {"error": _last_error(chunks) or "the model did not load"}
        cparams = ll.llama_context_default_params()
        cparams.n_ctx = s["n_ctx"]
        cparams.n_batch = s["n_batch"]
        cparams.n_ubatch = s["n_ubatch"]
        cparams.n_seq_max = s["n_seq"]
        cparams.type_k = kv_types[s["type_k"]]
        cparams.type_v = kv_types[s["type_v"]]
        # "auto" as the estimate assumes it (on with the CPU and CUDA backends)
        cparams.flash_attn_type = (ll.LLAMA_FLASH_ATTN_TYPE_DISABLED if s["flash_attn"] == "off"
                                   else ll.LLAMA_FLASH_ATTN_TYPE_ENABLED)
        cparams.swa_full = s["swa_full"]
        ctx = ll.llama_init_from_model(model, cparams)
        if not ctx:
            return {"error": _last_error(chunks) or "the context could not be created"}
        runs.append({"log": "".join(chunks[start:]),
                     "model_size": int(ll.llama_model_size(model))})
        ll.llama_free(ctx)
    return {"runs": runs}


def _last_error(chunks: list[str]) -> str:
    lines = [ln for ln in "".join(chunks).splitlines()
             if "error" in ln.lower() or "failed" in ln.lower()]
    return lines[-1].strip() if lines else ""


if __name__ == "__main__":
    try:
        answer = _child(json.loads(sys.argv[1]))
    except ImportError as exc:
        answer = {"error": f"llama-cpp-python is not installed here ({exc}); "
                           "`spark-desktop doctor` says how to install it"}
    except Exception as exc:  # noqa: BLE001 - reported to the parent as text
        answer = {"error": str(exc)}
    print(json.dumps(answer))
