"""Comparing the two real test models through the host: together when the ledger says
they fit, one after another in a pool too small for both, the conversation going on
per column, and the `compare` command's output and --save."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from spark_desktop.cli import main
from spark_desktop.compare import (
    ColumnFinished,
    ColumnStarted,
    ColumnText,
    CompareError,
    CompareEvent,
    Comparison,
    Planned,
)
from spark_desktop.history import HistoryStore
from spark_desktop.host import HostSettings, ModelHost, ledger
from spark_desktop.inference_settings import LoadSettings, SamplingSettings
from tests.host_fixtures import GEMMA, SMOL, link_models, small_load

GREEDY = SamplingSettings(temperature=0, max_tokens=16)


@pytest.fixture
def models(isolated_dirs: Path) -> Path:
    return link_models(Path(os.environ["SPARK_DESKTOP_MODELS_DIR"]))


def host(pool: int) -> ModelHost:
    return ModelHost(HostSettings(pool_bytes=pool, load_options=small_load(),
                                  idle_unload_s=None))


def costs(options: LoadSettings | None = None) -> dict[str, int]:
    """What the ledger charges first for each model (the fit estimate of its load)."""
    found = host(1 << 40).available()
    opts = (options or small_load()).resolved()
    return {m: ledger.estimated(found[m].path, opts, 1 << 40).total for m in (SMOL, GEMMA)}


class Timeline:
    """Every event with the moment it arrived (events come from the columns' threads)."""

    def __init__(self) -> None:
        self.events: list[tuple[float, CompareEvent]] = []

    def __call__(self, event: CompareEvent) -> None:
        self.events.append((time.monotonic(), event))

    def span(self, column: int) -> tuple[float, float]:
        start = next(t for t, e in self.events
                     if isinstance(e, ColumnStarted) and e.column == column)
        end = next(t for t, e in self.events
                   if isinstance(e, ColumnFinished) and e.column == column)
        return start, end

    def text(self, column: int) -> str:
        return "".join(e.text for _t, e in self.events
                       if isinstance(e, ColumnText) and e.column == column)


def test_models_that_fit_answer_together_and_the_conversation_goes_on(models: Path) -> None:
    with host(64 * 1024 ** 3) as h:
        comparison = Comparison(h, [GEMMA, SMOL], system_prompt="Answer briefly.",
                                sampling=GREEDY)
        timeline = Timeline()
        first = comparison.run_turn("Name a colour.", timeline)
        assert first.concurrent
        assert isinstance(timeline.events[0][1], Planned)
        assert "together" in timeline.events[0][1].plan.sentence()
        (a0, a1), (b0, b1) = timeline.span(0), timeline.span(1)
        assert a0 < b1 and b0 < a1  # both were answering at the same time
        charged = dict(h.ledger.charges)
        assert set(charged) == {GEMMA, SMOL}
        for i, result in enumerate(first.results):
            assert result.model == comparison.models[i]
            assert result.text == timeline.text(i) and result.text
            assert result.finish_reason in ("stop", "length")
            assert 0 < result.completion_tokens <= GREEDY.max_tokens
            assert result.prompt_tokens > 0 and result.ttft_ms > 0 and result.decode_tps > 0
            assert result.memory == charged[result.model] > 0
        second = comparison.run_turn("And another one?")
        for i, column in enumerate(comparison.columns):
            roles = [m["role"] for m in column.messages]
            assert roles == ["system", "user", "assistant", "user", "assistant"]
            assert column.messages[2]["content"] == first.results[i].text
            # the second prompt came after the first turn, so the model read more
            assert second.results[i].prompt_tokens > first.results[i].prompt_tokens


def test_a_pool_too_small_for_both_runs_them_one_after_another(models: Path) -> None:
    cost = costs()
    pool = max(cost.values()) + 16 * 1024 ** 2  # either alone, never both
    assert pool < sum(cost.values())
    with host(pool) as h:
        comparison = Comparison(h, [SMOL, GEMMA], sampling=GREEDY)
        plan = comparison.plan()
        assert not plan.concurrent and plan.pool == pool
        assert "one after another" in plan.sentence()
        timeline = Timeline()
        outcome = comparison.run_turn("Say hello.", timeline)
        assert not outcome.concurrent
        (_a0, a1), (b0, _b1) = timeline.span(0), timeline.span(1)
        assert a1 <= b0  # the second began after the first had finished
        assert all(r.finish_reason in ("stop", "length") and r.text for r in outcome.results)
        assert all(r.memory > 0 for r in outcome.results)
        assert h.loaded() == ()  # each was unloaded to make room


def test_a_comparison_takes_two_to_four_distinct_models(models: Path) -> None:
    with host(64 * 1024 ** 3) as h:
        with pytest.raises(CompareError, match="2 to 4"):
            Comparison(h, [SMOL])
        with pytest.raises(CompareError, match="only once"):
            Comparison(h, [SMOL, SMOL.lower()])
        with pytest.raises(CompareError, match="empty"):
            Comparison(h, [SMOL, GEMMA]).run_turn("  ")


def test_cli_json_prints_every_answer_with_its_figures(models: Path, capsys) -> None:
    from tests.fixtures.real_model import smollm2_path

    args = ["compare", GEMMA, str(smollm2_path()), "-p", "Say hello.", "--max-tokens", "6",
            "--temperature", "0", "--ctx", "512", "--threads", "1", "--json"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["concurrent"] is True
    assert [r["model"] for r in out["results"]] == [GEMMA, SMOL]
    for r in out["results"]:
        assert set(r) == {"model", "text", "finish_reason", "prompt_tokens",
                          "completion_tokens", "ttft_ms", "decode_tps", "memory"}
        assert r["text"] and 0 < r["completion_tokens"] <= 6 and r["memory"] > 0
    assert main([*args, "--pool", _either_alone(), "--save"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["concurrent"] is False
    assert "one after another" not in captured.out  # --json keeps stdout to the object
    with HistoryStore.open() as store:
        [saved] = store.comparisons.list()
        assert saved.models == (GEMMA, SMOL)
        assert saved.id in captured.err
        columns = store.comparisons.columns(saved.id)
        assert [[m.role for m in c] for c in columns] == [["user", "assistant"]] * 2
        assert all(c[1].completion_tokens and c[1].ttft_ms for c in columns)


def test_cli_says_when_models_run_in_turn_and_names_bad_input(models: Path, capsys) -> None:
    assert main(["compare", GEMMA, SMOL, "-p", "Hi", "--max-tokens", "3", "--ctx", "512",
                 "--threads", "1", "--pool", _either_alone()]) == 0
    captured = capsys.readouterr()
    assert "one after another" in captured.err
    assert f"== {GEMMA} (" in captured.out and f"== {SMOL} (" in captured.out
    assert main(["compare", GEMMA, "nothing-here", "-p", "Hi"]) == 2
    assert "nothing-here" in capsys.readouterr().err
    assert main(["compare", GEMMA, SMOL]) == 2
    assert "-p PROMPT" in capsys.readouterr().err


def _either_alone() -> str:
    """A --pool in GiB that holds either model as the CLI loads it, never both."""
    cost = costs(LoadSettings(n_ctx=512, threads=1))
    assert max(cost.values()) + 64 * 1024 ** 2 < sum(cost.values())
    return f"{(max(cost.values()) + 64 * 1024 ** 2) / 1024 ** 3:.4f}"


def test_cli_rpc_names_a_peer_that_does_not_answer(models: Path, capsys) -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert main(["compare", GEMMA, SMOL, "-p", "Hi", "--rpc", f"127.0.0.1:{port}"]) == 2
    assert f"127.0.0.1:{port}" in capsys.readouterr().err


def test_stop_cancels_every_column_and_keeps_what_they_wrote(models: Path) -> None:
    import threading

    with host(64 * 1024 ** 3) as h:
        comparison = Comparison(h, [GEMMA, SMOL],
                                sampling=SamplingSettings(temperature=0, max_tokens=400,
                                                          ignore_eos=True))
        started = threading.Event()

        def on_event(event: CompareEvent) -> None:
            if isinstance(event, ColumnText):
                started.set()

        outcome: list[Any] = []
        runner = threading.Thread(target=lambda: outcome.append(
            comparison.run_turn("Count to a thousand.", on_event)))
        runner.start()
        assert started.wait(120)
        comparison.cancel()
        runner.join(60)
        assert not runner.is_alive()
        [turn] = outcome
        assert [r.finish_reason for r in turn.results] == ["cancelled", "cancelled"]
        assert all(r.completion_tokens < 400 for r in turn.results)
        assert any(r.text for r in turn.results)
        # the partial answers are each column's history
        assert [c.messages[-1]["content"] for c in comparison.columns] == [
            r.text for r in turn.results]
