"""Converting a plaintext history to an encrypted one and changing its key, crash-safely.

A forked child runs the conversion and SIGKILLs itself at each step; afterwards the history
must open (plain or encrypted) with every message, and a retry must finish the job.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from spark_desktop import paths
from spark_desktop.cli import main
from spark_desktop.history import HistoryStore
from spark_desktop.history import keys as history_keys
from spark_desktop.history.encryption import (
    ENCRYPT_STEPS,
    REKEY_STEPS,
    HistoryInUseError,
    change_key,
    encrypt_history,
    encryption_status,
)
from spark_desktop.history.errors import WrongPassphraseError
from spark_desktop.history.keys import KeySource

SQLITE_MAGIC = b"SQLite format 3\x00"
CONVERSATIONS = 6
PER_CONVERSATION = 40


def _fill_plain(db: Path) -> set[str]:
    """A plaintext history (as an older version wrote it) with one branch; its message ids."""
    ids = set()
    with HistoryStore.open(db, keys=None) as store:
        for c in range(CONVERSATIONS):
            conv = store.create_conversation(f"conversation {c} about walruses")
            for i in range(PER_CONVERSATION):
                ids.add(store.add_message(conv.id, "user", f"note {c}.{i} " + "ü" * i).id)
        first = store.active_path(conv.id)[3]
        ids.add(store.add_message(conv.id, "assistant", "a branch", parent_id=first.id).id)
    return ids


def _all_message_ids(store: HistoryStore) -> set[str]:
    return {m.id for conv in store.iter_conversations() for m in store.all_messages(conv.id)}


def _killed_at(step: str, work: Callable[[Callable[[str], None]], object]) -> None:
    """Run `work(hook)` in a forked child that SIGKILLs itself when the hook sees `step`."""
    def hook(seen: str) -> None:
        if seen == step:
            os.kill(os.getpid(), signal.SIGKILL)

    pid = os.fork()
    if pid == 0:  # child
        try:
            work(hook)
        finally:
            os._exit(3)  # reaching here means the step never came
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, step


@pytest.mark.parametrize("step", ENCRYPT_STEPS)
def test_encryption_killed_at_each_step_leaves_one_readable_history(step: str) -> None:
    db = paths.database_path()
    ids = _fill_plain(db)
    _killed_at(step, lambda hook: encrypt_history(db, history_keys.app_key_source(), hook))
    encrypted = not db.read_bytes().startswith(SQLITE_MAGIC)
    assert encrypted == (step == "replaced")
    with HistoryStore.open() as store:
        assert _all_message_ids(store) == ids
        assert len(store.search("walruses")) == CONVERSATIONS
    if not encrypted:  # the user tries again: it finishes, whatever was left behind
        assert encrypt_history(db, history_keys.app_key_source()) == len(ids)
    assert encryption_status(db).encrypted
    with HistoryStore.open() as store:
        assert _all_message_ids(store) == ids
        assert store.integrity_check() == ["ok"]
    assert sorted(p.name for p in db.parent.iterdir()) == [db.name, db.name + ".keys.json"]


def test_encryption_reports_the_copy_then_every_row_checked() -> None:
    db = paths.database_path()
    ids = _fill_plain(db)
    seen: list[tuple[str, int, int]] = []
    assert encrypt_history(db, history_keys.app_key_source(),
                           on_progress=lambda *figures: seen.append(figures)) == len(ids)
    phases = [phase for phase, _, _ in seen]
    assert phases == sorted(phases)  # "copy" figures, then "verify" ones
    for phase in ("copy", "verify"):
        figures = [(done, total) for p, done, total in seen if p == phase]
        dones = [done for done, _ in figures]
        assert dones == sorted(dones) and dones[0] == 0
        assert len({total for _, total in figures}) == 1 and dones[-1] == figures[0][1]
    copy_total = next(total for p, _, total in seen if p == "copy")
    verify_total = next(total for p, _, total in seen if p == "verify")
    assert copy_total > 100_000 and verify_total > len(ids)  # bytes; rows of every table
    assert len([p for p in phases if p == "verify"]) > 10  # reported along the way


def test_encryption_refuses_while_the_history_is_open_and_changes_nothing() -> None:
    db = paths.database_path()
    _fill_plain(db)
    with HistoryStore.open(keys=None) as store:
        store.create_conversation("still open")
        with pytest.raises(HistoryInUseError):
            encrypt_history(db, history_keys.app_key_source())
        assert store.count_conversations() == CONVERSATIONS + 1
    assert db.read_bytes().startswith(SQLITE_MAGIC)
    assert not history_keys.key_info_path(db).exists()


@pytest.mark.parametrize("step", REKEY_STEPS)
def test_passphrase_change_killed_at_each_step_loses_nothing(tmp_path: Path, step: str) -> None:
    db = tmp_path / "h.sqlite3"
    ids = _fill_plain(db)
    old, new = KeySource(passphrase="old words"), KeySource(passphrase="new words")
    encrypt_history(db, old)
    _killed_at(step, lambda hook: change_key(db, old, new, hook))
    opened = []
    for source in (old, new):
        try:
            with HistoryStore.open(db, keys=source) as store:
                assert _all_message_ids(store) == ids
                opened.append(source.passphrase)
        except WrongPassphraseError:
            pass
    assert opened == (["old words"] if step == "key-file-both" else ["new words"])


def test_cli_encrypts_changes_passphrase_and_still_exports_plain_text(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _fill_plain(paths.database_path())
    assert main(["history", "status"]) == 0
    assert "NOT encrypted" in capsys.readouterr().out
    assert main(["history", "encrypt"]) == 0  # keyring key
    assert f"all {CONVERSATIONS * PER_CONVERSATION + 1} messages" in capsys.readouterr().out
    new = tmp_path / "new.txt"
    new.write_text("a new passphrase\n")
    assert main(["history", "passphrase", "--new-passphrase-file", str(new)]) == 0
    assert main(["history", "status"]) == 0
    assert "passphrase" in capsys.readouterr().out
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    assert main(["history", "list"]) == 2
    assert "protected by a passphrase" in capsys.readouterr().err
    out = tmp_path / "export.md"
    assert main(["--passphrase-file", str(new), "history", "export", "--format", "md",
                 "-o", str(out)]) == 0
    assert "note 4.39" in out.read_text() and "a branch" in out.read_text()
