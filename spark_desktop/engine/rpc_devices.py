"""The worker's device list for a load across RPC peers (llama_model_params.devices).

llama-cpp-python's Llama() no longer takes rpc_servers, and the worker drives the
low-level API anyway: this machine's own offload devices (GPUs), then each peer's
devices (registered with ggml_backend_rpc_add_server), go into the NULL-terminated
device list. The layers are split over them in that order by free memory; layers not
offloaded (n_gpu_layers) and the token embeddings stay on this machine's CPU. (llama.cpp
by itself puts peers first; we put this machine first so that the split is the one
fit.estimate plans for a cluster target, whose first pool is this machine's: the price
is that the logits of each token come back over the link, n_vocab x 4 bytes.) The
client probes the peers first (engine.peers), because an unreachable peer aborts this
process.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence


def model_devices(peers: Sequence[str]) -> ctypes.Array[ctypes.c_void_p] | None:
    """The NULL-terminated ggml_backend_dev_t array for these peers, or None (llama.cpp's
    own choice of local devices) when there are none. Keep it alive during the load."""
    if not peers:
        return None
    from spark_desktop.engine import rpc_lib  # loads libggml-rpc: the worker's side only

    handles = [d.handle for d in rpc_lib.offload_devices(rpc_lib.local_devices())]
    handles += [d.handle for endpoint in peers for d in rpc_lib.peer_devices(endpoint)]
    return (ctypes.c_void_p * (len(handles) + 1))(*handles, None)


def tensor_split(shares: Sequence[float]) -> ctypes.Array[ctypes.c_float] | None:
    """llama_model_params.tensor_split: one share per device of the list (llama.cpp reads
    llama_max_devices() floats), or None for its split by free memory."""
    if not shares:
        return None
    import llama_cpp

    size = max(int(llama_cpp.llama_max_devices()), len(shares))
    return (ctypes.c_float * size)(*shares)
