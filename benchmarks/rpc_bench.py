"""Local vs split over two loopback RPC peers: decode and prefill tokens/s, the hop cost.

    .venv/bin/python benchmarks/rpc_bench.py [--tokens 48] [--repeats 2]

Starts two `spark-desktop rpc-server` processes on 127.0.0.1 (CPU backends, one thread
each), then loads the Gemma 3 270M test model through the engine worker twice, one
thread each time: on this process alone (every layer on the CPU), and split three ways
(layers 0-6 here, 7-17 and the output over the two peers), alternating, `--repeats`
times. It prints the measured tokens/s, the per-token cost of each hop
((1/split - 1/local) / hops, hops = nodes - 1, the estimator's own count), and
fit.estimate's RPC_HOP_S beside it. Loopback has no wire latency, so the figure is
llama.cpp's RPC overhead per node per token (serialising the graph, the round trips,
the scheduler), which ConnectX-7 adds only its few microseconds to. Three processes
take turns for every token, so on a machine with fewer free cores than nodes the figure
is mostly the OS scheduler's wait, not RPC: read it with the load average. The round
trip printed beside it is the cleaner figure: per token and node, llama.cpp sends about
ten set_tensor commands, one graph_recompute and one get_tensor, the only one that waits
for an answer (counted with GGML_RPC_DEBUG=1 on a server). Then, on paper,
the estimator's tokens/s for Llama 3.1 405B Q4_K_M and Qwen3-235B-A22B Q8_0 on two
DGX Sparks (target spark2), from header-only stand-ins with their real shapes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import gguf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from screenshots import COMMON, _type_of, stub  # tools/ is not a package

from spark_desktop.engine import ChatDone, Client
from spark_desktop.engine.peers import child_env
from spark_desktop.fit import estimate
from spark_desktop.fit.estimate import RPC_HOP_S
from spark_desktop.gguf import read_model
from spark_desktop.hardware.targets import resolve_target
from spark_desktop.inference_settings import LoadSettings, SamplingSettings
from tests.fixtures.header_only import dense_tensors, write_header_only
from tests.fixtures.real_model import real_model_path
from tests.test_rpc import free_port, start_server, stop

PROMPT = ("Here are some notes about lighthouses. " + " ".join(
    f"Note {i}: the keeper climbs the stairs, trims the wick and watches the sea."
    for i in range(12)) + " Now write a long story about the keeper.")
ROUND_TRIPS = 2000
LOCAL = LoadSettings(n_ctx=1024, n_batch=512, n_ubatch=512, threads=1, n_gpu_layers=0,
                     chat_template="gemma", use_mmap=False)


def run(client: Client, settings: LoadSettings, tokens: int, n: int) -> ChatDone:
    client.load(real_model_path(), settings)
    sampling = SamplingSettings(temperature=0, max_tokens=tokens, ignore_eos=True)
    messages = [{"role": "user", "content": f"Question {n}. {PROMPT}"}]
    return next(e for e in client.chat(messages, sampling) if isinstance(e, ChatDone))


def measure(tokens: int, repeats: int, logs: Path) -> None:
    ports = (free_port(), free_port())
    servers = [start_server(p, logs / f"server-{p}.log") for p in ports]
    split = replace(LOCAL, n_gpu_layers=12, rpc_peers=tuple(f"127.0.0.1:{p}" for p in ports))
    figures: dict[str, list[ChatDone]] = {"local": [], "split": []}
    try:
        rtt = round_trip(split.rpc_peers[0])
        with Client(log_path=logs / "engine.log") as client:
            for n in range(repeats):
                for name, settings in (("local", LOCAL), ("split", split)):
                    figures[name].append(run(client, settings, tokens, n))
    finally:
        for server in servers:
            stop(server)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; Gemma 3 270M "
          f"Q4_K_M, {figures['local'][0].prompt_tokens}-token prompt, {tokens} tokens, "
          "1 thread per node")
    med = {}
    for name, runs in figures.items():
        dec = statistics.median(r.decode_tps for r in runs)
        pre = statistics.median(r.prefill_tps for r in runs)
        med[name] = dec
        print(f"  {name:<6} decode {dec:6.1f} t/s   prefill {pre:6.1f} t/s   "
              f"(decode runs: {', '.join(f'{r.decode_tps:.1f}' for r in runs)})")
    hops = 2  # this process and two peers hold layers
    hop = (1 / med["split"] - 1 / med["local"]) / hops
    print(f"  hop cost per node per token: {hop * 1000:.2f} ms measured on loopback; "
          f"fit.estimate RPC_HOP_S = {RPC_HOP_S * 1000:.2f} ms")
    print(f"  one RPC command and its answer on loopback: {rtt * 1e6:.0f} us (median of "
          f"{ROUND_TRIPS}; a token crosses each node with a few of them)")


def round_trip(endpoint: str) -> float:
    """Seconds of one RPC round trip to `endpoint` (engine.rpc_probe, in a child)."""
    done = subprocess.run([sys.executable, "-m", "spark_desktop.engine.rpc_probe", endpoint,
                           str(ROUND_TRIPS)], capture_output=True, text=True, timeout=120,
                          check=True, env=child_env())
    return float(json.loads(done.stdout.strip().splitlines()[-1])["round_trip_s"])


def predictions(directory: Path) -> None:
    """The estimator on paper: the two models that need two Sparks."""
    target = resolve_target("spark2")
    n_layer = 126
    llama = write_header_only(
        directory / "Llama-3.1-405B-Instruct-Q4_K_M.gguf", "llama",
        {**COMMON, "embedding_length": 16384, "block_count": n_layer,
         "feed_forward_length": 53248, "attention.head_count": 128,
         "attention.head_count_kv": 8, "attention.key_length": 128,
         "attention.value_length": 128, "rope.dimension_count": 128},
        dense_tensors(n_layer, 16384, 128, 8, 128, 53248, 128256, tied=False, qk_norm=False),
        n_vocab=128256, context=131072,
        type_of=lambda name, ne: _type_of(name, ne, "Q4_K_M", n_layer, False),
        file_type=gguf.LlamaFileType.MOSTLY_Q4_K_M, parts=5)
    qwen = stub(directory, "qwen3-235b-a22b", "Q8_0", "Qwen3-235B-A22B-Q8_0.gguf", parts=6)
    print(f"on paper, two DGX Sparks over ConnectX-7 (target spark2, RPC_HOP_S "
          f"{RPC_HOP_S * 1000:.2f} ms per extra node per token):")
    for label, path in (("Llama 3.1 405B Q4_K_M", llama[0]), ("Qwen3-235B-A22B Q8_0", qwen[0])):
        spec = read_model(path)
        for ctx in (8192, 32768):
            e = estimate(spec, LoadSettings(n_ctx=ctx), target)
            pools = ", ".join(f"{u.total / 1024**3:.0f}/{u.available / 1024**3:.0f} GiB"
                              for u in e.pools)
            print(f"  {label:<22} ctx {ctx:>6}: {e.verdict.value:<13} (largest context "
                  f"{e.max_context}) decode "
                  f"{e.decode_tps:5.1f} t/s, prefill {e.prefill_tps:6.0f} t/s "
                  f"(depth {ctx // 2}; per node {pools})")
            print(f"    {e.reason}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--paper-only", action="store_true",
                        help="print only the estimator's figures for two Sparks")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if not args.paper_only:
            measure(args.tokens, args.repeats, Path(tmp))
        predictions(Path(tmp) / "stubs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
