"""The peer probe child: connect to one RPC server and print its devices as JSON.

Started by engine.peers.probe_peer as `python -m spark_desktop.engine.rpc_probe
HOST:PORT`, with a timeout: ggml's RPC client has none (a peer that accepts and says
nothing blocks it forever) and aborts the process when it cannot connect, so a probe
must never run in the app's process. Prints one JSON line on success.
"""

from __future__ import annotations

import json
import sys


def main(argv: list[str]) -> int:
    from spark_desktop.engine import rpc_lib

    (endpoint,) = argv
    devices = rpc_lib.peer_devices(endpoint)
    print(json.dumps({"endpoint": endpoint,
                      "devices": [d.to_dict() for d in devices]}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
