"""Encrypted history at rest: the keyring path, the passphrase path, the headless path.

Every test uses the real SQLCipher build and a real keyring backend (keyrings.alt's file
keyring inside the test's folder, configured by conftest through PYTHON_KEYRING_BACKEND).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from spark_desktop import paths
from spark_desktop.cli import main
from spark_desktop.history import HistoryStore
from spark_desktop.history import keys as history_keys
from spark_desktop.history.errors import (
    CorruptDatabaseError,
    MissingKeyError,
    NoKeyStoreError,
    PassphraseRequiredError,
    WrongPassphraseError,
)
from spark_desktop.history.exchange import export_json
from spark_desktop.history.keys import KeySource

SQLITE_MAGIC = b"SQLite format 3\x00"


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every file under `root` whose bytes contain `needle` (UTF-8 or UTF-16)."""
    patterns = [needle.encode("utf-8"), needle.encode("utf-16-le")]
    return [path for path in root.rglob("*") if path.is_file()
            and any(p in path.read_bytes() for p in patterns)]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _save_secret(store: HistoryStore, marker: str) -> str:
    conv = store.create_conversation(model="test-model")
    store.add_message(conv.id, "user", f"Tell me about {marker} please")
    writer = store.begin_stream(conv.id, model="test-model", flush_interval=0)
    for piece in ("The word ", marker, " is ", "secret."):
        writer.append(piece)
    writer.finish("stop", completion_tokens=4)
    return conv.id


def test_new_history_is_encrypted_and_the_marker_is_in_no_file() -> None:
    marker = f"zebra{uuid.uuid4().hex}"
    with HistoryStore.open() as store:
        conv_id = _save_secret(store, marker)
        # While open, the WAL and -shm exist and hold the latest pages.
        assert files_containing(paths.data_dir(), marker) == []
        hits = store.search(marker)
        assert {h.conversation_id for h in hits} == {conv_id}
        assert marker in store.get_conversation(conv_id).title
    db = paths.database_path()
    assert not db.read_bytes().startswith(SQLITE_MAGIC)
    assert files_containing(paths.data_dir(), marker) == []
    with HistoryStore.open() as store:
        assert len(store.active_path(conv_id)) == 2
        assert store.integrity_check() == ["ok"]


def test_keyring_path_keeps_only_a_key_reference_beside_the_database() -> None:
    with HistoryStore.open() as store:
        store.create_conversation("hello")
    db = paths.database_path()
    info = json.loads(history_keys.key_info_path(db).read_text())
    (record,) = info["keys"]
    assert record["kind"] == "keyring"
    import keyring

    stored = keyring.get_password(history_keys.KEYRING_SERVICE, record["keyring_user"])
    assert stored is not None and len(bytes.fromhex(stored)) == 32
    assert stored not in history_keys.key_info_path(db).read_text()
    assert history_keys.key_info_path(db).stat().st_mode & 0o777 == 0o600
    assert db.stat().st_mode & 0o777 == 0o600


def test_database_copied_to_another_machine_is_refused_untouched(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with HistoryStore.open() as store:
        store.create_conversation("moved away")
    before = snapshot(paths.data_dir())
    # Another machine: the same files, a keyring that never saw this database.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "other-machine-keyring"))
    with pytest.raises(MissingKeyError, match="keyring"):
        HistoryStore.open()
    assert snapshot(paths.data_dir()) == before


def test_passphrase_path_wrong_or_missing_passphrase_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "locked" / "history.sqlite3"
    with HistoryStore.open(db, keys=KeySource(passphrase="correct horse")) as store:
        conv_id = _save_secret(store, "orchid")
    assert history_keys.read_records(db)[0].kind == "passphrase"
    before = snapshot(db.parent)
    with pytest.raises(WrongPassphraseError):
        HistoryStore.open(db, keys=KeySource(passphrase="battery staple"))
    with pytest.raises(PassphraseRequiredError):
        HistoryStore.open(db, keys=KeySource())
    with pytest.raises(PassphraseRequiredError):
        HistoryStore.open(db, keys=None)
    assert snapshot(db.parent) == before  # byte-identical, no -wal/-shm appeared
    with HistoryStore.open(db, keys=KeySource(passphrase="correct horse")) as store:
        assert store.search("orchid")[0].conversation_id == conv_id


def test_key_file_of_another_database_is_a_damaged_history_not_a_new_one(
        tmp_path: Path) -> None:
    first, second = tmp_path / "a" / "h.sqlite3", tmp_path / "b" / "h.sqlite3"
    for db in (first, second):
        with HistoryStore.open(db, keys=KeySource(passphrase="same words")) as store:
            store.create_conversation(db.parent.name)
    history_keys.key_info_path(second).write_bytes(history_keys.key_info_path(first)
                                                   .read_bytes())
    content = second.read_bytes()
    with pytest.raises(CorruptDatabaseError, match="does not decrypt"):
        HistoryStore.open(second, keys=KeySource(passphrase="same words"))
    assert second.read_bytes() == content


def test_without_keyring_or_passphrase_nothing_is_written_in_plain_text(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    with pytest.raises(NoKeyStoreError, match="passphrase") as caught:
        HistoryStore.open()
    assert "--passphrase-file" in str(caught.value)
    assert not paths.database_path().exists()


def test_a_plaintext_history_keeps_working_until_converted() -> None:
    with HistoryStore.open(keys=None) as store:
        store.create_conversation("old and plain")
    with HistoryStore.open() as store:  # the app's key source, keyring available
        assert [c.title for c in store.list_conversations()] == ["old and plain"]
    assert paths.database_path().read_bytes().startswith(SQLITE_MAGIC)


def test_headless_passphrase_file_through_the_cli(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    secret = tmp_path / "passphrase.txt"
    secret.write_text("a long headless passphrase\n")
    marker = f"quokka{uuid.uuid4().hex}"
    export = tmp_path / "in.json"
    with HistoryStore.open(tmp_path / "elsewhere.sqlite3", keys=None) as elsewhere:
        _save_secret(elsewhere, marker)
        export.write_text(export_json(elsewhere))
    assert main(["--passphrase-file", str(secret), "history", "import", str(export)]) == 0
    assert main(["history", "search", marker]) == 0  # the option travels in the environment
    assert marker in capsys.readouterr().out
    assert files_containing(paths.data_dir(), marker) == []
    monkeypatch.setenv(history_keys.PASSPHRASE_FILE_ENV, "")
    assert main(["history", "list"]) == 2
    assert "passphrase" in capsys.readouterr().err
    secret.write_text("not the passphrase\n")
    assert main(["--passphrase-file", str(secret), "history", "list"]) == 2
    assert "does not unlock" in capsys.readouterr().err


def test_generate_save_with_the_real_model_leaves_no_plain_text(
        test_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = f"narwhal{uuid.uuid4().hex[:12]}"
    assert main(["generate", str(test_model), "-p", f"Say {marker}", "--save", "--json",
                 "--temperature", "0", "--ctx", "256", "--max-tokens", "4"]) == 0
    capsys.readouterr()
    assert files_containing(paths.data_dir(), marker) == []
    assert main(["history", "search", marker, "--json"]) == 0
    assert marker in capsys.readouterr().out
