"""A reply's citations as the message view shows them: each [n] of its text a link that
opens the passage (the address `cite:n`), and a compact list of its sources under it.

The passages are the ones the reply keeps (Message.extra["citations"], see
chat.documents); a marker whose number no passage has stays plain text.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from pathlib import PurePath
from typing import Any, Final

from spark_desktop.documents.question import cited_numbers

SCHEME: Final = "cite"
SOURCES_SHOWN: Final = 6  # source lines under a reply; more are counted, not listed
_MARKER = re.compile(r"\[(\d+)\](?!\()")


def citations(extra: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The passages a message keeps (none for most messages)."""
    found = extra.get("citations")
    return [c for c in found if isinstance(c, dict) and "n" in c] \
        if isinstance(found, list) else []


def citation(extra: Mapping[str, Any], n: int) -> dict[str, Any] | None:
    return next((c for c in citations(extra) if c["n"] == n), None)


def link_markers(text: str, numbers: Collection[int]) -> str:
    """Markdown with each [n] of a known passage made a link to `cite:n`; code blocks and
    code spans are left as they are."""
    if not numbers:
        return text
    out: list[str] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        stripped = line.lstrip()
        if fence is None and stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
        elif fence is not None:
            if stripped.startswith(fence):
                fence = None
        else:
            parts = line.split("`")  # odd parts are inside code spans
            line = "`".join(_MARKER.sub(lambda m: _link(m, numbers), part) if i % 2 == 0
                            else part for i, part in enumerate(parts))
        out.append(line)
    return "".join(out)


def _link(match: re.Match[str], numbers: Collection[int]) -> str:
    n = int(match[1])
    return f"[\\[{n}\\]]({SCHEME}:{n})" if n in numbers else match[0]


def number_of(url: str) -> int | None:
    """n of a `cite:n` address, else None."""
    scheme, _, rest = url.partition(":")
    return int(rest) if scheme == SCHEME and rest.isdigit() else None


def source_lines(content: str, extra: Mapping[str, Any]) -> tuple[list[tuple[int, str]], int]:
    """(n, "[n] file, place") of the sources to list under a reply (the cited passages,
    or every passage when the reply cites none), and how many more were left out."""
    passages = citations(extra)
    cited = cited_numbers(content)
    shown = [c for c in passages if c["n"] in cited] or passages
    lines = [(int(c["n"]), _source(c)) for c in shown]
    return lines[:SOURCES_SHOWN], max(0, len(lines) - SOURCES_SHOWN)


def _source(c: Mapping[str, Any]) -> str:
    return f"[{c['n']}] {PurePath(str(c.get('file', ''))).name}, {c.get('location', '')}"


def document_names(extra: Mapping[str, Any]) -> Sequence[str]:
    """The file names of the documents a user message was sent with."""
    paths = extra.get("documents")
    return [PurePath(str(p)).name for p in paths] if isinstance(paths, list) else []
