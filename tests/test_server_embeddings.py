"""Embeddings over the API, with the official `openai` package against a live server and
the real SmolLM2 model: texts and token arrays, unit vectors of the model's size,
llama.cpp's own values, base64, usage, the error statuses, Ollama's /api/embed, the
attached host's HostClient, and a chat stream beside them that stays token-identical."""

from __future__ import annotations

import base64
import struct
import threading
import time

import httpx
import openai
import pytest

from spark_desktop.host.remote import HostClient
from tests.fixtures.embed_reference import Reference, cosine, norm, reference
from tests.fixtures.real_model import smollm2_path
from tests.host_fixtures import SMOL, Served, served

pytestmark = pytest.mark.slow
__all__ = ["served"]

CAT = "The cat sat on the mat."
CAT_AGAIN = "A cat was sitting on the mat."
REVENUE = "Quarterly revenue grew by four percent."


def client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url + "/v1", api_key="unused", max_retries=0)


def embed(served: Served, inputs: object, **extra: object) -> list[list[float]]:
    answer = client(served).embeddings.create(model=SMOL, input=inputs, **extra)  # type: ignore[arg-type]
    return [row.embedding for row in sorted(answer.data, key=lambda row: row.index)]


@pytest.fixture(scope="module")
def ref() -> Reference:
    return reference(smollm2_path(), [CAT, CAT_AGAIN, REVENUE])


def test_texts_give_unit_vectors_of_the_models_size_as_llama_cpp_makes_them(
        served: Served, ref: Reference) -> None:
    assert SMOL not in {e.id for e in served.host.loaded()}  # the request loads it (JIT)
    answer = client(served).embeddings.create(model=SMOL, input=[CAT, CAT_AGAIN, REVENUE])
    assert SMOL in {e.id for e in served.host.loaded()}
    assert answer.model == SMOL and [row.index for row in answer.data] == [0, 1, 2]
    assert answer.usage.prompt_tokens == sum(len(t) for t in ref.tokens)
    assert answer.usage.total_tokens == answer.usage.prompt_tokens
    for row, theirs in zip(answer.data, ref.vectors, strict=True):
        assert len(row.embedding) == ref.n_embd
        assert abs(norm(row.embedding) - 1.0) < 1e-5
        assert cosine(row.embedding, theirs) > 0.999
    (single,) = embed(served, CAT)  # a bare string is one input
    assert cosine(single, answer.data[0].embedding) > 0.9999


def test_the_same_text_twice_gives_the_same_vector(served: Served) -> None:
    assert embed(served, REVENUE) == embed(served, REVENUE)


def test_token_arrays_give_the_vectors_of_the_texts_they_spell(served: Served,
                                                               ref: Reference) -> None:
    (cat,) = embed(served, CAT)
    (from_ids,) = embed(served, list(ref.tokens[0]))  # one list of token ids
    assert from_ids == cat
    both = embed(served, [list(ref.tokens[0]), list(ref.tokens[2])])  # a list of them
    assert both == embed(served, [CAT, REVENUE])  # the same batch: the same rounding


def test_near_sentences_are_closer_than_unrelated_ones(served: Served) -> None:
    cat, cat_again, revenue = embed(served, [CAT, CAT_AGAIN, REVENUE])
    assert cosine(cat, cat_again) > cosine(cat, revenue) + 0.1


def test_base64_carries_the_same_float32_values(served: Served) -> None:
    floats = httpx.post(served.url + "/v1/embeddings", timeout=120, json={
        "model": SMOL, "input": CAT, "encoding_format": "float"}).json()["data"][0]["embedding"]
    packed = httpx.post(served.url + "/v1/embeddings", timeout=120, json={
        "model": SMOL, "input": CAT, "encoding_format": "base64"}).json()["data"][0]["embedding"]
    raw = base64.b64decode(packed)
    assert list(struct.unpack(f"<{len(raw) // 4}f", raw)) == floats


