"""ctypes access to ggml's device registry and its RPC backend, from the app's own build.

llama-cpp-python wraps llama.h only; the RPC backend (ggml-rpc.h) and the device
registry (ggml-backend.h) live in the libggml libraries it ships beside libllama. We bind
the few functions the cluster needs, so the server, the probe and the worker all use
exactly the llama.cpp build the app runs (no second llama.cpp). Only engine/ code loads
this module, and only in child processes: ggml's RPC client aborts the process when a
peer cannot be reached or breaks mid-reply (GGML_ABORT), so no caller may run it in the
app's own process.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from pathlib import Path

import llama_cpp

from spark_desktop.errors import SparkError

_LIB_DIR = Path(llama_cpp.__file__).resolve().parent / "lib"
# enum ggml_backend_dev_type (ggml-backend.h)
DEV_TYPE_CPU, DEV_TYPE_GPU, DEV_TYPE_IGPU, DEV_TYPE_ACCEL = 0, 1, 2, 3
MAX_SERVERS = 16  # GGML_RPC_MAX_SERVERS
PROTOCOL = "7.0.0"  # RPC_PROTO_*_VERSION of the vendored ggml-rpc.h


class RpcUnavailableError(SparkError):
    """This llama.cpp build has no RPC backend."""


def _bind(lib: ctypes.CDLL, name: str, args: list[type], res: type | None) -> None:
    fn = getattr(lib, name)
    fn.argtypes = args
    fn.restype = res


def _load() -> tuple[ctypes.CDLL, ctypes.CDLL]:
    ggml = ctypes.CDLL(str(_LIB_DIR / "libggml.so"))
    try:
        rpc = ctypes.CDLL(str(_LIB_DIR / "libggml-rpc.so"))
    except OSError as exc:
        raise RpcUnavailableError(
            "This llama.cpp build has no RPC backend (libggml-rpc is missing); rebuild it "
            "with installers/linux/install.sh, which builds with -DGGML_RPC=on.") from exc
    p, sz, u32 = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint32
    _bind(ggml, "ggml_backend_dev_count", [], sz)
    _bind(ggml, "ggml_backend_dev_get", [sz], p)
    _bind(ggml, "ggml_backend_dev_name", [p], ctypes.c_char_p)
    _bind(ggml, "ggml_backend_dev_description", [p], ctypes.c_char_p)
    _bind(ggml, "ggml_backend_dev_type", [p], ctypes.c_int)
    _bind(ggml, "ggml_backend_dev_memory", [p, ctypes.POINTER(sz), ctypes.POINTER(sz)], None)
    _bind(ggml, "ggml_backend_dev_by_name", [ctypes.c_char_p], p)
    _bind(ggml, "ggml_backend_reg_dev_count", [p], sz)
    _bind(ggml, "ggml_backend_reg_dev_get", [p, sz], p)
    _bind(ggml, "ggml_backend_free", [p], None)
    _bind(rpc, "ggml_backend_rpc_init", [ctypes.c_char_p, u32], p)
    _bind(rpc, "ggml_backend_rpc_add_server", [ctypes.c_char_p], p)
    _bind(rpc, "ggml_backend_rpc_get_device_memory",
          [ctypes.c_char_p, u32, ctypes.POINTER(sz), ctypes.POINTER(sz)], None)
    _bind(rpc, "ggml_backend_rpc_start_server",
          [ctypes.c_char_p, ctypes.c_char_p, sz, sz, ctypes.POINTER(p)], None)
    return ggml, rpc


GGML, RPC = _load()


@dataclass(frozen=True)
class Device:
    """One ggml device as this process sees it (a local backend or a peer's, over RPC)."""

    name: str
    description: str
    kind: int
    free: int
    total: int
    handle: int  # ggml_backend_dev_t

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "description": self.description, "free": self.free,
                "total": self.total, "kind": {DEV_TYPE_CPU: "cpu", DEV_TYPE_GPU: "gpu",
                                              DEV_TYPE_IGPU: "igpu"}.get(self.kind, "accel")}


def device(handle: int) -> Device:
    free, total = ctypes.c_size_t(), ctypes.c_size_t()
    GGML.ggml_backend_dev_memory(handle, ctypes.byref(free), ctypes.byref(total))
    return Device(GGML.ggml_backend_dev_name(handle).decode(errors="replace"),
                  GGML.ggml_backend_dev_description(handle).decode(errors="replace"),
                  int(GGML.ggml_backend_dev_type(handle)), free.value, total.value, handle)


