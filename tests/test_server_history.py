"""Saving API conversations to the history (opt-in): off by default; when on, each
conversation lands in the history tagged with its key's name, a request that continues
a saved conversation is added to it, and streamed replies are saved whole. The official
`openai` client, a live server, the real SmolLM2 model, a real (encrypted) history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from spark_desktop.history.keys import KeySource
from spark_desktop.history.runner import HistoryRunner
from spark_desktop.history.store import HistoryStore
from spark_desktop.server import ApiServer, KeyRing, ServerConfig
from spark_desktop.server.recorder import ApiRecorder
from tests.host_fixtures import SMOL, Served, served

pytestmark = pytest.mark.slow
__all__ = ["served"]

ALICE, BOB = "sk-alice-0123456789", "sk-bob-0123456789"


@pytest.fixture
def saving(served: Served, tmp_path: Path) -> Iterator[tuple[str, ApiRecorder, HistoryRunner]]:
    keys = tmp_path / "keys"
    keys.write_text(f"alice {ALICE}\nbob {BOB}\n")
    path = tmp_path / "history.db"
    unlock = KeySource(passphrase="pass", use_keyring=False)
    runner = HistoryRunner(opener=lambda: HistoryStore.open(path, unlock))
    recorder = ApiRecorder(runner, enabled=False)
    config = ServerConfig(port=0, keys=KeyRing(keys_file=keys), recorder=recorder)
    try:
        with ApiServer(served.host, config) as server:
            yield server.url, recorder, runner
    finally:
        runner.close()


def ask(url: str, key: str, messages: list[dict[str, str]], stream: bool = False) -> str:
    client = openai.OpenAI(base_url=url + "/v1", api_key=key, max_retries=0)
    if not stream:
        reply = client.chat.completions.create(model=SMOL, messages=messages, max_tokens=8,
                                               temperature=0)
        return reply.choices[0].message.content or ""
    chunks = client.chat.completions.create(model=SMOL, messages=messages, max_tokens=8,
                                            temperature=0, stream=True)
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def saved(runner: HistoryRunner) -> list[tuple[tuple[str, ...], list[tuple[str, str]]]]:
    """Every conversation's tags and (role, text) of its messages, after the queued saves."""
    def read(store: HistoryStore) -> list[tuple[tuple[str, ...], list[tuple[str, str]]]]:
        return [(c.tags, [(m.role, m.content) for m in store.all_messages(c.id)])
                for c in store.list_conversations()]
    return sorted(runner.call(read), key=lambda item: len(item[1]))


def test_api_conversations_are_not_saved_unless_turned_on(
        saving: tuple[str, ApiRecorder, HistoryRunner]) -> None:
    url, _recorder, runner = saving
    ask(url, ALICE, [{"role": "user", "content": "Say hello."}])
    assert saved(runner) == []


def test_saved_conversations_carry_the_key_name_and_continue(
        saving: tuple[str, ApiRecorder, HistoryRunner]) -> None:
    url, recorder, runner = saving
    recorder.enabled = True  # the Server page's switch, while the server runs
    first = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi."}]
    answer = ask(url, ALICE, first)
    follow = [*first, {"role": "assistant", "content": answer},
              {"role": "user", "content": "And again."}]
    again = ask(url, ALICE, follow, stream=True)
    ask(url, BOB, [{"role": "user", "content": "Bob here."}], stream=True)
    convs = saved(runner)
    assert len(convs) == 2  # alice's second request continued her first conversation
    (bob_tags, bob), (alice_tags, alice) = convs
    assert alice_tags == ("api", "api-key:alice") and bob_tags == ("api", "api-key:bob")
    assert alice == [("user", "Hi."), ("assistant", answer), ("user", "And again."),
                     ("assistant", again)]
    assert bob[0] == ("user", "Bob here.") and bob[1][0] == "assistant" and bob[1][1]
    # a request that does not continue a saved exchange (an edited reply) starts anew
    ask(url, ALICE, [*first, {"role": "assistant", "content": "edited"},
                     {"role": "user", "content": "Go on."}])
    assert len(saved(runner)) == 3


def test_a_saved_tool_call_is_kept_as_its_json(
        saving: tuple[str, ApiRecorder, HistoryRunner]) -> None:
    from tests.test_server_tools import WEATHER

    url, recorder, runner = saving
    recorder.enabled = True
    client = openai.OpenAI(base_url=url + "/v1", api_key=ALICE, max_retries=0)
    reply = client.chat.completions.create(
        model=SMOL, messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER], tool_choice="required", temperature=0, max_tokens=64)
    (call,) = reply.choices[0].message.tool_calls
    ((_tags, messages),) = saved(runner)
    role, text = messages[-1]
    assert role == "assistant" and call.function.name in text
    kept = json.loads(text)["tool_call"]
    assert kept == {"name": call.function.name, "arguments": call.function.arguments}
