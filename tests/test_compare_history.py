"""Comparisons in the history (columns, votes, search, export, reopen) and the
leaderboard of the user's votes, fitted from synthetic ballots."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from spark_desktop.compare import Ballot, ColumnResult, ComparisonRecorder, ballots, rank, reopen
from spark_desktop.compare.runner import Comparison
from spark_desktop.history import HistoryStore, InvalidMessageError, NotFoundError
from spark_desktop.history.comparison_export import export_json, export_markdown
from spark_desktop.history.runner import DirectHistory
from spark_desktop.host import HostSettings, ModelHost
from tests.host_fixtures import GEMMA, SMOL, link_models


def _result(model: str, text: str, tokens: int) -> ColumnResult:
    return ColumnResult(model, text, "stop", 7, tokens, 12.5, 40.0 + tokens, 1 << 28)


@pytest.fixture
def host(isolated_dirs: Path) -> ModelHost:
    link_models(Path(os.environ["SPARK_DESKTOP_MODELS_DIR"]))
    return ModelHost(HostSettings(pool_bytes=1 << 34, idle_unload_s=None))


def _saved(store: HistoryStore, host: ModelHost) -> str:
    comparison = Comparison(host, [GEMMA, SMOL], system_prompt="Be brief.")
    recorder = ComparisonRecorder(DirectHistory(store), comparison)
    assert recorder.prompt("Why is the sky blue?") == 0
    recorder.reply(1, _result(SMOL, "Rayleigh scattering of sunlight.", 5))
    recorder.reply(0, _result(GEMMA, "Because of the ocean.", 4))
    recorder.vote(0, 1, blind=True)
    assert recorder.prompt("And sunsets red?") == 1
    recorder.reply(0, _result(GEMMA, "Longer path through air.", 4))
    recorder.reply(1, _result(SMOL, "Blue light is scattered away.", 6))
    recorder.vote(1, None, blind=False)
    assert recorder.id is not None
    return recorder.id


def test_a_comparison_keeps_each_column_and_the_votes(store: HistoryStore,
                                                      host: ModelHost) -> None:
    cid = _saved(store, host)
    saved = store.comparisons.get(cid)
    assert saved.models == (GEMMA, SMOL) and saved.title == "Why is the sky blue?"
    assert saved.system_prompt == "Be brief."
    gemma, smol = store.comparisons.columns(cid)
    assert [m.content for m in smol] == [
        "Why is the sky blue?", "Rayleigh scattering of sunlight.", "And sunsets red?",
        "Blue light is scattered away."]
    assert smol[1].model == SMOL and smol[1].completion_tokens == 5 and smol[1].ttft_ms == 12.5
    assert gemma[3].content == "Longer path through air."
    assert store.comparisons.turns(cid) == 2
    votes = store.comparisons.votes(cid)
    assert [(v.turn, v.winner, v.blind) for v in votes] == [(0, 1, True), (1, None, False)]
    store.comparisons.vote(cid, 1, 0)  # a second vote on a turn replaces the first
    assert [v.winner for v in store.comparisons.votes(cid)] == [1, 0]
    with pytest.raises(InvalidMessageError):
        store.comparisons.vote(cid, 0, 2)
    with pytest.raises(InvalidMessageError):
        store.comparisons.vote(cid, 5, 0)
    assert store.comparisons.for_conversation(saved.conversation_ids[1]) == (cid, 1)


def test_comparisons_are_searchable_exportable_and_deletable(store: HistoryStore,
                                                             host: ModelHost) -> None:
    cid = _saved(store, host)
    other = store.create_conversation()
    store.add_message(other.id, "user", "Rayleigh scattering in a plain chat")
    hits = store.comparisons.search("Rayleigh")
    assert [(h.comparison_id, h.column) for h in hits] == [(cid, 1)]
    document = json.loads(export_json(store, [cid]))
    [exported] = document["comparisons"]
    assert exported["models"] == [GEMMA, SMOL]
    assert [len(c["messages"]) for c in exported["columns"]] == [4, 4]
    assert exported["columns"][1]["messages"][1]["tokens_per_s"] == 45.0
    assert exported["votes"][0]["winner_model"] == SMOL and exported["votes"][0]["blind"]
    md = export_markdown(store, [cid])
    assert md.index("## Prompt 1") < md.index(f"### {GEMMA}") < md.index(f"### {SMOL}")
    assert "Rayleigh scattering of sunlight." in md and "4 tokens" in md
    assert f"**Vote:** {SMOL} (blind)" in md and "**Vote:** a tie" in md
    store.comparisons.delete(cid)
    with pytest.raises(NotFoundError):
        store.comparisons.get(cid)
    assert store.comparisons.votes() == []
    assert store.count_conversations() == 1  # the plain chat stays


def test_a_reopened_comparison_goes_on_where_it_was(store: HistoryStore,
                                                    host: ModelHost) -> None:
    cid = _saved(store, host)
    comparison, saved, shown = reopen(store, host, cid)
    assert comparison.models == saved.models == (GEMMA, SMOL)
    assert comparison.system_prompt == "Be brief."
    assert shown[1][1] == ("assistant", "Rayleigh scattering of sunlight.")
    assert [m["role"] for m in comparison.columns[0].messages] == [
        "system", "user", "assistant", "user", "assistant"]
    recorder = ComparisonRecorder(DirectHistory(store), comparison, cid)
    assert recorder.prompt("One more?") == 2
    assert len(store.comparisons.list()) == 1


def test_the_leaderboard_ranks_the_users_votes(store: HistoryStore, host: ModelHost) -> None:
    cid = _saved(store, host)
    board = rank(ballots(store.comparisons.votes()))
    assert [s.model for s in board] == [SMOL, GEMMA]  # one win, one tie
    assert [s.votes for s in board] == [2, 2]
    assert board[0].wins == 1.5 and board[0].losses == 0.5
    store.comparisons.vote(cid, 0, 0)  # the user changed their mind on the first turn
    board = rank(ballots(store.comparisons.votes()))
    assert [s.model for s in board] == [GEMMA, SMOL]
    other = Comparison(host, [SMOL, GEMMA])
    recorder = ComparisonRecorder(DirectHistory(store), other)
    recorder.prompt("Hi")
    recorder.vote(0, 0, blind=True)  # now a win each way and a tie
    board = rank(ballots(store.comparisons.votes()))
    assert board[0].rating == pytest.approx(board[1].rating)
    assert [s.votes for s in board] == [3, 3]


def test_a_model_that_always_wins_ranks_first_with_shrinking_uncertainty() -> None:
    rng = random.Random(3)
    strong = [Ballot(tuple(rng.sample(["a", "b", "c"], 2)), None) for _ in range(30)]
    strong = [Ballot(b.models, b.models.index("a") if "a" in b.models else rng.randrange(2))
              for b in strong]
    board = rank(strong)
    assert board[0].model == "a" and board[0].losses == 0
    assert board[0].rating - board[0].error > max(s.rating for s in board[1:])
    few = rank(strong[:6])
    assert few[0].model == "a" and few[0].error > board[0].error
    assert rank([]) == []


def test_ties_and_multi_column_votes() -> None:
    board = rank([Ballot(("x", "y"), None)] * 5)
    assert board[0].rating == pytest.approx(board[1].rating) == pytest.approx(1000)
    assert board[0].wins == board[0].losses == 2.5
    # a four-column vote: the winner beat all three; the others say nothing of each other
    board = rank([Ballot(("p", "q", "r", "s"), 2)] * 3)
    assert board[0].model == "r" and board[0].wins == 9
    assert {s.model: s.losses for s in board[1:]} == {"p": 3, "q": 3, "s": 3}
    assert board[1].rating == pytest.approx(board[3].rating)
