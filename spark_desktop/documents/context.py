"""A cited passage in its file again: the lines around it, read afresh, for the passage
viewer of a reply's citations.

The reply keeps the passage as it was given to the model; the file may have changed or
gone since. Then the stored passage is all there is, and the result says why, so the
viewer never shows text that was not what the model read as if it were.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from spark_desktop.documents.errors import DocumentError, DocumentMissingError
from spark_desktop.documents.extract import read_document

AROUND_LINES: Final = 12  # lines shown before and after a passage
State = Literal["found", "moved", "changed", "missing", "unreadable"]


@dataclass(frozen=True)
class PassageContext:
    """The passage (as stored, or as the file now holds it) between its neighbouring lines.

    `state`: "found" at its place; "moved" found elsewhere in the file; "changed" (not in
    the file any more), "missing" (the file is gone) or "unreadable" (`problem` says why):
    then `passage` is the stored text and there are no neighbours."""

    before: str
    passage: str
    after: str
    state: State
    problem: str = ""


def passage_context(citation: Mapping[str, Any], around: int = AROUND_LINES) -> PassageContext:
    """Read the cited file again (slow for a big PDF: call it off the GUI thread)."""
    stored = str(citation.get("text", ""))
    try:
        document = read_document(str(citation["file"]))
    except DocumentMissingError as exc:
        return PassageContext("", stored, "", "missing", str(exc))
    except DocumentError as exc:
        return PassageContext("", stored, "", "unreadable", str(exc))
    page = citation.get("page")
    sections = sorted(document.sections, key=lambda s: s.page != page)  # its page first
    first, last = int(citation.get("first_line", 1)), int(citation.get("last_line", 1))
    for n, section in enumerate(sections):
        lines = section.text.split("\n")
        if n == 0 and stored.strip() in "\n".join(lines[first - 1:last]):
            return _around(lines, first, last, "found", around)
        start = section.text.find(stored.strip()) if stored.strip() else -1
        if start >= 0:
            first = section.text.count("\n", 0, start) + 1
            last = first + stored.strip().count("\n")
            return _around(lines, first, last, "moved", around)
    return PassageContext("", stored, "", "changed")


def _around(lines: list[str], first: int, last: int, state: State,
            around: int) -> PassageContext:
    before = "\n".join(lines[max(0, first - 1 - around):first - 1])
    after = "\n".join(lines[last:last + around])
    return PassageContext(before, "\n".join(lines[first - 1:last]), after, state)
