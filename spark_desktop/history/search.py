"""Turning what a person types into a safe FTS5 query.

Every word is quoted (quotes inside doubled), so operators, quotes, parentheses, colons
and stars in the text are searched for, never interpreted. Words are ANDed. On request
the last word also matches as a prefix (search while typing); that is opt-in because
FTS5 merges the postings of every word with that prefix, which is slower for short ones.
"""

from __future__ import annotations

MARK_START = "\x02"
MARK_END = "\x03"
PREFIX_MIN_CHARS = 3


def match_expression(query: str, *, prefix_last: bool = False) -> str | None:
    """An FTS5 MATCH expression for `query`, or None when it holds no words."""
    words = query.replace("\x00", " ").split()
    if not words:
        return None
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    if prefix_last and not query[-1:].isspace() and len(words[-1]) >= PREFIX_MIN_CHARS:
        quoted[-1] += "*"
    return " ".join(quoted)
