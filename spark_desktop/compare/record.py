"""Keeping a comparison in the history as it goes, and taking it up again later.

All writes go through a HistoryCalls (the app's one history runner, or the store
directly in the CLI), never from the threads that stream the answers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from spark_desktop.compare.leaderboard import Ballot
from spark_desktop.compare.runner import (
    ColumnFinished,
    ColumnResult,
    CompareEvent,
    Comparison,
    OnEvent,
    TurnOutcome,
)

if TYPE_CHECKING:
    from spark_desktop.history import HistoryStore
    from spark_desktop.history.comparisons import SavedComparison, Vote
    from spark_desktop.history.runner import HistoryCalls
    from spark_desktop.host import ModelHost

_FINISH = ("stop", "length", "cancelled", "error")


class ComparisonRecorder:
    """Writes one comparison's prompts, answers and votes; created on the first prompt."""

    def __init__(self, history: HistoryCalls, comparison: Comparison,
                 comparison_id: str | None = None) -> None:
        self.history = history
        self.comparison = comparison
        self.id = comparison_id

    def prompt(self, text: str) -> int:
        """Save the user's prompt in every column; returns the turn number."""
        cmp = self.comparison
        if self.id is None:
            settings = {"sampling": cmp.sampling.to_dict()}
            self.id = self.history.call(lambda s: s.comparisons.create(
                cmp.models, system_prompt=cmp.system_prompt, settings=settings).id)
        cid = self.id
        return self.history.call(lambda s: s.comparisons.add_prompt(cid, text))

    def reply(self, column: int, result: ColumnResult) -> None:
        cid = self.id
        assert cid is not None, "prompt() first"
        reason = result.finish_reason if result.finish_reason in _FINISH else "error"
        self.history.call(lambda s: s.comparisons.add_reply(
            cid, column, result.text, reason,  # type: ignore[arg-type]
            prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
            ttft_ms=result.ttft_ms, tokens_per_s=result.decode_tps))

    def vote(self, turn: int, winner: int | None, blind: bool) -> Vote:
        cid = self.id
        assert cid is not None, "prompt() first"
        return self.history.call(lambda s: s.comparisons.vote(cid, turn, winner, blind=blind))


def run_saved_turn(recorder: ComparisonRecorder, prompt: str,
                   on_event: OnEvent | None = None) -> tuple[int, TurnOutcome]:
    """One turn that the history keeps: the prompt saved first, each answer once it is
    complete (written through the recorder's history, not from the columns' threads).
    Returns the turn number and the outcome."""
    turn = recorder.prompt(prompt)
    finished: list[ColumnFinished] = []

    def forward(event: CompareEvent) -> None:
        if isinstance(event, ColumnFinished):
            finished.append(event)
        if on_event is not None:
            on_event(event)

    outcome = recorder.comparison.run_turn(prompt, forward)
    for event in sorted(finished, key=lambda e: e.column):
        recorder.reply(event.column, event.result)
    return turn, outcome


def reopen(store: HistoryStore, host: ModelHost, comparison_id: str,
           ) -> tuple[Comparison, SavedComparison, list[list[tuple[str, str]]]]:
    """A saved comparison made live again: each column's history restored, and the
    (role, text) pairs to show."""
    from spark_desktop.inference_settings import SamplingSettings

    saved = store.comparisons.get(comparison_id)
    columns = store.comparisons.columns(comparison_id)
    sampling = SamplingSettings.from_dict(saved.settings.get("sampling", {}))
    comparison = Comparison(host, saved.models, system_prompt=saved.system_prompt,
                            sampling=sampling)
    shown = []
    for column, messages in zip(comparison.columns, columns, strict=True):
        pairs = [(m.role, m.content) for m in messages if m.role in ("user", "assistant")]
        column.messages += [{"role": role, "content": text} for role, text in pairs]
        shown.append(pairs)
    return comparison, saved, shown


def ballots(votes: list[Vote]) -> list[Ballot]:
    """The stored votes as the leaderboard takes them."""
    return [Ballot(v.models, v.winner) for v in votes if len(v.models) >= 2]
