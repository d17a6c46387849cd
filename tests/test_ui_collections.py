"""The window keeps collections indexed: the watcher syncs a folder after its files change
(real QFileSystemWatcher, real history thread, SmolLM2 embedding through a real model
host), and Settings → Documents shows them and stores the embedding model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from spark_desktop import settings as settings_mod
from spark_desktop.documents.index import DocumentIndex
from spark_desktop.host import ModelHost
from spark_desktop.settings import DOCUMENTS_EMBED_MODEL as SETTING
from spark_desktop.ui.bridges import HistoryBridge
from spark_desktop.ui.collections_watch import CollectionsWatcher
from spark_desktop.ui.host_bridge import HostBridge
from tests.host_fixtures import SMOL, smol_host
from tests.test_collections import OTTER, two_files
from tests.test_documents import ANSWER

WAIT_MS = 120_000  # a sync embeds on a busy two-core machine


@pytest.fixture(scope="module")
def host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModelHost]:
    with smol_host(tmp_path_factory.mktemp("collhost"), loaded=False) as held:
        yield held


def settled(watcher: CollectionsWatcher, name: str, check: Any = lambda s: True) -> Any:
    def done() -> bool:
        state = watcher.states.get(name)
        return state is not None and not state.syncing and state.report is not None \
            and bool(check(state))
    return done


def search(history: HistoryBridge, host: ModelHost, question: str, folder: str) -> list[Any]:
    def op(store: Any) -> list[Any]:
        index = DocumentIndex(store.documents, lambda t: host.embed(SMOL, t).vectors, SMOL)
        return index.search_indexed(question, store.documents.under(folder), limit=10)
    return history.runner.call(op)


def test_the_watcher_reindexes_a_changed_file(qtbot: QtBot, tmp_path: Path,
                                              host: ModelHost) -> None:
    vault, lighthouse = two_files(tmp_path / "notes")
    history = HistoryBridge()
    bridge = HostBridge(host=host)
    watcher = CollectionsWatcher(history, bridge, lambda: SMOL, debounce_ms=300,
                                 rescan_ms=3_600_000)
    try:
        with qtbot.waitSignal(watcher.changed, timeout=10_000):
            watcher.start()
        errors: list[BaseException] = []
        watcher.add("Notes", str(tmp_path / "notes"), lambda _c: None, errors.append)
        qtbot.waitUntil(settled(watcher, "Notes"), timeout=WAIT_MS)
        state = watcher.states["Notes"]
        assert errors == [] and state.error == ""
        assert sorted(state.report.added) == sorted([str(vault), str(lighthouse)])
        assert state.files == 2 and state.passages >= 2
        assert state.collection.synced_at is not None
        assert str(lighthouse) in watcher.watcher.files()  # watched, and its subfolder too
        assert str(lighthouse.parent) in watcher.watcher.directories()

        lighthouse.write_text(OTTER.replace("Varrowick", "Quenlor") + "\n")  # edited in place
        qtbot.waitUntil(settled(watcher, "Notes", lambda s: s.report.updated), timeout=WAIT_MS)
        assert watcher.states["Notes"].report.updated == (str(lighthouse),)
        hits = search(history, host, "lighthouse of Quenlor", str(vault.parent))
        assert "Quenlor" in hits[0].text
        assert not any("Varrowick" in hit.text for hit in hits)

        vault.unlink()  # the folder changes: the vanished file is forgotten
        qtbot.waitUntil(settled(watcher, "Notes", lambda s: s.report.removed), timeout=WAIT_MS)
        assert watcher.states["Notes"].report.removed == (str(vault),)
        assert watcher.states["Notes"].files == 1
        assert not any(ANSWER in hit.text
                       for hit in search(history, host, "vault", str(vault.parent)))
    finally:
        watcher.stop()
        bridge.shutdown()  # its refresh timer stops; the module's host stays open
        history.shutdown()
        watcher.deleteLater()


def test_a_collection_without_an_embedding_model_says_so(qtbot: QtBot, tmp_path: Path) -> None:
    two_files(tmp_path / "notes")
    history = HistoryBridge()
    watcher = CollectionsWatcher(history, HostBridge(), lambda: "", debounce_ms=50)
    try:
        watcher.start()
        watcher.add("Notes", str(tmp_path / "notes"), lambda _c: None, lambda _e: None)
        qtbot.waitUntil(lambda: bool(getattr(watcher.states.get("Notes"), "error", "")),
                        timeout=10_000)
        assert "Choose an embedding model" in watcher.states["Notes"].error
        failures: list[str] = []
        watcher.add("Notes", str(tmp_path), lambda _c: None,
                    lambda exc: failures.append(str(exc)))
        watcher.add("Elsewhere", str(tmp_path / "nowhere"), lambda _c: None,
                    lambda exc: failures.append(str(exc)))
        qtbot.waitUntil(lambda: len(failures) == 2, timeout=10_000)
        assert "already a collection called 'Notes'" in failures[0]
        assert "is not there" in failures[1]
    finally:
        watcher.stop()
        history.shutdown()
        watcher.deleteLater()


def test_settings_box_stores_the_model_and_lists_collections(
        qtbot: QtBot, tmp_path: Path, host: ModelHost) -> None:
    from spark_desktop.ui.pages.documents_settings import DocumentsBox
    from spark_desktop.ui.services import Services

    two_files(tmp_path / "notes")
    services = Services(host=HostBridge(host=host))
    services._library_scanned(tuple(host.available().values()))  # what the host serves
    box = DocumentsBox(services)
    qtbot.addWidget(box)
    try:
        assert [box.embed_model.itemData(i) for i in range(box.embed_model.count())] == [
            "", SMOL]
        box.embed_model.setCurrentIndex(1)
        box.embed_model.activated.emit(1)
        assert settings_mod.load().extra[SETTING] == SMOL  # saved with the settings
        assert services.settings.extra[SETTING] == SMOL
        with qtbot.waitSignal(services.collections.changed, timeout=10_000):
            services.collections.start()
        box.add_collection("Notes", str(tmp_path / "notes"))
        qtbot.waitUntil(settled(services.collections, "Notes"), timeout=WAIT_MS)
        item = box.table.topLevelItem(0)
        assert [item.text(0), item.text(1)] == ["Notes", str((tmp_path / "notes").resolve())]
        assert int(item.text(2).replace(",", "")) == services.collections.states["Notes"].passages
        assert item.text(4) == "2 files, up to date"
        box.table.setCurrentItem(item)
        assert box.sync_button.isEnabled() and box.remove_button.isEnabled()
        (tmp_path / "notes" / "broken.pdf").write_bytes(b"%PDF-1.4\ngarbage")
        box.sync_selected()
        qtbot.waitUntil(lambda: "could not be read" in box.table.topLevelItem(0).text(4),
                        timeout=WAIT_MS)
        box.table.setCurrentItem(box.table.topLevelItem(0))
        assert "broken.pdf cannot be read" in box.status.text()
        box.sync_selected()  # removed while it syncs: once the sync is done, not before
        assert services.collections.states["Notes"].syncing
        box.remove_collection("Notes")
        qtbot.waitUntil(lambda: box.table.topLevelItemCount() == 0, timeout=WAIT_MS)
        folder = str((tmp_path / "notes").resolve())
        assert services.history.runner.call(lambda store: store.documents.under(folder)) == []
    finally:
        services.shutdown()  # the host bridge leaves the module's host open
        services.deleteLater()
