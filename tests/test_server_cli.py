"""`spark-desktop serve` refuses what it must before loading anything: a non-loopback
address without a key, a second host on a machine that already runs one, an RPC peer
that does not answer."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from spark_desktop.cli import main
from spark_desktop.host import discovery


def test_serve_refuses_a_network_address_without_a_key(capsys: pytest.CaptureFixture) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "without an API key" in capsys.readouterr().err


def test_serve_points_to_the_host_that_already_runs(capsys: pytest.CaptureFixture) -> None:
    discovery.announce("127.0.0.1", 18484)  # this test process plays the running host
    try:
        assert main(["serve", "--port", "0"]) == 2
        assert "already runs on this machine at http://127.0.0.1:18484" in capsys.readouterr().err
    finally:
        discovery.withdraw()
    assert discovery.running() is None


def test_serve_names_an_rpc_peer_that_does_not_answer(capsys: pytest.CaptureFixture) -> None:
    with socket.socket() as probe:  # a loopback port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["serve", "--port", "0", "--rpc", f"127.0.0.1:{port}"]) == 2
    assert f"127.0.0.1:{port}" in capsys.readouterr().err
    assert discovery.running() is None  # nothing was announced


def test_a_bad_keys_file_is_refused_with_its_line(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture) -> None:
    keys = tmp_path / "keys"
    keys.write_text("alice\n")
    assert main(["serve", "--port", "0", "--api-keys-file", str(keys)]) == 2
    assert "line 1" in capsys.readouterr().err


def test_only_one_process_can_announce_itself_as_the_host() -> None:
    from spark_desktop.host import HostError

    discovery.announce("127.0.0.1", 18484)
    try:
        with pytest.raises(HostError, match="already|starting"):
            discovery.announce("127.0.0.1", 18485)  # a second claim, even from this process
    finally:
        discovery.withdraw()
    discovery.announce("127.0.0.1", 18486)  # free again once withdrawn
    discovery.withdraw()


def test_save_history_opens_the_history_before_listening(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """`serve --save-history` with a passphrase that does not open the history is refused
    before anything listens, and the history is left as it was."""
    from spark_desktop import paths
    from spark_desktop.history.keys import KeySource
    from spark_desktop.history.store import HistoryStore

    with HistoryStore.open(paths.database_path(), KeySource(passphrase="right words")):
        pass
    before = paths.database_path().read_bytes()
    wrong = tmp_path / "wrong"
    wrong.write_text("wrong words\n")
    assert main(["--passphrase-file", str(wrong), "serve", "--port", "0",
                 "--save-history"]) == 2
    assert "passphrase" in capsys.readouterr().err.lower()
    assert discovery.running() is None and paths.database_path().read_bytes() == before
