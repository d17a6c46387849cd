"""No traffic the user did not ask for: the main flows run with every socket connection
and name lookup recorded, in this process (an audit hook) and in the engine worker (the
same hook through a sitecustomize on its PYTHONPATH).

Offline: start the window, browse local models, open Discover and Settings, chat with the
real model (saved), search the history: not one connection. Online, opening Settings
contacts no one (its automatic checks skip the Hub), and a Hub search the user types
reaches the test's own fake Hub and nothing else.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from spark_desktop import paths, settings
from spark_desktop.cli import main
from tests.fakehub import FakeHub, fake_hub  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

_recording: list[tuple[str, Any]] | None = None

_CHILD_HOOK = '''
import json, os, socket, sys
_log = os.environ.get("SPARK_TEST_NET_LOG")
def _hook(event, args):
    if event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6):
        entry = [event, [str(a) for a in args[1][:2]]]
    elif event == "socket.getaddrinfo":
        entry = [event, str(args[0])]
    else:
        return
    with open(_log, "a") as handle:
        handle.write(json.dumps(entry) + "\\n")
if _log:
    sys.addaudithook(_hook)
'''


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _recording is None:
        return
    if event == "socket.connect" and args[0].family in (socket.AF_INET, socket.AF_INET6):
        _recording.append((event, [str(a) for a in args[1][:2]]))
    elif event == "socket.getaddrinfo":
        _recording.append((event, str(args[0])))


sys.addaudithook(_hook)  # audit hooks stay for the process; this one records only on demand


@pytest.fixture
def network_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """What this process and its children connected to or looked up, as a callable."""
    global _recording
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_CHILD_HOOK)
    child_log = tmp_path / "child-net.log"
    monkeypatch.setenv("SPARK_TEST_NET_LOG", str(child_log))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        filter(None, [str(site), os.environ.get("PYTHONPATH")])))
    _recording = []

    def seen() -> list[tuple[str, Any]]:
        children = [tuple(json.loads(line)) for line in child_log.read_text().splitlines()] \
            if child_log.exists() else []
        return [*(_recording or []), *children]

    yield seen
    _recording = None


def test_offline_flows_make_no_connection_and_a_hub_search_only_reaches_the_hub(
        qtbot, network_log, test_model: Path, fake_hub: FakeHub,  # noqa: F811
        capsys: pytest.CaptureFixture[str]) -> None:
    from spark_desktop.ui.app import create_window

    settings.save(dataclasses.replace(settings.Settings(), offline=True))
    window = create_window(QApplication.instance())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.chat is not None, timeout=30000)
    window.show_page("models")
    window.show_page("discover")
    discover = window.page("discover")
    qtbot.waitUntil(lambda: "offline" in discover.status.text().lower(), timeout=15000)
    window.show_page("settings")
    about = window.page("settings")
    qtbot.waitUntil(lambda: about.run_checks_button.isEnabled(), timeout=60000)

    marker = "pelican"
    assert main(["generate", str(test_model), "-p", f"A {marker} walks in.", "--save",
                 "--json", "--temperature", "0", "--ctx", "256", "--max-tokens", "4"]) == 0
    assert main(["history", "search", marker]) == 0
    assert marker in capsys.readouterr().out
    assert paths.engine_log_path().exists()  # the worker ran, with the hook on its path
    offline_traffic = network_log()
    assert offline_traffic == [], offline_traffic

    # Online: the user searches the Hub; only the fake Hub is contacted.
    fake_hub.add_repo("test-org/tiny-GGUF", {"README.md": b"# tiny\n"}, tags=("gguf",))
    window.services.update_settings(dataclasses.replace(window.services.settings,
                                                        offline=False))
    window.show_page("discover")
    about.checks.clear()  # Settings shown again online: the automatic checks contact no one
    window.show_page("settings")
    qtbot.waitUntil(lambda: about.checks.topLevelItemCount() > 0
                    and about.run_checks_button.isEnabled(), timeout=60000)
    assert network_log() == []
    window.show_page("discover")
    qtbot.keyClicks(discover.query, "tiny")
    qtbot.waitUntil(lambda: discover.results.rowCount() == 1, timeout=15000)
    hub_port = fake_hub.url.rsplit(":", 1)[1]
    traffic = network_log()
    assert traffic, "the search reached nothing at all"
    for event, target in traffic:
        if event == "socket.connect":
            assert target == ["127.0.0.1", hub_port], traffic
        else:
            assert target in ("127.0.0.1", "localhost"), traffic
    window.close()
