"""The peer probe child: connect to one RPC server and print its devices as JSON.

Started by engine.peers.probe_peer as `python -m spark_desktop.engine.rpc_probe
HOST:PORT [ROUND_TRIPS]`, with a timeout: ggml's RPC client has none (a peer that accepts and says
nothing blocks it forever) and aborts the process when it cannot connect, so a probe
must never run in the app's process. Prints one JSON line on success; with ROUND_TRIPS
it also times that many RPC commands on one connection (benchmarks/rpc_bench.py).
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    from spark_desktop.engine import rpc_lib

    endpoint, *rest = argv
    devices = rpc_lib.peer_devices(endpoint)
    result: dict[str, object] = {"endpoint": endpoint,
                                 "devices": [d.to_dict() for d in devices]}
    if rest:
        result["round_trip_s"] = rpc_lib.round_trip_seconds(endpoint, int(rest[0]))
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
