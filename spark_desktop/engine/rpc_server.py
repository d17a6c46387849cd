"""The RPC server child: this machine's backend, served to peers by ggml's own server.

Started by engine.peers.run_server as `python -m spark_desktop.engine.rpc_server
--endpoint HOST:PORT [--cache DIR] [--threads N] [--mem BYTES]`. It picks devices as llama.cpp's
rpc-server does (every GPU, else the CPU), prints what it offers, then hands the
process to ggml_backend_rpc_start_server, which never returns while it serves. That
function prints "Accepted client connection" and "Client connection closed" for each
peer, without the peer's address (ggml does not report it); those lines pass through.
"""

from __future__ import annotations

import argparse
import ctypes
import signal
import sys
from collections.abc import Sequence

MIB = 1024 * 1024


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--cache", default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--mem", type=int, default=None, help="bytes offered per device")
    args = parser.parse_args(argv)
    from spark_desktop.engine import rpc_lib  # loads libggml-rpc: this child only

    devices = rpc_lib.serving_devices(rpc_lib.local_devices())
    if not devices:
        print("error: this llama.cpp build has no device to serve", file=sys.stderr)
        return 1
    if args.mem is not None:
        try:
            devices = [rpc_lib.cap_memory(d, args.mem) for d in devices]
        except rpc_lib.RpcUnavailableError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    print(f"serving on {args.endpoint} (llama.cpp RPC, protocol v{rpc_lib.PROTOCOL})")
    for dev in devices:
        print(f"  offers {dev.name}: {dev.description}, {dev.free // MIB} MiB free "
              f"of {dev.total // MIB} MiB")
    if args.mem is not None:
        print(f"  memory offered is capped at {args.mem // MIB} MiB per device (--mem)")
    print(f"  tensor cache: {args.cache or 'off'}")
    print("connections are reported below as they open and close (llama.cpp does not "
          "say which peer)", flush=True)
    handles = (ctypes.c_void_p * len(devices))(*(d.handle for d in devices))
    # Ctrl-C and SIGTERM end the process at once: Python's handlers cannot run while
    # the server loop holds the thread inside the library.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    rpc_lib.RPC.ggml_backend_rpc_start_server(
        args.endpoint.encode(), args.cache.encode() if args.cache else None,
        max(1, args.threads), len(devices), handles)
    # It returns only when it could not start (port taken, address not ours).
    print(f"error: the RPC server could not listen on {args.endpoint} (is the port in "
          "use, or the address not one of this machine's?)", file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
