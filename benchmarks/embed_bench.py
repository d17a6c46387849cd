"""Embedding throughput through the engine worker, against llama.cpp alone in this process.

Loads the Gemma 3 270M test model (unless --model) in a worker and embeds short
sentences (about 10 tokens) and retrieval-sized passages (about 200 tokens) with
Client.embed, printing inputs/s and tokens/s; then the same inputs packed the same way
(up to n_ubatch tokens and 32 inputs per llama_decode, mean pooling, one context with
embeddings on) straight through llama-cpp-python's low-level API, and the ratio. A
generative model computes its output matrix for every token of a pooled input (llama.cpp
marks them all as outputs), so a large vocabulary (Gemma's 262k) costs most of the time;
dedicated embedding models have no output matrix.

Run: python benchmarks/embed_bench.py [--model PATH] [--threads 1] [--short 64] [--long 8]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spark_desktop.engine import Client
from spark_desktop.inference_settings import LoadSettings
from tests.fixtures.real_model import real_model_path

SEQS = 32  # as spark_desktop.engine.embed.EMBED_SEQS


def texts(short: int, long: int) -> tuple[list[str], list[str]]:
    words = ["river", "stone", "light", "market", "window", "garden", "letter", "engine",
             "winter", "number", "station", "paper", "signal", "forest", "music"]
    sentences = [f"Note {i}: the {words[i % 15]} by the {words[(i * 7) % 15]} is open."
                 for i in range(short)]
    passages = [" ".join(words[(i + k) % 15] for k in range(190)) + f" (part {i})."
                for i in range(long)]
    return sentences, passages


def reference(model_path: Path, options: LoadSettings, inputs: list[str]) -> float:
    """Seconds llama.cpp alone takes for `inputs`, packed as the worker packs them."""
    import llama_cpp as lc

    lc.llama_backend_init()
    model = lc.llama_model_load_from_file(str(model_path).encode(),
                                          lc.llama_model_default_params())
    vocab = lc.llama_model_get_vocab(model)
    cp = lc.llama_context_default_params()
    cp.n_ctx = cp.n_batch = cp.n_ubatch = options.n_ubatch
    cp.n_seq_max, cp.kv_unified, cp.embeddings = SEQS, True, True
    cp.pooling_type = lc.LLAMA_POOLING_TYPE_MEAN
    cp.n_threads = cp.n_threads_batch = options.threads
    cp.flash_attn_type = lc.LLAMA_FLASH_ATTN_TYPE_DISABLED
    ctx = lc.llama_init_from_model(model, cp)
    batch = lc.llama_batch_init(options.n_ubatch, 0, 1)
    n_embd = lc.llama_model_n_embd_out(model)

    def tokenize(text: str) -> list[int]:
        data = text.encode()
        buf = (lc.llama_token * (len(data) + 16))()
        return list(buf[:lc.llama_tokenize(vocab, data, len(data), buf, len(buf), True, True)])

    def decode(group: list[list[int]]) -> None:
        n = 0
        for seq, ids in enumerate(group):
            for pos, token in enumerate(ids):
                batch.token[n], batch.pos[n], batch.n_seq_id[n], batch.logits[n] = \
                    token, pos, 1, True
                batch.seq_id[n][0] = seq
                n += 1
        batch.n_tokens = n
        lc.llama_memory_clear(lc.llama_get_memory(ctx), True)
        assert lc.llama_decode(ctx, batch) == 0
        for seq in range(len(group)):
            row = lc.llama_get_embeddings_seq(ctx, seq)
            sum(row[i] * row[i] for i in range(n_embd))

    started = time.perf_counter()
    group: list[list[int]] = []
    for ids in map(tokenize, inputs):
        if group and (len(group) == SEQS or sum(map(len, group)) + len(ids) > options.n_ubatch):
            decode(group)
            group = []
        group.append(ids)
    decode(group)
    seconds = time.perf_counter() - started
    lc.llama_batch_free(batch)
    lc.llama_free(ctx)
    lc.llama_model_free(model)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--short", type=int, default=64)
    parser.add_argument("--long", type=int, default=8)
    args = parser.parse_args()
    model = args.model or real_model_path()
    options = LoadSettings(n_ctx=2048, n_batch=512, n_ubatch=512, flash_attn="off",
                           threads=args.threads)
    sentences, passages = texts(args.short, args.long)
    with tempfile.TemporaryDirectory() as tmp, Client(log_path=Path(tmp) / "e.log") as client:
        client.load(model, options)
        client.embed(sentences[:2])  # the embeddings context is made on the first request
        rows = []
        for name, inputs in (("short", sentences), ("passage", passages)):
            started = time.perf_counter()
            result = client.embed(inputs)
            seconds = time.perf_counter() - started
            rows.append((name, inputs, result.prompt_tokens, seconds))
    print(f"model {model.name}, threads {args.threads}, n_ubatch {options.n_ubatch}")
    for name, inputs, tokens, seconds in rows:
        alone = reference(model, options, inputs)
        print(f"{name:8s} {len(inputs):4d} inputs, {tokens / len(inputs):6.1f} tokens each: "
              f"{len(inputs) / seconds:7.2f} inputs/s, {tokens / seconds:8.1f} tokens/s "
              f"through the worker; llama.cpp alone {len(inputs) / alone:7.2f} inputs/s; "
              f"ratio {alone / seconds:.2f}")


if __name__ == "__main__":
    main()
