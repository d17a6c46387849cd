"""Full-text search of the history: what a person types, run safely against FTS5.

Every word is quoted (quotes inside doubled), so operators, quotes, parentheses, colons
and stars in the text are searched for, never interpreted. Words are ANDed. On request
the last word also matches as a prefix (search while typing); that is opt-in because
FTS5 merges the postings of every word with that prefix, which is slower for short ones.
Ranking is BM25 with estimated word frequencies over the newest matches (`search`);
excerpts are marked here too. Functions over a connection, so the store only delegates.
"""

from __future__ import annotations

import math
import re
from typing import Any, Final

from sqlalchemy import Connection

from spark_desktop.history.records import SearchHit

MARK_START = "\x02"
MARK_END = "\x03"
PREFIX_MIN_CHARS = 3
SEARCH_WINDOW: Final = 300
# Per index: the table and column it indexes, and the query giving conversation, message,
# title and the text around the first match for the best rows. Driver-level SQL (no
# SQLAlchemy compilation): search runs on every keystroke of the search box.
_EXCERPT = ("substr({column}, max(1, instr(lower({column}), ?) - 60), 200), "
            "instr(lower({column}), ?)")
_SOURCES: Final = {
    "conversations_fts": (
        "conversations", "title",
        ("SELECT c.seq, c.id, NULL, c.title, " + _EXCERPT.format(column="c.title")
         + " FROM conversations AS c WHERE c.seq IN ({marks})")),
    "messages_fts": (
        "messages", "content",
        ("SELECT m.seq, m.conversation_id, m.id, c.title, "
         + _EXCERPT.format(column="m.content") + " FROM messages AS m"
         " JOIN conversations AS c ON c.id = m.conversation_id WHERE m.seq IN ({marks})")),
}


def search(conn: Connection, query: str, limit: int = 20, *,
           prefix: bool = False) -> list[SearchHit]:
    """Messages and titles holding every word of `query`, best first.

    Any text is safe: words are quoted before they reach FTS5. Candidates are the
    newest SEARCH_WINDOW matches of each index (FTS5 walks matches newest first and
    stops there), ranked by BM25 with estimated word frequencies (idf_estimate),
    so a word found in half a million messages costs little more than a rare one. `rank`
    is the negated score (lower is better, as with FTS5's bm25()). In snippets the
    matched words sit between MARK_START and MARK_END. `prefix` lets the last word
    match as a prefix.
    """
    terms = phrases(query, prefix_last=prefix)
    expression = match_expression(query, prefix_last=prefix)
    if expression is None or limit <= 0:
        return []
    hits: list[SearchHit] = []
    for index, (table, column, detail) in _SOURCES.items():
        scores = window_scores(conn, index, table, column, expression, terms)
        best = sorted(scores, key=scores.__getitem__, reverse=True)[:limit]
        if best:
            first = terms[0][1]
            rows = conn.exec_driver_sql(detail.format(marks=", ".join("?" * len(best))),
                                        (first, first, *best)).all()
            hits += [SearchHit(*row[1:4], snippet=mark_snippet(row[4], row[5], terms),
                               rank=-scores[row[0]]) for row in rows]
    return sorted(hits, key=lambda hit: hit.rank)[:limit]


def window_scores(conn: Connection, index: str, table: str, column: str,
                  expression: str, terms: list[tuple[str, str]]) -> dict[int, float]:
    """BM25 scores of the newest matches of `expression` in one index, by rowid."""
    newest = f"SELECT rowid FROM {index} WHERE {index} MATCH ? ORDER BY rowid DESC LIMIT ?"
    window = conn.exec_driver_sql(newest, (expression, SEARCH_WINDOW)).scalars().all()
    if not window:
        return {}
    total = conn.exec_driver_sql(f"SELECT max(seq) FROM {table}").scalar_one() or 1
    idfs = []
    for phrase, _ in terms:
        rows = window if len(terms) == 1 else conn.exec_driver_sql(
            newest, (phrase, SEARCH_WINDOW)).scalars().all()
        idfs.append(idf_estimate(total, SEARCH_WINDOW, len(rows), min(rows, default=0)))
    lowered = f"lower({column})"
    counts = ", ".join(
        f"(length({lowered}) - length(replace({lowered}, ?, ''))) / ?" for _ in terms)
    params: list[Any] = [value for _, needle in terms for value in (needle, len(needle) or 1)]
    rows = conn.exec_driver_sql(
        f"SELECT seq, length({column}), {counts} FROM {table}"
        f" WHERE seq IN ({', '.join('?' * len(window))})", (*params, *window)).all()
    average = sum(row[1] or 0 for row in rows) / max(len(rows), 1)
    return {row[0]: bm25_estimate([max(1, tf or 0) for tf in row[2:]], row[1] or 0,
                                  average, idfs) for row in rows}


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
