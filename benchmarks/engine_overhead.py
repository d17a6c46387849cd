"""What the worker process costs compared with llama-cpp-python used in-process.

Same model (the Gemma 3 270M test model unless --model), same settings, same
prompts, greedy. Runs the two sides interleaved so machine noise hits both alike
and prints medians and ratios measured in this one run:

- decode tokens/s over >= 128 generated tokens (target: worker >= 0.97 x in-process),
  timed at the caller: first streamed token to the last (worker: to its final event);
- time to first token, call to first token, fresh prompt each time (target: <= 15 ms more);
- cancel latency: cancel() to the final "cancelled" event at the caller (target < 100 ms);
- load time: "cold" = a fresh worker process (Python start, import llama_cpp, load;
  the OS page cache still holds the file, dropping it needs root), "warm" = a load
  in a worker that is already running, and the in-process Llama() for comparison.

Run: python benchmarks/engine_overhead.py [--model PATH] [--tokens 128] [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spark_desktop.engine import ChatDone, Client
from spark_desktop.inference_settings import LoadSettings, SamplingSettings
from tests.fixtures.real_model import real_model_path

TEMPLATE = "<start_of_turn>user\n{}<end_of_turn>\n<start_of_turn>model\n"
QUESTION = "Question {}: write a long story about a lighthouse keeper and the sea."


def reference_run(llm, prompt: str, n_tokens: int) -> tuple[float, float, float]:
    """In-process: (ttft seconds, decode tokens/s, CPU seconds) for one greedy generation."""
    cpu = time.process_time()
    started = time.perf_counter()
    tokens = llm.tokenize(prompt.encode(), add_bos=True, special=True)
    first = last = 0.0
    count = 0
    for _token in llm.generate(tokens, temp=0.0, reset=True):
        now = time.perf_counter()
        if count == 0:
            first = now
        last = now
        count += 1
        if count == n_tokens:
            break
    return first - started, (count - 1) / (last - first), time.process_time() - cpu


def worker_run(client: Client, question: str,
               n_tokens: int) -> tuple[float, float, float, ChatDone]:
    """Through the worker: (ttft seconds, decode tokens/s, CPU seconds of worker and caller,
    final event), timed by the caller."""
    sampling = SamplingSettings(temperature=0.0, max_tokens=n_tokens, ignore_eos=True)
    worker = psutil.Process(client.worker_pid)
    cpu = time.process_time() + sum(worker.cpu_times()[:2])
    started = time.perf_counter()
    first = 0.0
    for event in client.chat([{"role": "user", "content": question}], sampling):
        now = time.perf_counter()
        if isinstance(event, ChatDone):
            used = time.process_time() + sum(worker.cpu_times()[:2]) - cpu
            return first - started, (event.completion_tokens - 1) / (now - first), used, event
        if not first:
            first = now
    raise RuntimeError("no final event")


def cancel_latency(client: Client, question: str) -> float:
    """Seconds from cancel() to the final event, cancelling after the 10th token."""
    sampling = SamplingSettings(temperature=0.0, max_tokens=2000, ignore_eos=True)
    asked = 0.0
    events = client.chat([{"role": "user", "content": question}], sampling)
    for seen, event in enumerate(events, start=1):
        if isinstance(event, ChatDone):
            assert event.finish_reason == "cancelled", event
            return time.perf_counter() - asked
        if seen == 10:
            asked = time.perf_counter()
            threading.Thread(target=client.cancel).start()
    raise RuntimeError("no final event")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--tokens", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--ctx", type=int, default=2048)
    parser.add_argument("--threads", type=int, default=None,
                        help="1 makes CPU time per token a contention-proof overhead measure")
    args = parser.parse_args()
    model = args.model or real_model_path()

    import llama_cpp

    options = LoadSettings(n_ctx=args.ctx, n_batch=512, n_ubatch=512, flash_attn="off",
                          threads=args.threads).resolved()
    print(f"model {model.name}; n_ctx {options.n_ctx}, n_batch 512, n_ubatch 512, flash "
          f"attention off, {options.threads} threads, mmap {options.use_mmap}, greedy, "
          f"{args.tokens} tokens, {args.repeats} repeats (medians)", flush=True)

    log_dir = Path(tempfile.mkdtemp(prefix="engine-bench-"))
    t0 = time.perf_counter()
    llm = llama_cpp.Llama(str(model), n_ctx=options.n_ctx, n_batch=512, n_ubatch=512,
                          n_threads=options.threads, n_threads_batch=options.threads,
                          flash_attn=False, use_mmap=bool(options.use_mmap), verbose=False)
    inproc_load = time.perf_counter() - t0

    colds, warms = [], []
    for i in range(args.repeats):
        t0 = time.perf_counter()
        with Client(log_path=log_dir / f"cold{i}.log") as client:
            client.load(model, options)
            colds.append(time.perf_counter() - t0)
        with Client(log_path=log_dir / f"warm{i}.log") as client:
            client.start()
            t0 = time.perf_counter()
            client.load(model, options)
            warms.append(time.perf_counter() - t0)

    print(f"loads done: cold {colds}, warm {warms}", flush=True)
    client = Client(log_path=log_dir / "bench.log")
    client.load(model, options)
    ref_ttft, ref_tps, w_ttft, w_tps, w_inner, ref_cpu, w_cpu = [], [], [], [], [], [], []
    reference_run(llm, TEMPLATE.format(QUESTION.format("warm-up")), 8)
    worker_run(client, QUESTION.format("warm-up"), 8)
    for i in range(args.repeats):
        question = QUESTION.format(f"{i:03d}")
        ttft, tps, cpu = reference_run(llm, TEMPLATE.format(question), args.tokens)
        ref_ttft.append(ttft)
        ref_tps.append(tps)
        ref_cpu.append(cpu)
        ttft, tps, cpu, done = worker_run(client, question, args.tokens)
        w_ttft.append(ttft)
        w_tps.append(tps)
        w_cpu.append(cpu)
        w_inner.append(done.decode_tps)
        assert done.completion_tokens == args.tokens, done
        print(f"repeat {i}: in-process {ref_tps[-1]:.2f} tok/s ttft {ref_ttft[-1] * 1e3:.1f} ms; "
              f"worker {w_tps[-1]:.2f} tok/s ttft {w_ttft[-1] * 1e3:.1f} ms", flush=True)
    round_trips = []
    for i in range(20):
        t0 = time.perf_counter()
        client.count_tokens([{"role": "user", "content": QUESTION.format(i)}])
        round_trips.append(time.perf_counter() - t0)
    cancels = [cancel_latency(client, QUESTION.format(f"c{i}")) for i in range(args.repeats)]
    client.close()

    med = statistics.median
    print(f"decode tok/s   in-process {med(ref_tps):7.2f}   worker {med(w_tps):7.2f} "
          f"(worker's own count {med(w_inner):.2f})   ratio {med(w_tps) / med(ref_tps):.3f}"
          f"   (target >= 0.97)")
    print(f"decode tok/s per repeat   in-process {[round(x, 2) for x in ref_tps]}   "
          f"worker {[round(x, 2) for x in w_tps]}")
    print(f"TTFT ms        in-process {med(ref_ttft) * 1e3:7.1f}   worker {med(w_ttft) * 1e3:7.1f}"
          f"   overhead {(med(w_ttft) - med(ref_ttft)) * 1e3:+.1f} ms   (target <= 15)")
    print(f"CPU s per token   in-process {med(ref_cpu) / args.tokens * 1e3:.2f} ms   worker+caller "
          f"{med(w_cpu) / args.tokens * 1e3:.2f} ms   ratio in-process/worker "
          f"{med(ref_cpu) / med(w_cpu):.3f}   (contention-proof with --threads 1)")
    print(f"request round trip (count_tokens: send, template, tokenize, reply) ms   median "
          f"{med(round_trips) * 1e3:.2f}   min {min(round_trips) * 1e3:.2f}")
    print(f"cancel latency ms   median {med(cancels) * 1e3:.1f}   max {max(cancels) * 1e3:.1f}"
          f"   (target <= 100)")
    print(f"load s   cold (fresh worker process) {med(colds):.3f}   warm (running worker) "
          f"{med(warms):.3f}   in-process Llama() {inproc_load:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
