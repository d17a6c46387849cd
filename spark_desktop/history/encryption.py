"""Converting a plaintext history to an encrypted one, and changing its key, crash-safely.

Conversion: copy the plaintext database into an encrypted file beside it
(`sqlcipher_export`), compare the copy with the original row by row, then move the key file
and the copy into place with two atomic renames. The file's first bytes decide how it opens
(keys.database_key): a plaintext file ignores a key file beside it, so at every moment the
history opens, either still plain or already encrypted, with every message.

Key change: the new key record is written before the old one (both listed), the database
is re-keyed in one rollback-journal transaction (PRAGMA rekey), then the old record goes.
A crash in between leaves a file that opens with one of the two keys.

Both run with the history closed (no window or `serve` holding it), like a backup would.
A conversion reports how far it got (`on_progress`): bytes of the encrypted copy written
(sqlcipher_export is one statement; a small page cache makes it write as it goes), then
rows compared. A key change is one statement that cannot report.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from spark_desktop.history import database
from spark_desktop.history import keys as keys_module
from spark_desktop.history.errors import HistoryError, NotFoundError
from spark_desktop.history.keys import KeySource

# Points where `on_step` is called; the crash tests kill the process at each one.
ENCRYPT_STEPS: Final = ("prepared", "copied", "verified", "key-file", "replaced")
REKEY_STEPS: Final = ("key-file-both", "rekeyed", "key-file-new")
Step = Callable[[str], None]
#: (phase, done, total): ("copy", bytes written, bytes expected), then ("verify", rows, rows)
Progress = Callable[[str, int, int], None]
_COPY_CHECK_OPS = 20_000  # SQLite VM steps between two looks at the copy's size
_COPY_CACHE_PAGES = 256  # the copy's page cache: pages reach the file while it is made
PendingAction = Literal["encrypt", "passphrase", "keyring"]
PENDING_ACTIONS: Final = ("encrypt", "passphrase", "keyring")


@dataclass(frozen=True)
class EncryptionStatus:
    """What Settings → Privacy and `history status` show."""

    exists: bool
    encrypted: bool
    kind: Literal["keyring", "passphrase"] | None


class HistoryInUseError(HistoryError):
    """Another process has the history open; converting now could lose its writes."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"The history {path} is in use by another Spark Desktop window or "
                         "server. Close it and try again; nothing was changed.")


def encryption_status(path: Path) -> EncryptionStatus:
    if keys_module.is_new(path):
        return EncryptionStatus(exists=False, encrypted=False, kind=None)
    if keys_module.is_plaintext(path):
        return EncryptionStatus(exists=True, encrypted=False, kind=None)
    records = keys_module.read_records(path)
    return EncryptionStatus(exists=True, encrypted=True,
                            kind=records[0].kind if records else None)


def _noop(_step: str) -> None:
    """No step hook."""


def _no_progress(_phase: str, _done: int, _total: int) -> None:
    """No progress hook."""


def _pending(path: Path) -> Path:
    return path.with_name(path.name + ".encrypting")


