"""`spark-desktop serve`: the model host behind an OpenAI-, Anthropic- and Ollama-shaped
API. Loopback by default; another address needs a key. One host per machine: when
one already runs, this command says where instead of loading models a second time."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from spark_desktop.errors import SparkError

DEFAULT_PORT = 8484


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the `serve` sub-command to the parser."""
    p = subparsers.add_parser("serve", parents=[common],
                              help="serve local models over an OpenAI-compatible API")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default loopback)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    keys = p.add_mutually_exclusive_group()
    keys.add_argument("--api-key", metavar="KEY", help="require this key from every client")
    keys.add_argument("--api-keys-file", metavar="FILE", type=Path,
                      help="named keys, one `name key` per line; edits apply without a restart")
    p.add_argument("--parallel", type=int, default=None, metavar="N",
                   help="requests each model answers at once, decoded together (default: 4 "
                        "on a GPU or unified-memory machine, else 2)")
    p.add_argument("--idle-unload", type=float, default=60.0, metavar="MIN",
                   help="unload a model after this many idle minutes (0: never; default 60)")
    p.add_argument("--ctx", type=int, default=4096, metavar="N",
                   help="context of each request (the KV cache holds N × parallel tokens)")
    p.add_argument("--evict", action="store_true",
                   help="unload the least recently used idle model when a new one does not fit")
    p.add_argument("--queue", type=int, default=16, metavar="N",
                   help="requests that may wait per model before 429 (default 16)")
    p.add_argument("--rpc", metavar="HOST:PORT[,HOST:PORT...]",
                   help="load every model split over these llama.cpp RPC peers "
                        "(spark-desktop rpc-server) and this machine")
    p.add_argument("--cors-origin", action="append", default=[], metavar="ORIGIN",
                   help="allow browser pages from this origin (repeatable; default none)")
    p.add_argument("--save-history", action="store_true",
                   help="save API conversations to the chat history, tagged with the key's "
                        "name (default: not saved)")
    p.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace) -> int:
    from spark_desktop.host import HostSettings, ModelHost, discovery
    from spark_desktop.inference_settings import LoadSettings
    from spark_desktop.server import ApiServer, KeyRing, ServerConfig

    if args.port < 0 or args.port > 65535:
        raise SparkError(f"Port {args.port} is not a port number (0-65535).")
    running = discovery.running()
    if running is not None:
        raise SparkError(f"A model host already runs on this machine at {running.url} "
                         f"(process {running.pid}); use it instead of starting a second one.")
    parallel = args.parallel or default_parallel()
    if not 1 <= parallel <= 64:
        raise SparkError(f"--parallel {parallel}: use 1 to 64 requests per model.")
    peers, pool = (), None
    if args.rpc:  # probed now: an unreachable peer is an error before anything listens
        from spark_desktop.engine.peers import parse_peer_list, with_peers
        from spark_desktop.hardware import resolve_target

        peers = parse_peer_list(args.rpc)
        pool = with_peers(resolve_target("this"), peers).total_bytes
    ring = KeyRing(keys={args.api_key: "cli"} if args.api_key else None,
                   keys_file=args.api_keys_file, host_key=discovery.host_token())
    history = None
    if args.save_history:
        from spark_desktop.history.runner import HistoryRunner
        from spark_desktop.server.recorder import ApiRecorder

        history = HistoryRunner()
        try:
            history.call(lambda store: None)  # opened now: a key problem shows before listening
        except BaseException:
            history.close()
            raise
    config = ServerConfig(host=args.host, port=args.port, keys=ring,
                          cors_origins=tuple(args.cors_origin),
                          recorder=ApiRecorder(history) if history else None)
    settings = HostSettings(idle_unload_s=args.idle_unload * 60 if args.idle_unload > 0 else None,
                            evict_lru=args.evict, queue_limit=args.queue, slots=parallel,
                            pool_bytes=pool,
                            load_options=LoadSettings(n_ctx=args.ctx * parallel, rpc_peers=peers))
    with ModelHost(settings) as host:
        server = ApiServer(host, config, announce=True)
        host.start_reaper()
        print(f"Serving {len(host.models())} local models at {server.url}/v1, {parallel} "
              "requests per model at once "
              f"({'key required' if ring.required else 'no key: loopback only'}; "
              f"{'saved' if history else 'not saved'} to history). Ctrl-C stops.",
              file=sys.stderr)
        try:
            server.serve()
        finally:
            if history is not None:
                history.close()
    return 0


def default_parallel() -> int:
    """Slots per model when --parallel is not given: 4 where a GPU or unified memory runs
    the model (decode is bandwidth-bound, batching is nearly free), 2 on a CPU."""
    from spark_desktop.hardware.probe import probe

    machine = probe()
    return 4 if machine.gpus or machine.unified_memory else 2
