"""Throughput and latency through the API server (skeleton for the batching work).

Starts a host and an API server on 127.0.0.1 (ephemeral port) over the Gemma 3 270M
test model (unless --model), greedy, and measures with the official `openai` client:

- aggregate decode tokens/s of B = 1, 2, 4, 8 concurrent streams: every completion
  token of the B streams over the wall time from the first request sent to the last
  stream ended (today the engine answers one stream per model at a time, so B > 1
  queues; the ratio B=4 / B=1 shows what batching will have to lift);
- time to first token of a new request while 3 streams run (today: it waits for them).

llama.cpp's own multi-sequence decode in-process (the reference of issue 13) is
measured on the engine side by the batching work; this script prints the server side.

Run: python benchmarks/serve_bench.py [--model PATH] [--tokens 32] [--batches 1,2,4,8]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spark_desktop.host import HostSettings, ModelHost
from spark_desktop.inference_settings import LoadSettings
from spark_desktop.server import ApiServer, ServerConfig
from tests.fixtures.real_model import real_model_path

QUESTION = "Question {}: write a long story about a lighthouse keeper and the sea."


def stream_one(client, model: str, n: int, tokens: int, sent: float) -> tuple[int, float]:
    """(completion tokens, seconds from `sent` to the first content) of one stream."""
    first = 0.0
    count = 0
    chunks = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": QUESTION.format(n)}],
        max_tokens=tokens, temperature=0, stream=True, stream_options={"include_usage": True})
    for chunk in chunks:
        if chunk.usage is not None:
            count = chunk.usage.completion_tokens
        if not first and any(c.delta.content for c in chunk.choices):
            first = time.perf_counter() - sent
    return count, first


def aggregate(client, model: str, streams: int, tokens: int, seq: list[int]) -> float:
    totals: list[int] = []
    started = time.perf_counter()

    def run() -> None:
        seq[0] += 1
        totals.append(stream_one(client, model, seq[0], tokens, time.perf_counter())[0])

    threads = [threading.Thread(target=run) for _ in range(streams)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(totals) / (time.perf_counter() - started)


def ttft_under_load(client, model: str, tokens: int, seq: list[int]) -> float:
    """TTFT of a 4th request sent once 3 streams are running."""
    background = [threading.Thread(target=stream_one,
                                   args=(client, model, 900 + i, tokens, time.perf_counter()))
                  for i in range(3)]
    for t in background:
        t.start()
    time.sleep(0.5)  # let the three start
    seq[0] += 1
    _count, first = stream_one(client, model, seq[0], 8, time.perf_counter())
    for t in background:
        t.join()
    return first


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--batches", default="1,2,4,8")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    import openai

    model_path = (args.model or real_model_path()).resolve()
    batches = [int(b) for b in args.batches.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        models = Path(tmp) / "models"
        models.mkdir()
        (models / model_path.name).symlink_to(model_path)
        os.environ["SPARK_DESKTOP_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ["SPARK_DESKTOP_MODELS_DIR"] = str(models)
        options = LoadSettings(n_ctx=2048, threads=args.threads)
        with ModelHost(HostSettings(load_options=options, queue_limit=64)) as host:
            model_id = host.models()[0].id
            host.load(model_id)
            with ApiServer(host, ServerConfig(port=0)) as server:
                client = openai.OpenAI(base_url=server.url + "/v1", api_key="-", max_retries=0)
                seq = [0]
                stream_one(client, model_id, 0, 4, time.perf_counter())  # warm up
                print(f"model {model_id}, {args.tokens} tokens per stream, greedy, "
                      f"load average {os.getloadavg()[0]:.1f} on {psutil.cpu_count()} CPUs")
                rates = {}
                for b in batches:
                    rates[b] = aggregate(client, model_id, b, args.tokens, seq)
                    print(f"B={b}: aggregate {rates[b]:.1f} tok/s")
                if 1 in rates and 4 in rates:
                    print(f"B=4 / B=1 through the server: {rates[4] / rates[1]:.2f}")
                ttft = ttft_under_load(client, model_id, args.tokens, seq)
                print(f"TTFT of a new request while 3 streams run: {ttft * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
