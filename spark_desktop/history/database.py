"""Opening the SQLite file safely: checks before writing, pragmas, migrations at open.

Order matters: the file is first inspected read-only, so that a database from a newer app
or a damaged file is refused before a single byte of it changes. Only then is it opened
for writing and migrated to the newest schema inside one transaction (SQLite DDL is
transactional, so a failed upgrade leaves the old schema intact).

Encryption: the file is always driven through SQLCipher (the `sqlcipher3` module under
SQLAlchemy's pysqlite dialect; without a key it reads and writes plain SQLite, so one SQLite
library holds the file's locks in this process). With a key (see keys.py) it encrypts every
page of the database, its WAL and its journal, the FTS5 index included. The key is a raw 256-bit key
(`x'…'`), so opening costs no key derivation. Temporary tables and sorts stay in memory.

Durability: WAL with synchronous=NORMAL. In WAL mode a commit appends to the -wal file and
NORMAL skips the fsync of each commit (fsync happens at checkpoints). A crash or SIGKILL
of the app loses nothing committed, because the operating system still holds the written
pages; only a power cut or kernel crash can drop the last few commits, and even then the
database stays consistent. Full fsync on every 0.5 s stream flush would buy little and cost
a disk flush per commit.
"""

from __future__ import annotations

import os
import shutil
import struct
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, Final, Literal

from sqlalchemy import Connection, Engine, create_engine, event

from spark_desktop.history import keys as keys_module
from spark_desktop.history.errors import (
    CorruptDatabaseError,
    DatabaseTooNewError,
    NotHistoryDatabaseError,
    WrongPassphraseError,
)
from spark_desktop.history.schema import Base

KeySource = keys_module.KeySource
AppKeys = Literal["app"]
APP_KEYS: Final[AppKeys] = "app"  # the app's own key source: keys.app_key_source()
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions (a test keeps the two in step). A database
# already there opens without importing Alembic, which keeps start-up quick.
HEAD_REVISION = "0005"
BUSY_TIMEOUT_MS = 10_000
QUICK_CHECK_MAX_BYTES = 32 << 20
CACHE_KIB = 16 << 10  # page cache per connection: keeps the hot index pages of a big history
_MAGIC = b"SQLite format 3\x00"


def _script() -> tuple[Any, Any]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config, ScriptDirectory.from_config(config)


def known_revisions() -> set[str]:
    """Every schema revision this version of the app knows how to read."""
    return {script.revision for script in _script()[1].walk_revisions()}


def migrate(connection: Connection, target: str = "head") -> None:
    """Upgrade the schema on `connection` (already in a transaction) to `target`."""
    from alembic.runtime.environment import EnvironmentContext

    config, script = _script()

    def upgrade(revision: Any, context: Any) -> Any:
        return script._upgrade_revs(target, revision)

    with EnvironmentContext(config, script, fn=upgrade, destination_rev=target) as env:
        env.configure(connection=connection, target_metadata=Base.metadata)
        with env.begin_transaction():
            env.run_migrations()


