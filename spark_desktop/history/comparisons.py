"""Comparisons kept in the history: several models answering the same prompts, and votes.

Each column is an ordinary conversation (tagged "compare"), so its messages are stored,
streamed, searched and exported the way a chat's are; the comparison ties the columns
together in order and keeps the user's votes (winner column, or a tie, per turn).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.dialects.sqlite import insert as upsert

from spark_desktop.history.errors import InvalidMessageError, NotFoundError
from spark_desktop.history.records import Conversation, FinishReason, Message, SearchHit
from spark_desktop.history.rows import auto_title, new_id, now_ms, to_datetime
from spark_desktop.history.schema import ComparisonColumnRow, ComparisonRow, VoteRow

TAG: Final = "compare"
_CMP: Final = ComparisonRow.__table__
_COL: Final = ComparisonColumnRow.__table__
_VOTE: Final = VoteRow.__table__


@dataclass(frozen=True)
class SavedComparison:
    """A comparison as stored: its models in column order and each column's conversation."""

    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    system_prompt: str | None
    models: tuple[str, ...]
    conversation_ids: tuple[str, ...]
    settings: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class Vote:
    """The user's judgement of one turn: the winning column (None: a tie)."""

    comparison_id: str
    turn: int
    winner: int | None
    blind: bool
    created_at: datetime
    models: tuple[str, ...]   # the comparison's models in column order


@dataclass(frozen=True)
class ComparisonHit:
    """A search hit inside one column of a comparison."""

    comparison_id: str
    column: int
    hit: SearchHit


class _Conversations(Protocol):
    """What a comparison needs of the HistoryStore (which imports this module)."""

    def create_conversation(self, title: str = "", *, system_prompt: str | None = None,
                            model: str | None = None, folder: str | None = None,
                            tags: Sequence[str] = (),
                            load_settings: Mapping[str, Any] | None = None,
                            sampling_settings: Mapping[str, Any] | None = None
                            ) -> Conversation: ...

    def add_message(self, conversation_id: str, role: Any, content: str,
                    **fields: Any) -> Message: ...

    def active_path(self, conversation_id: str, leaf_id: str | None = None
                    ) -> list[Message]: ...

    def search(self, query: str, limit: int = 20, *, prefix: bool = False
               ) -> list[SearchHit]: ...

    def delete_conversation(self, conversation_id: str) -> None: ...


