"""The OpenAI shape, with the official `openai` package against a live server and the
real SmolLM2 model: models, whole and streamed chat, usage, completions, the error
statuses, four concurrent streams, 429 when the line is full, disconnect cancels."""

from __future__ import annotations

import json
import threading
import time

import httpx
import openai
import pytest

from tests.host_fixtures import GEMMA, SMOL, Served, served

pytestmark = pytest.mark.slow
__all__ = ["served"]

HELLO = [{"role": "user", "content": "Say hello."}]


def client(served: Served) -> openai.OpenAI:
    return openai.OpenAI(base_url=served.url + "/v1", api_key="unused", max_retries=0)


def whole(served: Served, content: str, max_tokens: int = 12) -> openai.types.chat.ChatCompletion:
    return client(served).chat.completions.create(
        model=SMOL, messages=[{"role": "user", "content": content}], max_tokens=max_tokens,
        temperature=0)


def streamed(served: Served, content: str, max_tokens: int = 12) -> tuple[str, object, str]:
    chunks = client(served).chat.completions.create(
        model=SMOL, messages=[{"role": "user", "content": content}], max_tokens=max_tokens,
        temperature=0, stream=True, stream_options={"include_usage": True})
    text, usage, finish = [], None, ""
    for chunk in chunks:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            text.append(choice.delta.content or "")
            finish = choice.finish_reason or finish
    return "".join(text), usage, finish


def busy(served: Served, model: str) -> int:
    return next((e.busy for e in served.host.loaded() if e.id == model), 0)


def test_models_lists_every_local_model_and_which_are_loaded(served: Served) -> None:
    whole(served, "Hi", 2)  # loads SMOL on demand
    listed = {m.id: m for m in client(served).models.list()}
    assert {SMOL, GEMMA} <= set(listed)
    assert listed[SMOL].model_extra["loaded"] is True
    assert listed[GEMMA].model_extra["loaded"] is False


def test_whole_chat_returns_text_and_usage(served: Served) -> None:
    reply = whole(served, "Say hello.")
    assert reply.model == SMOL and reply.object == "chat.completion"
    assert reply.choices[0].message.role == "assistant"
    assert reply.choices[0].message.content.strip()
    assert reply.choices[0].finish_reason in ("stop", "length")
    assert 0 < reply.usage.completion_tokens <= 12 and reply.usage.prompt_tokens > 5
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens


def test_streamed_chat_matches_the_whole_reply_and_ends_with_usage(served: Served) -> None:
    expected = whole(served, "Name a colour.")
    text, usage, finish = streamed(served, "Name a colour.")
    assert text == expected.choices[0].message.content
    assert usage is not None and usage.completion_tokens == expected.usage.completion_tokens
    assert usage.prompt_tokens == expected.usage.prompt_tokens
    assert finish == expected.choices[0].finish_reason


def test_json_schema_output_parses_and_follows_the_schema(served: Served) -> None:
    schema = {"type": "object", "additionalProperties": False, "required": ["answer", "count"],
              "properties": {"answer": {"type": "string", "enum": ["yes", "no"]},
                             "count": {"type": "integer", "minimum": 0, "maximum": 99}}}
    reply = client(served).chat.completions.create(
        model=SMOL, max_tokens=60, temperature=0,
        messages=[{"role": "user", "content": "Is the sky blue? How many moons has Mars?"}],
        response_format={"type": "json_schema",
                         "json_schema": {"name": "facts", "schema": schema}})
    data = json.loads(reply.choices[0].message.content)
    assert data["answer"] in ("yes", "no") and 0 <= data["count"] <= 99
    assert set(data) == {"answer", "count"}


def test_completions_continue_the_prompt_as_it_is(served: Served) -> None:
    """A text completion: the prompt's tokens are exactly llama.cpp's tokenization of it
    (with the BOS), no chat template around them; streamed and whole agree."""
    from tests.fixtures.embed_reference import reference
    from tests.fixtures.real_model import smollm2_path

    prompt = "The three primary colours are"
    reply = client(served).completions.create(model=SMOL, prompt=prompt, max_tokens=8,
                                              temperature=0)
    assert reply.choices[0].text.strip() and reply.usage.completion_tokens <= 8
    (tokens,) = reference(smollm2_path(), [prompt]).tokens
    assert reply.usage.prompt_tokens == len(tokens)
    chat = whole(served, prompt, 8)  # the same words as a chat message: the template's tokens
    assert chat.usage.prompt_tokens > len(tokens) + 4
    parts = client(served).completions.create(model=SMOL, prompt=prompt, max_tokens=8,
                                              temperature=0, stream=True)
    assert "".join(p.choices[0].text for p in parts if p.choices) == reply.choices[0].text


def test_an_unknown_model_is_404_and_lists_the_known_ones(served: Served) -> None:
    with pytest.raises(openai.NotFoundError) as err:
        client(served).chat.completions.create(model="no-such-model", messages=HELLO)
    assert err.value.status_code == 404 and err.value.code == "model_not_found"
    assert SMOL in str(err.value)


