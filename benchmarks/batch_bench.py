"""Continuous batching through the engine ÷ llama.cpp's own multi-sequence decode.

For B = 1, 2, 4, 8 concurrent greedy streams (different prompts, ignore EOS):
aggregate decode tokens/s through our Client (B threads, one worker with n_seq
slots) and in-process with llama.cpp's low-level API (one llama_decode per step
over the B sequences, a greedy sampler per sequence, same model and settings).
Aggregate = tokens that arrive while all B streams are decoding ÷ that window.
Target: client ÷ in-process >= 0.9 at every B. Also: time to first token of a
new request while B-1 streams run (through the client). The two sides run
interleaved per B, so machine noise hits both alike; the load average is printed.

Run: python benchmarks/batch_bench.py [--model PATH] [--tokens 48] [--batches 1 2 4 8]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spark_desktop.engine import ChatDone, Client, TextDelta
from spark_desktop.inference_settings import LoadSettings, SamplingSettings
from tests.fixtures.real_model import real_model_path

TEMPLATE = "<start_of_turn>user\n{}<end_of_turn>\n<start_of_turn>model\n"
QUESTION = "Question {}: write a long story about a lighthouse keeper and the sea."


class Reference:
    """llama.cpp alone: one context with n_seq sequences, B of them decoding per step."""

    def __init__(self, model: Path, options: LoadSettings) -> None:
        import llama_cpp

        self.lc = llama_cpp
        llama_cpp.llama_backend_init()
        mparams = llama_cpp.llama_model_default_params()
        self.model = llama_cpp.llama_model_load_from_file(str(model).encode(), mparams)
        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx, cparams.n_batch, cparams.n_ubatch = (options.n_ctx, options.n_batch,
                                                            options.n_ubatch)
        cparams.n_seq_max, cparams.kv_unified = options.n_seq, False
        cparams.n_threads = cparams.n_threads_batch = options.threads or 1
        cparams.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
        cparams.no_perf = True
        self.ctx = llama_cpp.llama_init_from_model(self.model, cparams)
        self.vocab = llama_cpp.llama_model_get_vocab(self.model)
        self.batch = llama_cpp.llama_batch_init(options.n_batch, 0, 1)

    def tokenize(self, text: str) -> list[int]:
        data = text.encode()
        buf = (self.lc.llama_token * (len(data) + 16))()
        n = self.lc.llama_tokenize(self.vocab, data, len(data), buf, len(buf), True, True)
        return list(buf[:n])

    def _decode(self, items: list[tuple[int, int, int, bool]]) -> None:
        b = self.batch
        for i, (token, pos, seq, logits) in enumerate(items):
            b.token[i], b.pos[i], b.n_seq_id[i], b.logits[i] = token, pos, 1, logits
            b.seq_id[i][0] = seq
        b.n_tokens = len(items)
        assert self.lc.llama_decode(self.ctx, b) == 0

    def run(self, prompts: list[str], n_tokens: int) -> tuple[float, float]:
        """Aggregate decode tokens/s of len(prompts) sequences, n_tokens each, and
        generated tokens per CPU second, prefill included (immune to other processes' load)."""
        lc = self.lc
        cpu = time.process_time()
        lc.llama_memory_clear(lc.llama_get_memory(self.ctx), True)
        samplers, positions, pending = [], [], []
        for seq, prompt in enumerate(prompts):  # prefill, one sequence at a time
            tokens = self.tokenize(TEMPLATE.format(prompt))
            self._decode([(t, p, seq, p == len(tokens) - 1) for p, t in enumerate(tokens)])
            chain = lc.llama_sampler_chain_init(lc.llama_sampler_chain_default_params())
            lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_greedy())
            samplers.append(chain)
            pending.append(lc.llama_sampler_sample(chain, self.ctx, len(tokens) - 1))
            positions.append(len(tokens))
        started = time.perf_counter()
        for _step in range(n_tokens - 1):
            self._decode([(pending[s], positions[s], s, True) for s in range(len(prompts))])
            for s in range(len(prompts)):
                positions[s] += 1
                token = lc.llama_sampler_sample(samplers[s], self.ctx, s)
                lc.llama_token_to_piece(self.vocab, token, _PIECE, len(_PIECE), 0, True)
                pending[s] = token
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        for chain in samplers:
            lc.llama_sampler_free(chain)
        return len(prompts) * (n_tokens - 1) / elapsed, len(prompts) * n_tokens / cpu


_PIECE = ctypes.create_string_buffer(256)