def local_devices() -> list[Device]:
    """The devices this machine's build registered (RPC peers added so far excluded:
    they live in their own registries)."""
    llama_cpp.llama_backend_init()  # loads every backend the build has
    return [device(GGML.ggml_backend_dev_get(i)) for i in range(GGML.ggml_backend_dev_count())]


def serving_devices(local: list[Device]) -> list[Device]:
    """What llama.cpp's rpc-server offers by default: every GPU (or integrated GPU), or
    the CPU where there is none (tools/rpc/rpc-server.cpp, get_devices)."""
    gpus = [d for d in local if d.kind in (DEV_TYPE_GPU, DEV_TYPE_IGPU)]
    return gpus or [d for d in local if d.kind == DEV_TYPE_CPU][:1]


def offload_devices(local: list[Device]) -> list[Device]:
    """The local devices llama.cpp offloads layers to by default: discrete GPUs, else
    integrated ones (llama.cpp's llama_prepare_model_devices); the CPU is never in the
    list (layers that are not offloaded stay on it)."""
    gpus = [d for d in local if d.kind == DEV_TYPE_GPU]
    return gpus or [d for d in local if d.kind == DEV_TYPE_IGPU]


_GET_NAME = ctypes.CFUNCTYPE(ctypes.c_char_p, ctypes.c_void_p)
_GET_MEMORY = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.POINTER(ctypes.c_size_t),
                               ctypes.POINTER(ctypes.c_size_t))
_CAPS: list[object] = []  # the callbacks ggml now holds: they must outlive the server


def cap_memory(dev: Device, cap: int) -> Device:
    """Make `dev` report at most `cap` bytes (total = cap, free = min(free, cap)) to
    everything that asks, the RPC server's GET_DEVICE_MEMORY included, so a peer places
    layers and plans as if this machine had that much. ggml's rpc-server lost its own
    `--mem` when it began serving several devices; the server asks the device through
    its interface table (`struct ggml_backend_device`: the iface's get_name, then
    get_description, then get_memory), and this replaces that one entry. The layout is
    checked against the exported functions first; a build whose layout differs is
    refused rather than patched blindly."""
    slots = ctypes.cast(dev.handle, ctypes.POINTER(ctypes.c_void_p))
    get_name = _GET_NAME(slots[0])
    original = _GET_MEMORY(slots[2])
    free, total = ctypes.c_size_t(), ctypes.c_size_t()
    original(dev.handle, ctypes.byref(free), ctypes.byref(total))
    if get_name(dev.handle) != GGML.ggml_backend_dev_name(dev.handle) or total.value != dev.total:
        raise RpcUnavailableError(
            "This llama.cpp build lays out its devices differently from the one --mem was "
            "written for; serve without --mem and set the split on the loading side "
            "(--tensor-split).")

    def capped(handle: int, free_out: ctypes.Array, total_out: ctypes.Array) -> None:
        original(handle, free_out, total_out)
        free_out[0] = min(free_out[0], cap)
        total_out[0] = min(total_out[0], cap)

    callback = _GET_MEMORY(capped)
    _CAPS.append((callback, original))
    slots[2] = ctypes.cast(callback, ctypes.c_void_p).value
    return device(dev.handle)


def peer_devices(endpoint: str) -> list[Device]:
    """Register a peer and list its devices. Aborts the process if the peer is down."""
    reg = RPC.ggml_backend_rpc_add_server(endpoint.encode())
    if not reg:
        return []
    return [device(GGML.ggml_backend_reg_dev_get(reg, i))
            for i in range(GGML.ggml_backend_reg_dev_count(reg))]


def round_trip_seconds(endpoint: str, count: int) -> float:
    """Median seconds of one RPC command and its answer (GET_DEVICE_MEMORY) to `endpoint`,
    over one connection kept open by a backend (each call would reconnect otherwise)."""
    import statistics
    import time

    backend = RPC.ggml_backend_rpc_init(endpoint.encode(), 0)
    free, total = ctypes.c_size_t(), ctypes.c_size_t()
    times = []
    try:
        for _ in range(count):
            start = time.perf_counter()
            RPC.ggml_backend_rpc_get_device_memory(endpoint.encode(), 0, ctypes.byref(free),
                                                   ctypes.byref(total))
            times.append(time.perf_counter() - start)
    finally:
        GGML.ggml_backend_free(backend)
    return statistics.median(times)
