"""The model host with the real test models: two at once, the memory ledger refusing
or evicting, idle unload on a driven clock, JIT load, slots and their waiting line,
and a second process attaching over the API."""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from spark_desktop import paths
from spark_desktop.engine import ChatDone, TextDelta
from spark_desktop.host import (
    AbandonedError,
    DoesNotFitError,
    HostSettings,
    ModelHost,
    QueueFullError,
    UnknownModelError,
    discovery,
    ledger,
)
from spark_desktop.host.slots import Slots
from spark_desktop.inference_settings import SamplingSettings
from tests.host_fixtures import GEMMA, SMOL, link_models, small_load

GREEDY = SamplingSettings(temperature=0, max_tokens=8)
HELLO = [{"role": "user", "content": "Say hello."}]


@pytest.fixture
def models(isolated_dirs: Path) -> Path:
    return link_models(Path(os.environ["SPARK_DESKTOP_MODELS_DIR"]))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def reply(host: ModelHost, model: str) -> tuple[str, ChatDone]:
    with host.acquire(model) as lease:
        events = list(lease.chat(HELLO, GREEDY))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    assert isinstance(events[-1], ChatDone)
    return text, events[-1]


def settings(**changes: object) -> HostSettings:
    base = {"pool_bytes": 64 * 1024 ** 3, "load_options": small_load()}
    return HostSettings(**{**base, **changes})  # type: ignore[arg-type]


def estimates() -> dict[str, int]:
    found = ModelHost(settings()).available()
    return {name: ledger.estimated(found[name].path, small_load().resolved(), 1 << 40).total
            for name in (SMOL, GEMMA)}


# -- slots: no model needed ---------------------------------------------------


def test_slots_serve_in_arrival_order_and_turn_away_past_the_line() -> None:
    slots = Slots("m", slots=1, queue_limit=2)
    slots.acquire()
    order: list[int] = []
    threads = []
    for i in range(2):
        t = threading.Thread(target=lambda i=i: (slots.acquire(), order.append(i)))
        t.start()
        threads.append(t)
        while slots.waiting <= i:
            t.join(0.01)
    with pytest.raises(QueueFullError) as full:
        slots.acquire()
    assert full.value.retry_after >= 1
    for _ in range(2):
        slots.release()
        for t in threads:
            t.join(0.2)
    assert order == [0, 1]


def test_a_waiter_whose_client_left_gives_up_its_place() -> None:
    slots = Slots("m", slots=1, queue_limit=4)
    slots.acquire()
    gone = threading.Event()
    gone.set()
    with pytest.raises(AbandonedError):
        slots.acquire(gone)
    assert slots.waiting == 0
    slots.release()
    slots.acquire()  # the slot is free again: nobody kept it


# -- the host with real models --------------------------------------------------


@pytest.mark.slow
def test_two_models_are_loaded_and_answer_at_the_same_time(models: Path) -> None:
    cost = estimates()
    with ModelHost(settings()) as host:
        host.load(SMOL)
        host.load(GEMMA)
        loaded = {e.id: e for e in host.loaded()}
        assert set(loaded) == {SMOL, GEMMA}
        # charged with llama.cpp's own figures once loaded, no longer the estimate
        assert all(0 < e.memory != cost[e.id] for e in loaded.values())
        assert host.ledger.used == sum(e.memory for e in loaded.values())
        results: dict[str, str] = {}
        threads = [threading.Thread(target=lambda m=m: results.update({m: reply(host, m)[0]}))
                   for m in (SMOL, GEMMA)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert set(results) == {SMOL, GEMMA} and all(results.values())


@pytest.mark.slow
def test_a_load_that_does_not_fit_is_refused_with_the_numbers(models: Path) -> None:
    cost = estimates()
    pool = max(cost.values()) + min(cost.values()) // 2  # each alone fits, both do not
    with ModelHost(settings(pool_bytes=pool)) as host:
        host.load(SMOL)
        with pytest.raises(DoesNotFitError) as refused:
            host.load(GEMMA)
        assert refused.value.needed == cost[GEMMA]
        assert refused.value.pool == pool
        assert refused.value.free == pool - host.ledger.used
        assert SMOL in str(refused.value) and "GiB" in str(refused.value)
        assert [e.id for e in host.loaded()] == [SMOL]


@pytest.mark.slow
def test_eviction_unloads_the_idle_model_but_never_a_busy_one(models: Path) -> None:
    cost = estimates()
    pool = max(cost.values()) + min(cost.values()) // 2
    with ModelHost(settings(pool_bytes=pool, evict_lru=True)) as host:
        host.load(SMOL)
        with host.acquire(SMOL), pytest.raises(DoesNotFitError):
            host.load(GEMMA)  # SMOL is in use: it stays
        host.load(GEMMA)
        assert [e.id for e in host.loaded()] == [GEMMA]
        assert host.ledger.used <= pool


@pytest.mark.slow
def test_idle_models_unload_after_the_ttl_but_not_while_in_use(models: Path) -> None:
    clock = Clock()
    with ModelHost(settings(idle_unload_s=60), clock=clock) as host:
        host.load(SMOL)
        clock.now += 59
        assert host.sweep() == ()
        with host.acquire(SMOL):
            clock.now += 600
            assert host.sweep() == ()  # a request holds it
        clock.now += 59
        assert host.sweep() == ()  # idle since the request ended, not since the load
        clock.now += 2
        assert host.sweep() == (SMOL,)
        assert host.loaded() == () and host.ledger.used == 0


@pytest.mark.slow
def test_a_request_loads_a_model_from_disk_on_demand(models: Path) -> None:
    with ModelHost(settings()) as host:
        assert host.loaded() == ()
        text, done = reply(host, SMOL)
        assert text and done.finish_reason in ("stop", "length")
        assert [e.id for e in host.loaded()] == [SMOL]
        assert host.recent()[-1].model_id == SMOL
        with pytest.raises(UnknownModelError) as unknown:
            host.acquire("no-such-model")
        assert SMOL in str(unknown.value)


@pytest.mark.slow
def test_a_second_process_attaches_over_the_api(models: Path) -> None:
    from spark_desktop.server import ApiServer, KeyRing, ServerConfig

    assert discovery.connect() is None  # nobody hosts yet
    with ModelHost(settings()) as host:
        ring = KeyRing(host_key=discovery.host_token())
        with ApiServer(host, ServerConfig(port=0, keys=ring), announce=True):
            assert stat.S_IMODE(paths.host_token_path().stat().st_mode) == 0o600
            client = discovery.connect()
            assert client is not None
            with client:
                assert {e.id for e in client.models()} == {SMOL, GEMMA}
                entry = client.load(SMOL)
                assert entry.loaded and entry.memory == host.ledger.charges[SMOL]
                events = list(client.chat(SMOL, HELLO, GREEDY))
                assert any(isinstance(e, TextDelta) and e.text for e in events)
                done = events[-1]
                assert isinstance(done, ChatDone) and done.completion_tokens > 0
                assert done.prompt_tokens == host.recent()[-1].prompt_tokens
                schema = '{"type": "object", "properties": {"n": {"type": "integer"}}, ' \
                    '"required": ["n"]}'  # a chat's structured output reaches the host
                shaped = SamplingSettings(temperature=0, max_tokens=12, json_schema=schema)
                text = "".join(e.text for e in client.chat(SMOL, HELLO, shaped)
                               if isinstance(e, TextDelta))
                assert isinstance(json.loads(text)["n"], int)
        assert discovery.running() is None  # withdrawn when the server stopped