def client_run(client: Client, prompts: list[str], n_tokens: int) -> tuple[float, float]:
    """Aggregate decode tokens/s of len(prompts) concurrent streams through the client,
    and generated tokens per CPU second of worker and caller together, prefill included."""
    sampling = SamplingSettings(temperature=0.0, max_tokens=n_tokens, ignore_eos=True)
    arrivals: list[list[float]] = [[] for _ in prompts]
    barrier = threading.Barrier(len(prompts))

    def stream(i: int) -> None:
        barrier.wait()
        for event in client.chat([{"role": "user", "content": prompts[i]}], sampling):
            if isinstance(event, TextDelta):
                arrivals[i].append(time.perf_counter())
            elif isinstance(event, ChatDone):
                assert event.completion_tokens == n_tokens, event

    worker = psutil.Process(client.worker_pid)
    cpu = time.process_time() + sum(worker.cpu_times()[:2])
    threads = [threading.Thread(target=stream, args=(i,)) for i in range(len(prompts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cpu = time.process_time() + sum(worker.cpu_times()[:2]) - cpu
    begin = max(times[0] for times in arrivals)  # every stream is decoding from here
    end = min(times[-1] for times in arrivals)  # to here
    count = sum(1 for times in arrivals for t in times if begin < t <= end)
    return count / (end - begin), len(prompts) * n_tokens / cpu


def ttft_beside(client: Client, running: int, n_tokens: int) -> float:
    """Seconds to the first token of a new request while `running` streams decode."""
    stop = threading.Event()
    started = threading.Barrier(running + 1)

    def stream(i: int) -> None:
        sampling = SamplingSettings(temperature=0.0, max_tokens=4 * n_tokens, ignore_eos=True)
        for seen, event in enumerate(client.chat(
                [{"role": "user", "content": QUESTION.format(f"bg{i}")}], sampling)):
            if seen == 2:
                started.wait()
            if stop.is_set():
                break

    threads = [threading.Thread(target=stream, args=(i,)) for i in range(running)]
    for thread in threads:
        thread.start()
    started.wait()
    asked = time.perf_counter()
    first = 0.0
    for event in client.chat([{"role": "user", "content": QUESTION.format("new")}],
                             SamplingSettings(temperature=0.0, max_tokens=2)):
        if not first and isinstance(event, TextDelta | ChatDone):
            first = time.perf_counter()
    stop.set()
    for thread in threads:
        thread.join()
    return first - asked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--tokens", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 2, 4, 8])
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    model = args.model or real_model_path()
    n_seq = max(args.batches)
    options = LoadSettings(n_ctx=512 * n_seq, n_batch=512, n_ubatch=512, flash_attn="off",
                          threads=args.threads, n_seq=n_seq).resolved()
    print(f"model {model.name}; n_ctx {options.n_ctx} over n_seq {n_seq}, n_batch 512, "
          f"n_ubatch 512, flash attention off, {options.threads} threads, greedy, "
          f"{args.tokens} tokens per stream; load average {os.getloadavg()}", flush=True)
    reference = Reference(model, options)
    client = Client(log_path=Path(tempfile.mkdtemp(prefix="batch-bench-")) / "engine.log")
    client.load(model, options)
    reference.run([QUESTION.format("warm")], 4)
    client_run(client, [QUESTION.format("warm")], 4)
    ours_by_b = {}
    for b in args.batches:
        refs, ours = [], []
        for r in range(args.repeats):
            prompts = [QUESTION.format(f"{b}-{r}-{i}") for i in range(b)]
            refs.append(reference.run(prompts, args.tokens))
            ours.append(client_run(client, prompts, args.tokens))
        ref, our = (statistics.median(x[0] for x in refs), statistics.median(x[0] for x in ours))
        ref_cpu = statistics.median(x[1] for x in refs)
        our_cpu = statistics.median(x[1] for x in ours)
        ours_by_b[b] = our
        print(f"B={b}: llama.cpp in-process {ref:7.2f} tok/s   client {our:7.2f} tok/s   "
              f"ratio {our / ref:.3f} (target >= 0.9)   per CPU second: in-process "
              f"{ref_cpu:.2f}, worker+client {our_cpu:.2f}, ratio {our_cpu / ref_cpu:.3f}   "
              f"(runs: {[round(x[0], 2) for x in refs]} vs {[round(x[0], 2) for x in ours]})",
              flush=True)
    if 4 in ours_by_b and 1 in ours_by_b:
        print(f"aggregate B=4 / B=1 through the client: {ours_by_b[4] / ours_by_b[1]:.2f}")
    if n_seq >= 4:
        ttft = ttft_beside(client, 3, args.tokens)
        print(f"time to first token of a new request beside 3 running streams: "
              f"{ttft * 1e3:.1f} ms")
    client.close()
    print(f"load average after {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
