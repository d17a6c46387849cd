"""Opening old, too new, foreign and damaged database files."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from spark_desktop.history import (
    CorruptDatabaseError,
    DatabaseTooNewError,
    HistoryStore,
    NotHistoryDatabaseError,
)
from spark_desktop.history.database import HEAD_REVISION, _script, migrate


def _snapshot(path: Path) -> tuple[bytes, int, list[str]]:
    return path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(path.parent))


def _revision(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def test_head_constant_matches_the_migrations() -> None:
    assert _script()[1].get_current_head() == HEAD_REVISION


def test_first_schema_with_data_upgrades_to_current(tmp_path: Path) -> None:
    db = tmp_path / "old.sqlite3"
    engine = create_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        migrate(conn, "0001")
        conn.exec_driver_sql(
            "INSERT INTO conversations (id, title, created_ms, updated_ms, pinned, tags,"
            " load_settings, sampling_settings, active_leaf_id) VALUES"
            " ('c1', 'Old chat about volcanoes', 1000, 2000, 1, '[\"geo\"]', '{}',"
            " '{\"temperature\": 0.5}', 'm2')")
        conn.exec_driver_sql(
            "INSERT INTO messages (id, conversation_id, parent_id, depth, role, content,"
            " reasoning, streaming, created_ms) VALUES"
            " ('m1', 'c1', NULL, 0, 'user', 'Why do volcanoes erupt?', '', 0, 1000),"
            " ('m2', 'c1', 'm1', 1, 'assistant', 'Magma pressure builds up.', '', 1, 1500)")
    engine.dispose()
    assert _revision(db) == "0001"
    with HistoryStore.open(db) as store:
        assert _revision(db) == HEAD_REVISION
        conv = store.get_conversation("c1")
        assert (conv.title, conv.pinned, conv.tags) == ("Old chat about volcanoes", True, ("geo",))
        assert conv.sampling_settings == {"temperature": 0.5}
        path = store.active_path("c1")
        assert [m.content for m in path] == ["Why do volcanoes erupt?", "Magma pressure builds up."]
        assert path[1].finish_reason == "interrupted"  # it was left streaming
        assert {h.message_id for h in store.search("magma")} == {"m2"}  # indexed in bulk
        assert {h.conversation_id for h in store.search("volcanoes")} == {"c1"}
        store.add_message("c1", "user", "And geysers?")
        assert store.search("geysers")
        assert store.integrity_check() == ["ok"]


def test_too_new_database_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "new.sqlite3"
    with HistoryStore.open(db, keys=None) as store:
        store.add_message(store.create_conversation().id, "user", "from the future")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_a_newer_app'")
    conn.close()
    before = _snapshot(db)
    with pytest.raises(DatabaseTooNewError, match="newer version") as caught:
        HistoryStore.open(db)
    assert caught.value.revision == "9999_from_a_newer_app"
    assert _snapshot(db) == before


def test_foreign_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "other.sqlite3"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    before = _snapshot(db)
    with pytest.raises(NotHistoryDatabaseError):
        HistoryStore.open(db)
    assert _snapshot(db) == before


def _filled(db: Path) -> None:
    with HistoryStore.open(db) as store:
        conv = store.create_conversation()
        for i in range(200):
            store.add_message(conv.id, "user", f"message {i} " + "x" * 2000)


def _truncate(db: Path) -> None:
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])


def _scribble(db: Path) -> None:
    data = bytearray(db.read_bytes())
    data[8192:16384] = os.urandom(8192)
    db.write_bytes(bytes(data))


def _garbage(db: Path) -> None:
    db.write_bytes(os.urandom(50_000))


@pytest.mark.parametrize("damage", [_garbage, _truncate, _scribble])
def test_corrupt_file_is_backed_up_and_never_replaced(tmp_path: Path, damage) -> None:
    db = tmp_path / "history.sqlite3"
    if damage is not _garbage:
        _filled(db)
    damage(db)
    damaged = db.read_bytes()
    with pytest.raises(CorruptDatabaseError) as caught:
        HistoryStore.open(db)
    backup = caught.value.backup
    assert backup.name.startswith("history.sqlite3.corrupt-")
    assert backup.read_bytes() == damaged
    assert db.read_bytes() == damaged  # still there, not replaced by a fresh database
    with pytest.raises(CorruptDatabaseError):  # and refused again on the next start
        HistoryStore.open(db)


def test_empty_file_becomes_a_new_history(tmp_path: Path) -> None:
    db = tmp_path / "empty.sqlite3"
    db.touch()
    with HistoryStore.open(db) as store:
        assert store.count_conversations() == 0
