"""Turning what a person types into a safe FTS5 query.

Every word is quoted (quotes inside doubled), so operators, quotes, parentheses, colons
and stars in the text are searched for, never interpreted. Words are ANDed. On request
the last word also matches as a prefix (search while typing); that is opt-in because
FTS5 merges the postings of every word with that prefix, which is slower for short ones.
Also here: the BM25 arithmetic the store ranks with, and the marked excerpts it shows.
"""

from __future__ import annotations

import math
import re

MARK_START = "\x02"
MARK_END = "\x03"
PREFIX_MIN_CHARS = 3


def phrases(query: str, *, prefix_last: bool = False) -> list[tuple[str, str]]:
    """(FTS5 phrase, lower-case needle) for each distinct word of `query`."""
    words = list(dict.fromkeys(query.replace("\x00", " ").split()))
    found = [('"' + word.replace('"', '""') + '"', word.lower()) for word in words]
    if found and prefix_last and not query[-1:].isspace() and len(words[-1]) >= PREFIX_MIN_CHARS:
        found[-1] = (found[-1][0] + "*", found[-1][1])
    return found


def match_expression(query: str, *, prefix_last: bool = False) -> str | None:
    """An FTS5 MATCH expression for `query` (all words must occur), or None without words."""
    found = phrases(query, prefix_last=prefix_last)
    return " ".join(phrase for phrase, _ in found) or None


def bm25_estimate(term_counts: list[int], length: float, avg_length: float,
                  idfs: list[float], k1: float = 1.2, b: float = 0.75) -> float:
    """Okapi BM25 of one document from its term counts and length (higher is better)."""
    norm = k1 * (1 - b + b * length / max(avg_length, 1.0))
    score = 0.0
    for tf, idf in zip(term_counts, idfs, strict=True):
        score += idf * tf * (k1 + 1) / (tf + norm)
    return score


def idf_estimate(total: int, window: int, matches_in_window: int, oldest_rowid: int) -> float:
    """BM25's idf from how densely the newest `window` matches of a word are packed.

    FTS5's own bm25() counts every document holding each word, which for a common word in
    a million messages takes longer than the whole search may. The newest matches tell
    nearly the same: fewer than `window` means that is the exact count; otherwise the
    share of rows they cover estimates the word's frequency.
    """
    if matches_in_window < window:
        frequency = float(matches_in_window)
    else:
        frequency = total * matches_in_window / max(total - oldest_rowid + 1, 1)
    return math.log((total - frequency + 0.5) / (frequency + 0.5) + 1)


def mark_snippet(excerpt: str | None, position: int, terms: list[tuple[str, str]]) -> str:
    """Readable excerpt around the first match, each matched word between the marks.

    Built here rather than by FTS5's snippet(), which has to re-read the posting list
    of every word for each hit and costs more than the rest of a search for common words.
    """
    text = " ".join((excerpt or "").replace("\x00", " ").split())
    if position > 61:
        text = "…" + text
    if len(excerpt or "") >= 200:
        text += "…"
    needles = sorted({needle for _, needle in terms if needle}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(needle) for needle in needles), re.IGNORECASE)
    return pattern.sub(lambda m: f"{MARK_START}{m.group(0)}{MARK_END}", text) if needles \
        else text
