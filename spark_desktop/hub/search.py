"""Search the Hub for GGUF model repositories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from spark_desktop.hub import session
from spark_desktop.hub.errors import OfflineError

SORTS = {"downloads": "downloads", "likes": "likes", "trending": "trending_score",
         "updated": "last_modified"}
_EXPAND = ["author", "downloads", "likes", "lastModified", "tags", "gated", "gguf",
           "safetensors", "trendingScore", "pipeline_tag"]


@dataclass(frozen=True)
class SearchResult:
    repo: str
    author: str | None
    downloads: int
    likes: int
    updated: datetime | None
    tags: tuple[str, ...]
    gated: bool
    parameters: int | None     # from the Hub's GGUF (or safetensors) summary
    architecture: str | None
    context_length: int | None


def _result(info: Any) -> SearchResult:
    gguf = info.gguf if isinstance(info.gguf, dict) else {}
    parameters = gguf.get("total")
    if parameters is None and info.safetensors is not None:
        parameters = info.safetensors.total
    return SearchResult(
        repo=info.id, author=info.author or info.id.split("/")[0],
        downloads=int(info.downloads or 0), likes=int(info.likes or 0),
        updated=info.last_modified, tags=tuple(info.tags or ()),
        gated=bool(info.gated), parameters=int(parameters) if parameters else None,
        architecture=gguf.get("architecture"), context_length=gguf.get("context_length"))


def search(query: str = "", *, sort: str = "downloads", limit: int = 30,
           page: int = 0) -> tuple[SearchResult, ...]:
    """One page of GGUF repositories matching `query`, most downloaded (etc.) first."""
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    session.require_network(OfflineError().args[0])
    with session.hub_errors(query or "search", OfflineError().args[0]):
        found = session.api().list_models(
            filter="gguf", search=query or None, sort=SORTS[sort],  # type: ignore[arg-type]
            limit=limit * (page + 1), expand=_EXPAND)  # type: ignore[arg-type]
        page_items = list(islice(found, limit * page, limit * (page + 1)))
    return tuple(_result(info) for info in page_items)