def _companions(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def encrypt_history(path: Path, keys: KeySource, on_step: Step = _noop,
                    on_progress: Progress = _no_progress) -> int:
    """Convert the plaintext history at `path` to an encrypted one; return the number of
    messages verified in the copy. Raises HistoryInUseError when another process has it
    open, and leaves a readable history whatever happens. `on_progress` is called on this
    thread (see the module's docstring)."""
    if keys_module.is_new(path):
        raise NotFoundError(f"There is no history at {path} to encrypt.")
    if not keys_module.is_plaintext(path):
        raise HistoryError(f"The history {path} is already encrypted.")
    pending = _pending(path)
    for leftover in (pending, *_companions(pending), keys_module.key_info_path(pending)):
        leftover.unlink(missing_ok=True)
    database.open_engine(path, None).dispose()  # migrated to the newest schema, checked
    cipher = database.cipher_module()
    source = cipher.connect(str(path), isolation_level=None)
    try:
        _take_exclusive(source, path)
        record, key = keys.new_record()
        keys_module.write_records(pending, [record])
        on_step("prepared")
        source.execute(f"ATTACH DATABASE {_quote(pending)} AS encrypted "
                       f"KEY \"x'{key.hex()}'\"")
        source.execute(f"PRAGMA encrypted.cache_size = {_COPY_CACHE_PAGES}").fetchall()
        expected = path.stat().st_size
        on_progress("copy", 0, expected)
        source.set_progress_handler(lambda: _copied(pending, expected, on_progress),
                                    _COPY_CHECK_OPS)
        try:
            source.execute("SELECT sqlcipher_export('encrypted')").fetchall()
        finally:
            source.set_progress_handler(None, 0)
        source.execute("DETACH DATABASE encrypted")  # closes it: verify reads from disk
        on_progress("copy", expected, expected)
        pending.chmod(0o600)
        keys_module.fsync_path(pending)
        on_step("copied")
        messages = verify_copy(source, pending, key, on_progress)
        on_step("verified")
    finally:
        source.close()
    for companion in _companions(path):
        companion.unlink(missing_ok=True)  # checkpointed and empty; never for the new file
    os.replace(keys_module.key_info_path(pending), keys_module.key_info_path(path))
    keys_module.fsync_path(path.parent)
    on_step("key-file")
    os.replace(pending, path)
    keys_module.fsync_path(path.parent)
    on_step("replaced")
    return messages


def _copied(copy: Path, expected: int, on_progress: Progress) -> int:
    """SQLite's progress handler during the export: how big the copy has grown (the
    encrypted file ends about the plaintext's size); 0 lets the export go on."""
    try:
        written = copy.stat().st_size
    except OSError:
        written = 0
    on_progress("copy", min(written, expected - 1), expected)
    return 0


def _take_exclusive(conn: Any, path: Path) -> None:
    """Merge the WAL into the file and keep every other process out until we are done."""
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        conn.execute("PRAGMA journal_mode = DELETE").fetchall()
        conn.execute("PRAGMA locking_mode = EXCLUSIVE").fetchall()
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("COMMIT")
    except database.cipher_module().OperationalError as exc:
        raise HistoryInUseError(path) from exc


def _rows(conn: Any, schema: str, table: str) -> Iterator[tuple[Any, ...]]:
    # NOT INDEXED: a plain scan in the table's own key order, the same on both sides.
    yield from conn.execute(f'SELECT * FROM {schema}."{table}" NOT INDEXED')


def verify_copy(conn: Any, copy: Path, key: bytes,
                on_progress: Progress = _no_progress) -> int:
    """Compare every row of every table of the encrypted `copy` with the plaintext database
    `conn` holds (as main); check the copy's search index; return its number of messages.
    Raises HistoryError on any difference."""
    conn.execute(f"ATTACH DATABASE {_quote(copy)} AS copy KEY \"x'{key.hex()}'\"")
    try:
        tables = [row[0] for row in conn.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table'"
            " AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' AND name NOT LIKE 'sqlite_%'")]
        copied = {row[0] for row in conn.execute(
            "SELECT name FROM copy.sqlite_master WHERE type = 'table'")}
        total = sum(conn.execute(f'SELECT count(*) FROM main."{table}"').fetchone()[0]
                    for table in tables)
        every, done = max(1, total // 200), 0
        on_progress("verify", 0, total)
        for table in tables:
            if table not in copied:
                raise HistoryError(f"The encrypted copy lacks the table {table}; "
                                   "the history was left as it was.")
            for mine, theirs in _zip_strict(_rows(conn, "copy", table),
                                            _rows(conn, "main", table)):
                if mine != theirs:
                    raise HistoryError(f"The encrypted copy differs in {table}; "
                                       "the history was left as it was.")
                done += 1
                if done % every == 0:
                    on_progress("verify", done, total)
        on_progress("verify", total, total)
        for index in ("messages_fts", "conversations_fts", "document_chunks_fts"):
            conn.execute(f"INSERT INTO copy.{index}({index}, rank) VALUES ('integrity-check', 1)")
        return conn.execute("SELECT count(*) FROM copy.messages").fetchone()[0]
    finally:
        conn.execute("DETACH DATABASE copy")


def _zip_strict(left: Iterator[Any], right: Iterator[Any]) -> Iterator[tuple[Any, Any]]:
    try:
        yield from zip(left, right, strict=True)
    except ValueError as exc:
        raise HistoryError("The encrypted copy has a different number of rows; "
                           "the history was left as it was.") from exc


def change_key(path: Path, old: KeySource, new: KeySource, on_step: Step = _noop) -> None:
    """Re-key the encrypted history from `old`'s key to a new one from `new` (a passphrase,
    or the keyring when `new` has none); nothing is lost at any point."""
    if keys_module.is_new(path) or keys_module.is_plaintext(path):
        raise HistoryError(f"The history {path} is not encrypted; encrypt it first.")
    records = keys_module.read_records(path)
    current = database.choose_key(path, old.candidates(path, records))
    record, key = new.new_record()
    keys_module.write_records(path, [record, *records])
    on_step("key-file-both")
    conn = database.cipher_module().connect(str(path), isolation_level=None)
    try:
        database.set_key(conn, current)
        _take_exclusive(conn, path)
        conn.execute(f"PRAGMA rekey = \"x'{key.hex()}'\"").fetchall()
        conn.execute("PRAGMA journal_mode = WAL").fetchall()
    finally:
        conn.close()
    on_step("rekeyed")
    keys_module.write_records(path, [record])
    on_step("key-file-new")
    old.forget([r for r in records if r.kind == "keyring"])


def _pending_path(path: Path) -> Path:
    return path.with_name(path.name + ".pending.json")


def request_at_start(path: Path, action: PendingAction | None) -> None:
    """Remember a change the GUI makes at its next start, before any page opens the
    history (the running window holds it open); None cancels the request."""
    marker = _pending_path(path)
    if action is None:
        marker.unlink(missing_ok=True)
        return
    fd = os.open(marker, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"action": action}, handle)


def requested_at_start(path: Path) -> PendingAction | None:
    try:
        action = json.loads(_pending_path(path).read_text(encoding="utf-8")).get("action")
    except (OSError, ValueError, AttributeError):
        return None
    return action if action in PENDING_ACTIONS else None
