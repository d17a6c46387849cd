"""Embeddings through the engine worker with the real Gemma test model: llama.cpp's own
vectors, texts and token ids alike, batches, typed errors, threads, cancel, and a chat
streaming beside them that stays token-identical."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from spark_desktop.engine import (
    ChatDone,
    Client,
    InvalidOptionsError,
    PromptTooLongError,
    RequestCancelledError,
)
from spark_desktop.inference_settings import LoadSettings, SamplingSettings
from tests.fixtures.embed_reference import Reference, cosine, norm, reference

pytestmark = pytest.mark.slow

OPTIONS = LoadSettings(n_ctx=1024, n_batch=256, n_ubatch=256, flash_attn="off", threads=1)
CAT = "The cat sat on the mat."
CAT_AGAIN = "A cat was sitting on the mat."
REVENUE = "Quarterly revenue grew by four percent."
LONG_CHAT = SamplingSettings(temperature=0.0, max_tokens=40, ignore_eos=True)
HELLO = [{"role": "user", "content": "Write a short poem about the sea."}]


@pytest.fixture(scope="module")
def engine(test_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    client = Client(log_path=tmp_path_factory.mktemp("embed") / "engine.log")
    client.load(test_model, OPTIONS)
    yield client
    client.close()


@pytest.fixture(scope="module")
def ref(test_model: Path) -> Reference:
    return reference(test_model, [CAT, CAT_AGAIN, REVENUE])


def test_vectors_are_llama_cpps_own_mean_pooled_unit_vectors(engine: Client,
                                                             ref: Reference) -> None:
    result = engine.embed([CAT, CAT_AGAIN, REVENUE])  # one decode for the three
    assert engine.loaded is not None and engine.loaded.info.n_embd == ref.n_embd
    assert result.dimensions == ref.n_embd and len(result.vectors) == 3
    assert result.prompt_tokens == sum(len(tokens) for tokens in ref.tokens)
    for ours, theirs in zip(result.vectors, ref.vectors, strict=True):
        assert abs(norm(ours) - 1.0) < 1e-5
        assert cosine(ours, theirs) > 0.999
        assert max(abs(a - b) for a, b in zip(ours, theirs, strict=True)) < 5e-3


def test_token_ids_give_the_vector_of_the_text_they_spell(engine: Client,
                                                          ref: Reference) -> None:
    from_text = engine.embed([CAT]).vectors[0]
    from_ids = engine.embed([list(ref.tokens[0])])
    assert from_ids.vectors[0] == from_text
    assert from_ids.prompt_tokens == len(ref.tokens[0])


def test_the_same_text_twice_gives_the_same_vector(engine: Client) -> None:
    assert engine.embed([REVENUE]).vectors == engine.embed([REVENUE]).vectors
    assert engine.embed(REVENUE).vectors == engine.embed([REVENUE]).vectors  # one text


def test_near_sentences_are_closer_than_unrelated_ones(engine: Client) -> None:
    cat, cat_again, revenue = engine.embed([CAT, CAT_AGAIN, REVENUE]).vectors
    assert cosine(cat, cat_again) > cosine(cat, revenue) + 0.1


def test_bad_inputs_are_refused_with_typed_errors_and_counts(engine: Client) -> None:
    with pytest.raises(PromptTooLongError) as long:
        engine.embed([CAT, "word " * 300])
    counted = re.search(r"Input 1 has (\d+) tokens", str(long.value))
    assert counted and int(counted.group(1)) > 256 and "at most 256" in str(long.value)
    for bad in ([], [""], [[]], [[10 ** 9]]):
        with pytest.raises(InvalidOptionsError):
            engine.embed(bad)
    assert engine.embed([CAT]).dimensions > 0  # the worker is fine afterwards


def test_many_inputs_and_threads_each_get_their_own_vectors(engine: Client) -> None:
    texts = [f"Item number {i} of the list." for i in range(40)]  # more than one decode
    alone = [engine.embed([text]).vectors[0] for text in texts[:4]]
    results: dict[int, tuple[tuple[float, ...], ...]] = {}

    def run(k: int) -> None:
        results[k] = engine.embed(texts).vectors

    threads = [threading.Thread(target=run, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    for k in range(2):
        assert len(results[k]) == 40
        for i in range(4):  # decoded beside others: llama.cpp's batched rounding only
            assert cosine(results[k][i], alone[i]) > 0.9999
    assert cosine(results[0][0], results[0][1]) < 0.9999  # different texts, different vectors


def test_abandoning_cancels_and_the_worker_goes_on(engine: Client) -> None:
    gone = threading.Event()
    gone.set()
    with pytest.raises(RequestCancelledError):
        engine.embed([CAT] * 64, abandon=gone)
    timer = threading.Timer(0.5, engine.cancel)  # stop everything, from another thread
    timer.start()
    with pytest.raises(RequestCancelledError):
        engine.embed([f"{REVENUE} {i}" for i in range(2000)])
    timer.join()
    assert len(engine.embed([CAT, REVENUE]).vectors) == 2


def test_a_chat_streaming_beside_embeddings_keeps_its_exact_tokens(engine: Client) -> None:
    def tokens() -> tuple[int, ...]:
        *_, last = engine.chat(HELLO, LONG_CHAT)
        assert isinstance(last, ChatDone)
        return last.token_ids

    tokens()  # the slot now caches the prompt, as it will for both runs compared
    alone = tokens()
    stamps: list[float] = []
    done: list[ChatDone] = []
    first = threading.Event()

    def chat() -> None:
        for event in engine.chat(HELLO, LONG_CHAT):
            stamps.append(time.monotonic())
            first.set()
            if isinstance(event, ChatDone):
                done.append(event)

    thread = threading.Thread(target=chat)
    thread.start()
    assert first.wait(120)
    started = time.monotonic()
    vectors = engine.embed([CAT, CAT_AGAIN, REVENUE] * 6).vectors
    ended = time.monotonic()
    thread.join(timeout=300)
    assert len(vectors) == 18
    assert done and done[0].token_ids == alone
    assert any(started < t < ended for t in stamps), "the stream stalled while embedding"
