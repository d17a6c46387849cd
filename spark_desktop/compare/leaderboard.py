"""A leaderboard of the user's own votes: Bradley–Terry strengths with standard errors.

A vote in a comparison of N models counts as pairwise games: the winner beat each
other column; a tie is half a win each way for every pair. Strengths are fitted by the
minorization–maximization algorithm (Hunter 2004) with a weak prior (one virtual tie
against an average opponent), so a model that won every game still gets a finite
strength; the uncertainty is the standard error of its log-strength from the Fisher
information. Pure: votes in, rows out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

PRIOR_GAMES = 1.0     # virtual tie per model against the field's average (keeps it finite)
ITERATIONS = 500
TOLERANCE = 1e-10
SCALE = 400 / math.log(10)  # log-strength to an Elo-like scale
BASE = 1000.0


@dataclass(frozen=True)
class Ballot:
    """One vote: the models in column order and the winning column (None: a tie)."""

    models: tuple[str, ...]
    winner: int | None


@dataclass(frozen=True)
class Standing:
    """One model's row: an Elo-like rating (1000 is average), its ± standard error, and
    the games behind it."""

    model: str
    rating: float
    error: float
    votes: int
    wins: float
    losses: float


def pairwise(ballots: Iterable[Ballot]) -> dict[tuple[str, str], float]:
    """Wins of a over b (ties count half each way), for every pair that met."""
    wins: dict[tuple[str, str], float] = {}
    for ballot in ballots:
        models = ballot.models
        for i, a in enumerate(models):
            for j, b in enumerate(models):
                if i == j or a == b:
                    continue
                if ballot.winner is None:
                    share = 0.5
                elif ballot.winner in (i, j):
                    share = 1.0 if ballot.winner == i else 0.0
                else:
                    continue  # neither won: this pair says nothing about each other
                wins[a, b] = wins.get((a, b), 0.0) + share
    return wins


def rank(ballots: Sequence[Ballot]) -> list[Standing]:
    """Every model that appears in a vote, best first."""
    wins = pairwise(ballots)
    models = sorted({m for b in ballots for m in b.models})
    if not models:
        return []
    games: dict[tuple[str, str], float] = {}
    for (a, b), w in wins.items():  # games between a and b: wins either way
        games[a, b] = games.get((a, b), 0.0) + w
        games[b, a] = games.get((b, a), 0.0) + w
    strength = {m: 1.0 for m in models}
    for _ in range(ITERATIONS):
        updated = {}
        for m in models:
            won = sum(w for (a, _b), w in wins.items() if a == m) + PRIOR_GAMES / 2
            denom = sum(n / (strength[m] + strength[o])
                        for (a, o), n in games.items() if a == m)
            denom += PRIOR_GAMES / (strength[m] + 1.0)
            updated[m] = won / denom
        mean = math.exp(sum(math.log(v) for v in updated.values()) / len(models))
        updated = {m: v / mean for m, v in updated.items()}
        change = max(abs(math.log(updated[m] / strength[m])) for m in models)
        strength = updated
        if change < TOLERANCE:
            break
    rows = []
    for m in models:
        info = PRIOR_GAMES * strength[m] / (strength[m] + 1.0) ** 2
        info += sum(n * strength[m] * strength[o] / (strength[m] + strength[o]) ** 2
                    for (a, o), n in games.items() if a == m)
        won = sum(w for (a, _b), w in wins.items() if a == m)
        lost = sum(w for (_a, b), w in wins.items() if b == m)
        rows.append(Standing(
            model=m, rating=BASE + SCALE * math.log(strength[m]),
            error=SCALE / math.sqrt(info), votes=sum(1 for b in ballots if m in b.models),
            wins=won, losses=lost))
    return sorted(rows, key=lambda r: (-r.rating, r.model))
