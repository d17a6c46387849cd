"""Comparing models: the same prompts answered by 2–4 models through the host, measured
here, kept in the history, and judged by the user's (blind) votes on a leaderboard; and
the spec sheet (spec.py) that compares candidates before any download."""

from spark_desktop.compare.leaderboard import Ballot, Standing, rank
from spark_desktop.compare.record import ComparisonRecorder, ballots, reopen, run_saved_turn
from spark_desktop.compare.runner import (
    ColumnFinished,
    ColumnResult,
    ColumnStarted,
    ColumnText,
    CompareError,
    CompareEvent,
    Comparison,
    Plan,
    Planned,
    TurnOutcome,
)

__all__ = ["Ballot", "ColumnFinished", "ColumnResult", "ColumnStarted", "ColumnText",
           "CompareError", "CompareEvent", "Comparison", "ComparisonRecorder", "Plan",
           "Planned", "Standing", "TurnOutcome", "ballots", "rank", "reopen", "run_saved_turn"]