def test_dimensions_are_accepted_only_at_the_models_size(served: Served, ref: Reference) -> None:
    assert len(embed(served, CAT, dimensions=ref.n_embd)[0]) == ref.n_embd
    with pytest.raises(openai.BadRequestError) as err:
        embed(served, CAT, dimensions=64)
    assert err.value.body["param"] == "dimensions"  # type: ignore[index]
    assert str(ref.n_embd) in str(err.value)


def test_bad_inputs_are_400_unknown_models_404(served: Served) -> None:
    for body, param in (({"model": SMOL, "input": ""}, "input"),
                        ({"model": SMOL, "input": []}, "input"),
                        ({"model": SMOL, "input": [[]]}, "input"),
                        ({"model": SMOL, "input": ["ok", 3.5]}, "input"),
                        ({"model": SMOL, "input": [[-1]]}, "input"),
                        ({"model": SMOL, "input": [[10 ** 9]]}, "input"),
                        ({"model": SMOL, "input": "x", "encoding_format": "int8"},
                         "encoding_format"),
                        ({"input": "x"}, "model")):
        answer = httpx.post(served.url + "/v1/embeddings", json=body, timeout=120)
        assert answer.status_code == 400, body
        assert answer.json()["error"]["param"] == param, body
    with pytest.raises(openai.BadRequestError) as err:
        embed(served, [CAT, "word " * 400])
    assert err.value.code == "context_length_exceeded"
    assert "Input 1 has" in str(err.value) and "at most 256" in str(err.value)
    with pytest.raises(openai.NotFoundError):
        client(served).embeddings.create(model="no-such-model", input=CAT)


def test_ollama_embed_returns_the_same_vectors(served: Served) -> None:
    answer = httpx.post(served.url + "/api/embed", json={"model": SMOL, "input": [CAT, REVENUE]},
                        timeout=120)
    assert answer.status_code == 200
    assert answer.json()["embeddings"] == embed(served, [CAT, REVENUE])
    assert answer.json()["prompt_eval_count"] > 2
    single = httpx.post(served.url + "/api/embed", json={"model": SMOL, "input": CAT}, timeout=120)
    assert single.json()["embeddings"] == embed(served, CAT)
    empty = httpx.post(served.url + "/api/embed", json={"model": SMOL, "input": ""}, timeout=120)
    assert empty.status_code == 400 and "input" in empty.json()["error"]


def test_the_attached_hosts_client_gets_the_same_vectors(served: Served) -> None:
    with HostClient(served.url, "no-key-needed-here") as remote:
        result = remote.embed(SMOL, [CAT, REVENUE])
    assert [list(v) for v in result.vectors] == embed(served, [CAT, REVENUE])
    assert result.prompt_tokens > 2


def test_a_chat_streaming_beside_embeddings_keeps_its_text(served: Served) -> None:
    def stream(stamps: list[float]) -> str:
        chunks = client(served).chat.completions.create(
            model=SMOL, messages=[{"role": "user", "content": "Tell me about the sea."}],
            max_tokens=40, temperature=0, stream=True)
        text = []
        for chunk in chunks:
            stamps.append(time.monotonic())
            text.extend(choice.delta.content or "" for choice in chunk.choices)
        return "".join(text)

    stream([])  # the slot now caches the prompt, as it will for both runs compared
    alone = stream([])
    stamps: list[float] = []
    beside: list[str] = []
    thread = threading.Thread(target=lambda: beside.append(stream(stamps)))
    thread.start()
    while not stamps:
        time.sleep(0.01)
    started = time.monotonic()
    vectors = embed(served, [CAT, CAT_AGAIN, REVENUE] * 8)
    ended = time.monotonic()
    thread.join(timeout=300)
    assert len(vectors) == 24
    assert beside == [alone]
    assert any(started < t < ended for t in stamps), "the stream stalled while embedding"
