"""The Server page without a model: API keys are written in the server's keys-file format
(private to this user), listed by name, refused when badly named, and revoked."""

from __future__ import annotations

import stat

from pytestqt.qtbot import QtBot

from spark_desktop import paths
from spark_desktop.server.auth import KeyRing, read_keys_file
from spark_desktop.ui.host_bridge import HostBridge
from spark_desktop.ui.pages.server import ServerPage
from spark_desktop.ui.services import Services


def make_page(qtbot: QtBot) -> ServerPage:
    page = ServerPage(Services(host=HostBridge()))  # a host that is not started
    qtbot.addWidget(page)
    return page


def test_keys_are_added_listed_and_revoked_in_the_servers_format(qtbot: QtBot) -> None:
    page = make_page(qtbot)
    assert page.keys.item(0).text().startswith("No keys")
    alice = page.add_key("alice")
    bob = page.add_key("bob")
    path = paths.api_keys_path()
    assert read_keys_file(path) == {alice: "alice", bob: "bob"}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [page.keys.item(i).text() for i in range(2)] == \
        [f"alice   …{alice[-4:]}", f"bob   …{bob[-4:]}"]
    assert page.new_key.text() == bob and page.new_key.isVisibleTo(page)
    ring = KeyRing(keys_file=path)  # as the server reads it
    assert ring.name_of(alice) == "alice" and ring.name_of("sk-wrong-key") is None
    page.revoke("alice")
    assert read_keys_file(path) == {bob: "bob"}
    assert ring.name_of(alice) is None and ring.name_of(bob) == "bob"


def test_bad_key_names_and_a_host_not_ready_are_said_in_words(qtbot: QtBot) -> None:
    page = make_page(qtbot)
    assert page.add_key("two words") == ""
    assert "one-word name" in page.status.text()
    assert page.add_key("carol")
    assert page.add_key("carol") == ""
    assert page.status.text() == "There is already a key named carol."
    page.start()
    assert not page.running and "still starting" in page.status.text()
