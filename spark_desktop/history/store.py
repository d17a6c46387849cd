"""The history store: conversations as message trees, and replies written as they stream.

One object for callers; behind it search.py ranks full-text matches, bulk.py imports
whole exports and database.py opens and checks the file.

Thread-safe: every call checks a connection out of the engine's pool and returns frozen
dataclasses, so the GUI can read on one thread while a reply streams in on another.
Writes take SQLite's write lock at BEGIN (see database._on_begin).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Self

from sqlalchemy import JSON, Connection, Engine, delete, func, insert, select, text, update

from spark_desktop import paths
from spark_desktop.history import bulk, database
from spark_desktop.history import search as full_text
from spark_desktop.history.collections import CollectionTables
from spark_desktop.history.documents import DocumentTables
from spark_desktop.history.errors import AmbiguousIdError, InvalidMessageError, NotFoundError
from spark_desktop.history.records import (
    FINISH_REASONS,
    ROLES,
    Conversation,
    FinishReason,
    ImportResult,
    Message,
    MessagePage,
    Role,
    SearchHit,
)
from spark_desktop.history.rows import CONVERSATIONS as _C
from spark_desktop.history.rows import MESSAGES as _M
from spark_desktop.history.rows import auto_title, new_id, now_ms, to_datetime
from spark_desktop.history.rows import conversation_from_row as _conversation
from spark_desktop.history.rows import conversation_values as _conversation_values
from spark_desktop.history.rows import message_from_row as _message
from spark_desktop.history.rows import message_values as _message_values
from spark_desktop.history.streaming import StreamWriter

if TYPE_CHECKING:
    from spark_desktop.history.comparisons import Comparisons


class _Active:
    """Default for parent_id: attach to the end of the branch the conversation shows."""


ACTIVE: Final = _Active()
_UNSET: Final = object()
_MESSAGE_COLUMNS = ", ".join(f"messages.{c.name}" for c in _M.columns if c.name != "seq")

# One branch upward from :start, at most :limit messages (cost: the page, not the chat).
_PAGE: Final = text(
    "WITH RECURSIVE chain(seq, parent_id, n) AS ("
    " SELECT seq, parent_id, 1 FROM messages WHERE id = :start AND conversation_id = :conv"
    " UNION ALL"
    " SELECT m.seq, m.parent_id, chain.n + 1 FROM messages AS m"
    "  JOIN chain ON m.id = chain.parent_id WHERE chain.n < :limit)"
    f" SELECT {_MESSAGE_COLUMNS} FROM chain"
    " JOIN messages ON messages.seq = chain.seq ORDER BY chain.n DESC"
).columns(extra=JSON)  # typed, so it comes back as a dict
# Down from :id, always taking the newest reply, to a leaf.
_NEWEST_LEAF: Final = text(
    "WITH RECURSIVE down(id, n) AS (SELECT :id, 0 UNION ALL"
    " SELECT (SELECT c.id FROM messages AS c WHERE c.parent_id = down.id"
    "  ORDER BY c.created_ms DESC, c.seq DESC LIMIT 1), n + 1"
    "  FROM down WHERE down.id IS NOT NULL)"
    " SELECT id FROM down WHERE id IS NOT NULL ORDER BY n DESC LIMIT 1")
_SUBTREE_SQL: Final = ("WITH RECURSIVE sub(id) AS (SELECT :id UNION ALL"
                       " SELECT m.id FROM messages AS m JOIN sub ON m.parent_id = sub.id)"
                       " SELECT id FROM sub")
_SUBTREE: Final = text(_SUBTREE_SQL)
_DELETE_SUBTREE: Final = text(f"DELETE FROM messages WHERE id IN ({_SUBTREE_SQL})")


class HistoryStore:
    """All conversations of one database file. Open with `HistoryStore.open()`."""

    def __init__(self, engine: Engine, path: Path) -> None:
        self._engine = engine
        self._writer = engine.execution_options(write=True)
        self.path = path

    @classmethod
    def open(cls, path: Path | None = None,
             keys: database.KeySource | None | database.AppKeys = database.APP_KEYS
             ) -> HistoryStore:
        """Open (creating or upgrading) the database and mark replies cut off by a crash.

        Raises DatabaseTooNewError, CorruptDatabaseError or NotHistoryDatabaseError
        before changing the file. `keys`: the app's key source (keyring or passphrase file;
        new files are encrypted), another KeySource, or None for plaintext only.
        """
        path = Path(path) if path is not None else paths.database_path()
        store = cls(database.open_engine(path, keys), path)
        store.recover_interrupted()
        return store

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- conversations -------------------------------------------------------------

    def create_conversation(self, title: str = "", *, system_prompt: str | None = None,
                            model: str | None = None, folder: str | None = None,
                            tags: Sequence[str] = (),
                            load_settings: Mapping[str, Any] | None = None,
                            sampling_settings: Mapping[str, Any] | None = None,
                            extra: Mapping[str, Any] | None = None) -> Conversation:
        """A new, empty conversation; an empty title is filled from the first user message."""
        stamp = to_datetime(now_ms())
        conv = Conversation(id=new_id(), title=title.strip(), created_at=stamp,
                            updated_at=stamp, folder=folder, tags=tuple(tags),
                            system_prompt=system_prompt, model=model,
                            load_settings=dict(load_settings or {}),
                            sampling_settings=dict(sampling_settings or {}),
                            extra=dict(extra or {}))
        with self._writer.begin() as conn:
            conn.execute(insert(_C), _conversation_values(conv))
        return conv

    def get_conversation(self, conversation_id: str) -> Conversation:
        with self._engine.connect() as conn:
            return self._get_conversation(conn, conversation_id)

    def _get_conversation(self, conn: Connection, conversation_id: str) -> Conversation:
        row = conn.execute(select(_C).where(_C.c.id == conversation_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"There is no conversation {conversation_id} in the history; "
                                "`spark-desktop history list` shows the ids.")
        return _conversation(row)

    def list_conversations(self, limit: int = 100, offset: int = 0, *,
                           folder: str | None = None) -> list[Conversation]:
        """Pinned first, then the most recently active."""
        query = select(_C).order_by(_C.c.pinned.desc(), _C.c.updated_ms.desc(), _C.c.seq.desc())
        if folder is not None:
            query = query.where(_C.c.folder == folder)
        with self._engine.connect() as conn:
            rows = conn.execute(query.limit(limit).offset(offset)).mappings()
            return [_conversation(row) for row in rows]

    def count_conversations(self) -> int:
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(_C)).scalar_one())

    def count_messages(self, conversation_id: str) -> int:
        """Messages on every branch of a conversation."""
        with self._engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(_M).where(
                _M.c.conversation_id == conversation_id)).scalar_one())

    def resolve_id(self, prefix: str) -> str:
        """The full conversation id for an id or its unambiguous beginning (CLI convenience)."""
        prefix = prefix.strip().lower()
        pattern = prefix.replace("\\", "").replace("%", "").replace("_", "") + "%"
        with self._engine.connect() as conn:
            ids = conn.execute(select(_C.c.id).where(_C.c.id.like(pattern)).limit(2)).scalars()
            found = list(ids)
        if not prefix or not found:
            raise NotFoundError(f"No conversation id starts with {prefix!r}; "
                                "`spark-desktop history list` shows the ids.")
        if len(found) > 1:
            raise AmbiguousIdError(f"More than one conversation id starts with {prefix!r}; "
                                   "type more of the id.")
        return found[0]

    def update_conversation(self, conversation_id: str, *, title: Any = _UNSET,
                            pinned: Any = _UNSET, folder: Any = _UNSET, tags: Any = _UNSET,
                            system_prompt: Any = _UNSET, model: Any = _UNSET,
                            load_settings: Any = _UNSET, sampling_settings: Any = _UNSET,
                            extra: Any = _UNSET) -> Conversation:
        """Change the given fields (others stay as they are); returns the new state."""
        changes = {name: value for name, value in (
            ("title", title), ("pinned", pinned), ("folder", folder), ("tags", tags),
            ("system_prompt", system_prompt), ("model", model),
            ("load_settings", load_settings), ("sampling_settings", sampling_settings),
            ("extra", extra),
        ) if value is not _UNSET}
        if "tags" in changes:
            changes["tags"] = list(changes["tags"])
        for key in ("load_settings", "sampling_settings", "extra"):
            if key in changes:
                changes[key] = dict(changes[key] or {})
        with self._writer.begin() as conn:
            self._get_conversation(conn, conversation_id)
            if changes:
                conn.execute(update(_C).where(_C.c.id == conversation_id).values(**changes))
            return self._get_conversation(conn, conversation_id)

    def rename(self, conversation_id: str, title: str) -> Conversation:
        return self.update_conversation(conversation_id, title=title.strip())

    def set_pinned(self, conversation_id: str, pinned: bool) -> Conversation:
        return self.update_conversation(conversation_id, pinned=pinned)

    def set_folder(self, conversation_id: str, folder: str | None) -> Conversation:
        return self.update_conversation(conversation_id, folder=folder)

    def set_tags(self, conversation_id: str, tags: Sequence[str]) -> Conversation:
        return self.update_conversation(conversation_id, tags=tuple(tags))

    def delete_conversation(self, conversation_id: str) -> None:
        with self._writer.begin() as conn:
            self._get_conversation(conn, conversation_id)
            conn.execute(delete(_M).where(_M.c.conversation_id == conversation_id))
            conn.execute(delete(_C).where(_C.c.id == conversation_id))

    # -- messages ------------------------------------------------------------------

    def add_message(self, conversation_id: str, role: Role, content: str, *,
                    parent_id: str | None | _Active = ACTIVE, reasoning: str = "",
                    model: str | None = None, finish_reason: FinishReason | None = None,
                    prompt_tokens: int | None = None, completion_tokens: int | None = None,
                    ttft_ms: float | None = None, tokens_per_s: float | None = None,
                    streaming: bool = False, extra: Mapping[str, Any] | None = None) -> Message:
        """Append a message under `parent_id` (default: the shown branch's last message).

        A different parent makes a sibling (edit, regenerate); the new message becomes the
        end of the shown branch. The first user message names an untitled conversation.
        """
        _check_role(role)
        if finish_reason is not None:
            _check_finish_reason(finish_reason)
        with self._writer.begin() as conn:
            conv = self._get_conversation(conn, conversation_id)
            parent = conv.active_leaf_id if isinstance(parent_id, _Active) else parent_id
            depth = 0
            if parent is not None:
                depth = self._get_message(conn, parent, conversation_id).depth + 1
            stamp = now_ms()
            msg = Message(id=new_id(), conversation_id=conversation_id, parent_id=parent,
                          role=role, content=content, created_at=to_datetime(stamp),
                          depth=depth, reasoning=reasoning, model=model,
                          finish_reason=finish_reason, prompt_tokens=prompt_tokens,
                          completion_tokens=completion_tokens, ttft_ms=ttft_ms,
                          tokens_per_s=tokens_per_s, streaming=streaming,
                          extra=dict(extra or {}))
            conn.execute(insert(_M), _message_values(msg))
            changes: dict[str, Any] = {"active_leaf_id": msg.id, "updated_ms": stamp}
            if role == "user" and not conv.title:
                changes["title"] = auto_title(content)
            conn.execute(update(_C).where(_C.c.id == conversation_id).values(**changes))
        return msg

    def set_message_extra(self, message_id: str, extra: Mapping[str, Any]) -> Message:
        """Replace what a message carries beside its text (tool calls, citations)."""
        with self._writer.begin() as conn:
            self._get_message(conn, message_id)
            conn.execute(update(_M).where(_M.c.id == message_id).values(extra=dict(extra)))
            return self._get_message(conn, message_id)

    def get_message(self, message_id: str) -> Message:
        with self._engine.connect() as conn:
            return self._get_message(conn, message_id)

    def _get_message(self, conn: Connection, message_id: str,
                     conversation_id: str | None = None) -> Message:
        row = conn.execute(select(_M).where(_M.c.id == message_id)).mappings().first()
        if row is None or (conversation_id and row["conversation_id"] != conversation_id):
            raise NotFoundError(f"There is no message {message_id} in this conversation.")
        return _message(row)

    def children(self, message_id: str | None, conversation_id: str | None = None
                 ) -> list[Message]:
        """Replies to a message, oldest first (None with a conversation: its root messages)."""
        query = select(_M).order_by(_M.c.created_ms, _M.c.seq)
        if message_id is None:
            if conversation_id is None:
                raise InvalidMessageError(
                    "Root messages belong to a conversation; pass its conversation_id "
                    "together with message_id None.")
            query = query.where(_M.c.conversation_id == conversation_id,
                                _M.c.parent_id.is_(None))
        else:
            query = query.where(_M.c.parent_id == message_id)
        with self._engine.connect() as conn:
            return [_message(row) for row in conn.execute(query).mappings()]

    def siblings(self, message_id: str) -> list[Message]:
        """The alternatives at this point of the tree (this one included), oldest first."""
        msg = self.get_message(message_id)
        return self.children(msg.parent_id, msg.conversation_id)

    def sibling_positions(self, conversation_id: str, message_ids: Iterable[str]
                          ) -> dict[str, tuple[int, int]]:
        """(position, count) among its siblings, oldest first, of each of these messages
        that has siblings: the branch switcher's figures for a screenful, in one query."""
        ids = list(dict.fromkeys(message_ids))
        if not ids:
            return {}
        asked = _M.alias("asked")
        mine = (asked.c.id.in_(ids), asked.c.conversation_id == conversation_id)
        order = (_M.c.created_ms, _M.c.seq)
        family = select(
            _M.c.id,
            func.row_number().over(partition_by=_M.c.parent_id, order_by=order).label("pos"),
            func.count().over(partition_by=_M.c.parent_id).label("n"),
        ).where(_M.c.conversation_id == conversation_id,
                _M.c.parent_id.in_(select(asked.c.parent_id).where(*mine))
                | (_M.c.parent_id.is_(None)
                   & select(asked.c.id).where(*mine, asked.c.parent_id.is_(None)).exists()),
                ).subquery()
        query = select(family.c.id, family.c.pos, family.c.n).where(family.c.id.in_(ids),
                                                                    family.c.n > 1)
        with self._engine.connect() as conn:
            return {row.id: (row.pos, row.n) for row in conn.execute(query)}

    def messages_page(self, conversation_id: str, *, before_id: str | None = None,
                      leaf_id: str | None = None, limit: int = 50) -> MessagePage:
        """Up to `limit` messages of one branch ending just above `before_id` (or at the leaf).

        Walks parent links upward from the starting point only, so the cost depends on
        the page size, never on the length of the conversation.
        """
        with self._engine.connect() as conn:
            conv = self._get_conversation(conn, conversation_id)
            leaf = leaf_id or conv.active_leaf_id
            start = leaf
            if before_id is not None:
                start = self._get_message(conn, before_id, conversation_id).parent_id
            if start is None or limit <= 0:
                return MessagePage(conversation_id, leaf, (), start is not None)
            rows = conn.execute(_PAGE, {"start": start, "conv": conversation_id,
                                        "limit": limit}).mappings()
            messages = tuple(_message(row) for row in rows)
        has_older = bool(messages) and messages[0].parent_id is not None
        return MessagePage(conversation_id, leaf, messages, has_older)

    def active_path(self, conversation_id: str, leaf_id: str | None = None) -> list[Message]:
        """The whole shown branch, root first (for export and prompts; the UI pages)."""
        page = self.messages_page(conversation_id, leaf_id=leaf_id, limit=1 << 30)
        return list(page.messages)

    def switch_branch(self, conversation_id: str, message_id: str) -> str:
        """Show the branch through `message_id`, down its newest replies; returns the leaf."""
        with self._writer.begin() as conn:
            self._get_message(conn, message_id, conversation_id)
            leaf = conn.execute(_NEWEST_LEAF, {"id": message_id}).scalar_one()
            conn.execute(update(_C).where(_C.c.id == conversation_id)
                         .values(active_leaf_id=leaf))
        return leaf

    def delete_message(self, message_id: str) -> None:
        """Remove a message and every reply below it; the branch shown moves to its parent."""
        with self._writer.begin() as conn:
            msg = self._get_message(conn, message_id)
            conv = self._get_conversation(conn, msg.conversation_id)
            doomed = set(conn.execute(_SUBTREE, {"id": message_id}).scalars())
            conn.execute(_DELETE_SUBTREE, {"id": message_id})
            if conv.active_leaf_id in doomed:
                conn.execute(update(_C).where(_C.c.id == conv.id)
                             .values(active_leaf_id=msg.parent_id))

    # -- streaming -----------------------------------------------------------------

    def begin_stream(self, conversation_id: str, *, parent_id: str | None | _Active = ACTIVE,
                     model: str | None = None, role: Role = "assistant",
                     flush_interval: float = 0.5,
                     extra: Mapping[str, Any] | None = None) -> StreamWriter:
        """Create the reply message now (empty, streaming) and return its writer."""
        msg = self.add_message(conversation_id, role, "", parent_id=parent_id, model=model,
                               streaming=True, extra=extra)
        return StreamWriter(self, msg, flush_interval)

    def write_stream(self, message_id: str, content: str, reasoning: str) -> None:
        """One flush of a streaming reply (StreamWriter's side of the store).

        It also re-asserts `streaming`, so a reply that another process marked
        interrupted while this one was still alive heals itself on the next flush."""
        with self._writer.begin() as conn:
            conn.execute(update(_M).where(_M.c.id == message_id).values(
                content=content, reasoning=reasoning, streaming=True, finish_reason=None))

    def finish_stream(self, message_id: str, content: str, reasoning: str,
                      finish_reason: FinishReason, *, prompt_tokens: int | None = None,
                      completion_tokens: int | None = None, ttft_ms: float | None = None,
                      tokens_per_s: float | None = None) -> Message:
        """The whole reply, why it ended and its statistics; no longer streaming."""
        _check_finish_reason(finish_reason)
        with self._writer.begin() as conn:
            conn.execute(update(_M).where(_M.c.id == message_id).values(
                content=content, reasoning=reasoning, streaming=False,
                finish_reason=finish_reason, prompt_tokens=prompt_tokens,
                completion_tokens=completion_tokens, ttft_ms=ttft_ms,
                tokens_per_s=tokens_per_s))
            msg = self._get_message(conn, message_id)
            conn.execute(update(_C).where(_C.c.id == msg.conversation_id)
                         .values(updated_ms=now_ms()))
        return msg

    def recover_interrupted(self) -> int:
        """Mark replies left streaming by a crashed run as `interrupted`, keeping their text."""
        with self._writer.begin() as conn:
            # "streaming = 1" (not "IS 1") so SQLite uses the partial index, not a table scan
            result = conn.execute(update(_M).where(_M.c.streaming == True)
                                  .values(streaming=False, finish_reason="interrupted"))
            return int(result.rowcount)

    # -- search, bulk, maintenance ------------------------------------------------

    def search(self, query: str, limit: int = 20, *, prefix: bool = False) -> list[SearchHit]:
        """Messages and titles holding every word of `query`, best first (history.search:
        any text is safe; `prefix` lets the last word match as a prefix)."""
        with self._engine.connect() as conn:
            return full_text.search(conn, query, limit, prefix=prefix)

    def iter_conversations(self) -> Iterator[Conversation]:
        """Every conversation, oldest first (for export)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(_C).order_by(_C.c.created_ms, _C.c.id)).mappings().all()
        return (_conversation(row) for row in rows)

    def all_messages(self, conversation_id: str) -> list[Message]:
        """Every message of every branch, parents before children (for export)."""
        with self._engine.connect() as conn:
            rows = conn.execute(select(_M).where(_M.c.conversation_id == conversation_id)
                                .order_by(_M.c.depth, _M.c.created_ms, _M.c.id)).mappings()
            return [_message(row) for row in rows]

    def import_records(self, items: Iterable[tuple[Conversation, Sequence[Message]]],
                       batch_messages: int = 50_000, index_after: bool = False
                       ) -> ImportResult:
        """Insert whole conversations as given (ids kept, present ones skipped); see
        bulk.import_records."""
        return bulk.import_records(self._writer, items, batch_messages, index_after)

    @property
    def comparisons(self) -> Comparisons:
        """Comparisons of several models, their columns and votes (history.comparisons)."""
        from spark_desktop.history.comparisons import Comparisons

        return Comparisons(self, self._engine, self._writer)

    @property
    def documents(self) -> DocumentTables:
        """The index of documents attached to chats and `ask`, in this same database."""
        return DocumentTables(self._engine)

    @property
    def collections(self) -> CollectionTables:
        """Named folders of documents the app keeps indexed (history.collections)."""
        return CollectionTables(self._engine)

    def integrity_check(self) -> list[str]:
        """SQLite's own full check plus the search indexes'; ['ok'] when all is well."""
        return database.integrity_check(self._writer)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidMessageError(
            f"{role!r} is not a message role; use one of {', '.join(ROLES)}.")


def _check_finish_reason(finish_reason: str) -> None:
    if finish_reason not in FINISH_REASONS:
        raise InvalidMessageError(
            f"{finish_reason!r} is not a reason a reply can end with; use one of "
            f"{', '.join(FINISH_REASONS)}.")