def backup_aside(path: Path, reason: str) -> CorruptDatabaseError:
    """Copy a damaged database (and its WAL) next to it; return the error to raise."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    backup = path.with_name(f"{path.name}.corrupt-{stamp}")
    shutil.copy2(path, backup)
    backup.chmod(0o600)
    wal = path.with_name(path.name + "-wal")
    if wal.exists():
        shutil.copy2(wal, backup.with_name(backup.name + "-wal"))
    return CorruptDatabaseError(path, backup, reason)


def _header_problem(path: Path) -> str | None:
    """Cheap structural check: the magic string and a file as long as its header says."""
    with path.open("rb") as handle:
        header = handle.read(100)
    if len(header) < 100 or not header.startswith(_MAGIC):
        return (f"it is not an SQLite database, or an encrypted one whose key file "
                f"{keys_module.key_info_path(path).name} is missing")
    page_size = struct.unpack(">H", header[16:18])[0]
    page_size = 65536 if page_size == 1 else page_size
    change_counter, pages = struct.unpack(">II", header[24:32])
    valid_for = struct.unpack(">I", header[92:96])[0]
    if pages and valid_for == change_counter and path.stat().st_size < pages * page_size:
        return "the file is shorter than its header says; it was probably truncated"
    return None


def _quick_check(conn: Any, size: int) -> str | None:
    """SQLite's quick_check where it is cheap (small files); else read what the app
    shows first (the newest conversations) and the end of the message table.

    A full check of a large history takes seconds, too slow for every start; damage found
    later surfaces as an error from the query that meets it (and `integrity_check()`)."""
    if size > QUICK_CHECK_MAX_BYTES:
        conn.execute("SELECT max(seq) FROM messages").fetchall()
        conn.execute("SELECT * FROM conversations ORDER BY pinned DESC, updated_ms DESC"
                     " LIMIT 100").fetchall()
        return None
    result = [row[0] for row in conn.execute("PRAGMA quick_check(5)")]
    return None if result == ["ok"] else "; ".join(result)


def cipher_module() -> Any:
    import sqlcipher3.dbapi2

    return sqlcipher3.dbapi2


def set_key(conn: Any, key: bytes) -> None:
    """Give SQLCipher the raw key; must be the first statement on a connection."""
    conn.execute("PRAGMA cipher_log_level = NONE").fetchall()  # no wrong-key noise on stderr
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"").fetchall()


def connect_readonly(path: Path, key: bytes | None) -> Any:
    """A read-only DB-API connection that writes nothing: no -wal/-shm when there is none."""
    wal = path.with_name(path.name + "-wal")
    flags = "?mode=ro" if wal.exists() else "?mode=ro&immutable=1"
    conn = cipher_module().connect(path.as_uri() + flags, uri=True)
    if key is not None:
        set_key(conn, key)
    return conn


def choose_key(path: Path, candidates: list[bytes]) -> bytes:
    """The first candidate key the existing encrypted file decrypts with (read-only)."""
    for key in candidates:
        conn = connect_readonly(path, key)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()
            return key
        except cipher_module().DatabaseError:
            continue
        finally:
            conn.close()
    if len(keys_module.read_records(path)) > 1:
        raise WrongPassphraseError(path, interrupted=True)
    # The key matched its key file's check value, so the file is at fault.
    raise backup_aside(path, "it does not decrypt with its key: it is damaged, or another "
                             "database was put in its place")


def inspect_revision(path: Path, key: bytes | None = None) -> str | None:
    """The schema revision of an existing file, read without writing; None for a new file."""
    if not path.exists() or path.stat().st_size == 0:
        return None
    problem = None if key else _header_problem(path)
    if problem:
        raise backup_aside(path, problem)
    try:
        # Without a -wal file everything is in the main file: read it as immutable, which
        # creates no -wal/-shm files either, so a refused file's folder stays as it was.
        conn = connect_readonly(path, key)
        try:
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not tables:
                return None
            if "alembic_version" not in tables:
                raise NotHistoryDatabaseError(path)
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            problem = _quick_check(conn, path.stat().st_size)
        finally:
            conn.close()
    except cipher_module().DatabaseError as exc:
        raise backup_aside(path, str(exc)) from exc
    if problem:
        raise backup_aside(path, problem)
    revision = row[0] if row else None
    if revision not in (None, HEAD_REVISION) and revision not in known_revisions():
        raise DatabaseTooNewError(path, revision)
    return revision


def _on_connect(key: bytes | None, dbapi_conn: Any, _record: Any) -> None:
    if key is not None:
        set_key(dbapi_conn, key)
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
    for pragma in ("temp_store = MEMORY", "journal_mode = WAL", "foreign_keys = ON",
                   "synchronous = NORMAL", f"busy_timeout = {BUSY_TIMEOUT_MS}",
                   f"cache_size = -{CACHE_KIB}"):
        dbapi_conn.execute(f"PRAGMA {pragma}").fetchall()


def _on_begin(conn: Connection) -> None:
    """Writers take the write lock up front, so two writers wait instead of deadlocking."""
    mode = "BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN"
    conn.exec_driver_sql(mode)


def _create_private_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)


def open_engine(path: Path, keys: KeySource | None | AppKeys = None) -> Engine:
    """Check, create (0600), configure and migrate the database; return its engine.

    With `keys`, a new database is encrypted and an encrypted one is unlocked; an existing
    plaintext database opens as it is (see keys.database_key). Without `keys`, only
    plaintext databases open."""
    if keys == APP_KEYS:
        keys = keys_module.app_key_source()
    candidates = keys_module.database_key(path, keys)
    key = None
    if candidates is not None:
        key = candidates[0] if keys_module.is_new(path) else choose_key(path, candidates)
    revision = inspect_revision(path, key)
    _create_private_file(path)
    engine = create_engine(f"sqlite+pysqlite:///{path}",
                           module=cipher_module(),
                           connect_args={"check_same_thread": False,
                                         "timeout": BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", partial(_on_connect, key))
    event.listen(engine, "begin", _on_begin)
    if revision == HEAD_REVISION:
        return engine
    try:
        with engine.execution_options(write=True).begin() as conn:
            migrate(conn)
    except Exception:
        engine.dispose()
        raise
    return engine


def integrity_check(writer: Engine) -> list[str]:
    """SQLite's own full check plus the search indexes'; ['ok'] when all is well.

    Reads every page (seconds for a large history), hence on request, never at open.
    """
    with writer.begin() as conn:
        problems = [row[0] for row in conn.exec_driver_sql("PRAGMA integrity_check")]
        for table in ("messages_fts", "conversations_fts", "document_chunks_fts"):
            try:
                conn.exec_driver_sql(
                    f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
            except Exception as exc:  # noqa: BLE001 - reported, not hidden
                problems.append(f"{table}: {exc}")
    return problems if len(problems) == 1 else [p for p in problems if p != "ok"]