def test_malformed_json_and_bad_fields_are_400(served: Served) -> None:
    bad = httpx.post(served.url + "/v1/chat/completions", content=b"{not json",
                     headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"]["type"] == "invalid_request_error"
    for body, param in (({"model": SMOL, "messages": []}, "messages"),
                        ({"model": SMOL, "messages": HELLO, "temperature": "hot"}, "temperature"),
                        ({"model": SMOL, "messages": HELLO, "tools": [{"type": "function"}]},
                         "tools"),
                        ({"model": SMOL, "messages": HELLO,
                          "response_format": {"type": "xml"}}, "response_format"),
                        ({"model": SMOL, "messages": HELLO, "response_format": {
                            "type": "json_schema", "json_schema": {"name": "x"}}},
                         "response_format")):
        answer = httpx.post(served.url + "/v1/chat/completions", json=body)
        assert answer.status_code == 400, body
        assert answer.json()["error"]["param"] == param


def test_a_body_over_the_limit_is_413(served: Served) -> None:
    huge = b'{"model": "x", "messages": "' + b"a" * (9 * 1024 * 1024) + b'"}'
    answer = httpx.post(served.url + "/v1/chat/completions", content=huge,
                        headers={"content-type": "application/json"})
    assert answer.status_code == 413


def test_a_prompt_longer_than_the_context_is_400_with_the_counts(served: Served) -> None:
    with pytest.raises(openai.BadRequestError) as err:
        whole(served, "word " * 700)
    assert err.value.code == "context_length_exceeded"
    message = str(err.value)
    assert "512" in message and "in the messages" in message


def test_four_concurrent_streams_each_get_their_own_correct_reply(served: Served) -> None:
    prompts = ["Name a fruit.", "Name an animal.", "Say goodbye.", "Name a city."]
    expected = {p: whole(served, p, 6).choices[0].message.content for p in prompts}
    got: dict[str, str] = {}
    threads = [threading.Thread(target=lambda p=p: got.update({p: streamed(served, p, 6)[0]}))
               for p in prompts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(180)
    assert got == expected


def test_a_full_line_is_429_with_retry_after(served: Served) -> None:
    whole(served, "Hi", 2)
    done = threading.Event()

    def hold() -> None:
        # headers come once the request has its slot: each stream ends as soon as it opens
        stream = client(served).chat.completions.create(
            model=SMOL, messages=[{"role": "user", "content": "Count from 1 to 200."}],
            max_tokens=200, stream=True)
        done.wait(120)
        stream.close()

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + 60
    while busy(served, SMOL) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert busy(served, SMOL) == 4  # one answering, three waiting (the line holds 3)
        with pytest.raises(openai.RateLimitError) as err:
            whole(served, "Hi", 2)
        assert err.value.status_code == 429
        assert int(err.value.response.headers["retry-after"]) >= 1
    finally:
        done.set()
        for t in threads:
            t.join(120)
    deadline = time.monotonic() + 10
    while busy(served, SMOL) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert busy(served, SMOL) == 0  # every reply was stopped when its client left


def test_a_client_that_disconnects_cancels_its_reply(served: Served) -> None:
    whole(served, "Hi", 2)
    stream = client(served).chat.completions.create(
        model=SMOL, messages=[{"role": "user", "content": "Count from 1 to 300, one per line."}],
        max_tokens=300, temperature=0, stream=True)
    received = 0
    for chunk in stream:
        received += sum(1 for c in chunk.choices if c.delta.content)
        if received >= 3:
            break
    before = len(served.host.recent())
    stream.close()
    left = time.monotonic()
    while len(served.host.recent()) == before and time.monotonic() - left < 30:
        time.sleep(0.02)
    stopped_after = time.monotonic() - left
    record = served.host.recent()[-1]
    assert record.finish_reason == "cancelled"
    assert record.completion_tokens < 300
    assert stopped_after < 10  # within a token or two; generous for a loaded test machine


def test_a_client_that_leaves_while_waiting_gives_up_its_place(served: Served) -> None:
    whole(served, "Hi", 2)
    holder = client(served).chat.completions.create(
        model=SMOL, messages=[{"role": "user", "content": "Count from 1 to 200."}],
        max_tokens=200, temperature=0, stream=True)  # greedy: it does not stop early
    try:
        assert busy(served, SMOL) == 1
        with pytest.raises(httpx.TimeoutException):
            httpx.post(served.url + "/v1/chat/completions", timeout=1.0,
                       json={"model": SMOL, "messages": HELLO, "max_tokens": 2})
        deadline = time.monotonic() + 10
        while busy(served, SMOL) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert busy(served, SMOL) == 1  # the waiter left the line; the holder still runs
    finally:
        holder.close()


def test_a_client_that_leaves_before_a_whole_reply_cancels_it(served: Served) -> None:
    whole(served, "Hi", 2)
    before = len(served.host.recent())
    with pytest.raises(httpx.TimeoutException):
        httpx.post(served.url + "/v1/chat/completions", timeout=1.0, json={
            "model": SMOL, "max_tokens": 450, "temperature": 0,  # ~4 s even on a quiet CPU
            "messages": [{"role": "user", "content": "Count from 1 to 300, one per line."}]})
    left = time.monotonic()
    while len(served.host.recent()) == before and time.monotonic() - left < 30:
        time.sleep(0.02)
    record = served.host.recent()[-1]
    assert record.finish_reason == "cancelled" and record.completion_tokens < 450
