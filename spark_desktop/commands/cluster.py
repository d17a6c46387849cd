"""`spark-desktop rpc-server`: serve this machine's llama.cpp backend to a cluster peer,
and `spark-desktop peers`: probe peers (reachable, devices, free memory)."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the cluster sub-commands."""
    from spark_desktop.engine.peers import DEFAULT_PORT

    p = subparsers.add_parser(
        "rpc-server", parents=[common],
        help="serve this machine's backend to another machine's app (llama.cpp RPC)",
        description="Serve this machine's llama.cpp backend (CUDA on a Spark, CPU elsewhere) "
                    "to a peer that loads a model across machines with --rpc HOST:PORT. The "
                    "RPC protocol has no authentication: it listens on 127.0.0.1 unless "
                    "--host names another address, which must be on a private link.")
    p.add_argument("--host", default="127.0.0.1", metavar="ADDR",
                   help="address to listen on (default 127.0.0.1; e.g. the ConnectX link's)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, metavar="PORT",
                   help=f"TCP port (default {DEFAULT_PORT})")
    p.add_argument("--cache", action="store_true",
                   help="keep the tensors peers send in a local cache, so a reload of the "
                        "same model skips the network")
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="CPU threads when serving the CPU (default: physical cores)")
    p.add_argument("--mem", type=float, default=None, metavar="GiB",
                   help="offer at most this much memory per device: peers place layers and "
                        "plan by it (default: the device's free memory)")
    p.set_defaults(handler=_serve)

    q = subparsers.add_parser("peers", parents=[common],
                              help="probe RPC peers: reachable, devices, free memory")
    q.add_argument("rpc", metavar="HOST:PORT[,HOST:PORT...]")
    q.add_argument("--timeout", type=float, default=None, metavar="S",
                   help="seconds to wait for each peer (default 10)")
    q.add_argument("--json", action="store_true", help="print one JSON object")
    q.set_defaults(handler=_peers)


def _serve(args: argparse.Namespace) -> int:
    from spark_desktop import paths
    from spark_desktop.engine.peers import PeerError, run_server
    from spark_desktop.inference_settings import default_threads

    if not 0 < args.port < 65536:
        raise PeerError(f"Port {args.port} is not a TCP port (1-65535).", str(args.port))
    if args.mem is not None and not args.mem > 0:
        raise PeerError(f"--mem {args.mem:g} is not a size: give GiB above 0, e.g. --mem 96.",
                        f"{args.host}:{args.port}")
    cache = paths.rpc_cache_dir() if args.cache else None
    mem = None if args.mem is None else int(args.mem * 1024**3)
    run_server(args.host, args.port, cache, args.threads or default_threads(), mem)


def _peers(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from spark_desktop.engine.peers import PROBE_TIMEOUT_S, parse_peer_list, probe_peers

    found = probe_peers(parse_peer_list(args.rpc), args.timeout or PROBE_TIMEOUT_S)
    if args.json:
        print(json.dumps({"peers": [asdict(p) for p in found]}))
        return 0
    for peer in found:
        for dev in peer.devices:
            print(f"{peer.endpoint}  {dev.name}: {dev.free / 1024**3:.1f} GiB free of "
                  f"{dev.total / 1024**3:.1f} GiB")
    print("(llama.cpp's RPC reports a peer's memory, not what kind of device it is)")
    return 0