class Comparisons:
    """The comparisons of one history database (HistoryStore.comparisons)."""

    def __init__(self, store: _Conversations, engine: Engine, writer: Engine) -> None:
        self._store = store
        self._engine = engine
        self._writer = writer

    def create(self, models: Sequence[str], *, system_prompt: str | None = None,
               settings: Mapping[str, Any] | None = None, title: str = "") -> SavedComparison:
        """A new comparison with one empty conversation per model, in this order."""
        if len(models) < 2:
            raise InvalidMessageError("A comparison needs at least two models.")
        convs = [self._store.create_conversation(
            system_prompt=system_prompt, model=model, tags=(TAG,),
            sampling_settings=dict(settings or {})) for model in models]
        stamp = now_ms()
        cid = new_id()
        with self._writer.begin() as conn:
            conn.execute(insert(_CMP), {"id": cid, "title": title.strip(), "created_ms": stamp,
                                        "updated_ms": stamp, "system_prompt": system_prompt,
                                        "settings": dict(settings or {})})
            conn.execute(insert(_COL), [{"comparison_id": cid, "position": i, "model": m,
                                         "conversation_id": c.id}
                                        for i, (m, c) in enumerate(zip(models, convs,
                                                                       strict=True))])
        return self.get(cid)

    def get(self, comparison_id: str) -> SavedComparison:
        with self._engine.connect() as conn:
            return self._get(conn, comparison_id)

    def _get(self, conn: Connection, comparison_id: str) -> SavedComparison:
        row = conn.execute(select(_CMP).where(_CMP.c.id == comparison_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"There is no comparison {comparison_id} in the history.")
        cols = conn.execute(select(_COL).where(_COL.c.comparison_id == comparison_id)
                            .order_by(_COL.c.position)).mappings().all()
        return SavedComparison(
            id=row["id"], title=row["title"], created_at=to_datetime(row["created_ms"]),
            updated_at=to_datetime(row["updated_ms"]), system_prompt=row["system_prompt"],
            models=tuple(c["model"] for c in cols),
            conversation_ids=tuple(c["conversation_id"] for c in cols),
            settings=dict(row["settings"] or {}))

    def list(self, limit: int = 100, offset: int = 0) -> list[SavedComparison]:
        """The most recently active first."""
        with self._engine.connect() as conn:
            ids = conn.execute(select(_CMP.c.id).order_by(_CMP.c.updated_ms.desc(),
                                                          _CMP.c.seq.desc())
                               .limit(limit).offset(offset)).scalars().all()
            return [self._get(conn, cid) for cid in ids]

    def for_conversation(self, conversation_id: str) -> tuple[str, int] | None:
        """The comparison and column a conversation belongs to, if it is a column."""
        with self._engine.connect() as conn:
            row = conn.execute(select(_COL.c.comparison_id, _COL.c.position)
                               .where(_COL.c.conversation_id == conversation_id)).first()
        return None if row is None else (row[0], row[1])

    def add_prompt(self, comparison_id: str, prompt: str) -> int:
        """The user's prompt, added to every column; returns the turn's number (from 0)."""
        saved = self.get(comparison_id)
        turn = self.turns(comparison_id)
        for conv in saved.conversation_ids:
            self._store.add_message(conv, "user", prompt)
        self._touch(comparison_id, title=None if saved.title else auto_title(prompt))
        return turn

    def add_reply(self, comparison_id: str, column: int, text: str,
                  finish_reason: FinishReason, *, prompt_tokens: int | None = None,
                  completion_tokens: int | None = None, ttft_ms: float | None = None,
                  tokens_per_s: float | None = None) -> Message:
        """One column's answer to the latest prompt, with its figures."""
        saved = self.get(comparison_id)
        if not 0 <= column < len(saved.models):
            raise InvalidMessageError(f"The comparison has no column {column}.")
        msg = self._store.add_message(
            saved.conversation_ids[column], "assistant", text, model=saved.models[column],
            finish_reason=finish_reason, prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens, ttft_ms=ttft_ms, tokens_per_s=tokens_per_s)
        self._touch(comparison_id)
        return msg

    def columns(self, comparison_id: str) -> list[list[Message]]:
        """Each column's messages, oldest first (the branch each conversation shows)."""
        return [self._store.active_path(conv)
                for conv in self.get(comparison_id).conversation_ids]

    def turns(self, comparison_id: str) -> int:
        """How many prompts the comparison has had."""
        first = self.get(comparison_id).conversation_ids[0]
        return sum(1 for m in self._store.active_path(first) if m.role == "user")

    def vote(self, comparison_id: str, turn: int, winner: int | None, *,
             blind: bool = False) -> Vote:
        """Record (or replace) the vote on a turn; winner None is a tie."""
        saved = self.get(comparison_id)
        if winner is not None and not 0 <= winner < len(saved.models):
            raise InvalidMessageError(f"The comparison has no column {winner} to vote for.")
        if not 0 <= turn < max(1, self.turns(comparison_id)):
            raise InvalidMessageError(f"The comparison has no turn {turn} to vote on.")
        stamp = now_ms()
        values = {"comparison_id": comparison_id, "turn": turn, "winner": winner,
                  "blind": blind, "created_ms": stamp}
        with self._writer.begin() as conn:
            conn.execute(upsert(_VOTE).values(values).on_conflict_do_update(
                index_elements=["comparison_id", "turn"],
                set_={"winner": winner, "blind": blind, "created_ms": stamp}))
        return Vote(comparison_id, turn, winner, blind, to_datetime(stamp), saved.models)

    def votes(self, comparison_id: str | None = None) -> list[Vote]:
        """Votes of one comparison, or of all (for the leaderboard), oldest first."""
        query = select(_VOTE).order_by(_VOTE.c.created_ms, _VOTE.c.seq)
        if comparison_id is not None:
            query = query.where(_VOTE.c.comparison_id == comparison_id)
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
            cols = conn.execute(select(_COL).order_by(_COL.c.comparison_id, _COL.c.position)
                                ).mappings().all()
        models: dict[str, list[str]] = {}
        for col in cols:
            models.setdefault(col["comparison_id"], []).append(col["model"])
        return [Vote(r["comparison_id"], r["turn"], r["winner"], bool(r["blind"]),
                     to_datetime(r["created_ms"]), tuple(models.get(r["comparison_id"], ())))
                for r in rows]

    def search(self, query: str, limit: int = 20) -> list[ComparisonHit]:
        """Full-text hits (history.search) that lie in a comparison's columns."""
        hits = self._store.search(query, limit=limit * 4)
        found = []
        for hit in hits:
            where = self.for_conversation(hit.conversation_id)
            if where is not None:
                found.append(ComparisonHit(where[0], where[1], hit))
        return found[:limit]

    def delete(self, comparison_id: str) -> None:
        """The comparison, its votes and its columns' conversations."""
        saved = self.get(comparison_id)
        for conv in saved.conversation_ids:
            self._store.delete_conversation(conv)
        with self._writer.begin() as conn:
            conn.execute(delete(_VOTE).where(_VOTE.c.comparison_id == comparison_id))
            conn.execute(delete(_CMP).where(_CMP.c.id == comparison_id))

    def _touch(self, comparison_id: str, title: str | None = None) -> None:
        changes: dict[str, Any] = {"updated_ms": now_ms()}
        if title:
            changes["title"] = title
        with self._writer.begin() as conn:
            conn.execute(update(_CMP).where(_CMP.c.id == comparison_id).values(**changes))
