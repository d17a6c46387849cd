"""Collections: a named folder kept indexed in the encrypted history (real SQLite), synced
with SmolLM2 as the embedder: changed files re-indexed alone, vanished ones forgotten, bad
ones reported while the rest are indexed."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from spark_desktop.documents.collections import FolderMissingError, readable_files, sync
from spark_desktop.documents.extract import read_document
from spark_desktop.documents.index import DocumentIndex
from spark_desktop.engine import Client
from spark_desktop.history import HistoryStore, NotFoundError
from spark_desktop.history.collections import CollectionExistsError
from spark_desktop.inference_settings import LoadSettings
from tests.fixtures.pdf import write_pdf
from tests.fixtures.real_model import smollm2_path
from tests.test_documents import ANSWER, QUESTION, CountingEmbed, filler_lines

EMBED_OPTIONS = LoadSettings(n_ctx=512, n_batch=512, n_ubatch=512, flash_attn="off", threads=1)
OTTER = "The otter Brindlecombe keeps the lighthouse of Varrowick lit every night."


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    client = Client(log_path=tmp_path_factory.mktemp("coll") / "engine.log")
    client.load(smollm2_path(), EMBED_OPTIONS)
    yield client
    client.close()


def two_files(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    vault = folder / "vault.md"
    vault.write_text("# Vault\n\n" + "\n".join(filler_lines(6)) + f"\n{ANSWER}\n")
    lighthouse = folder / "sub" / "lighthouse.txt"
    lighthouse.parent.mkdir(exist_ok=True)
    lighthouse.write_text("\n".join(filler_lines(5, seed=1)) + f"\n{OTTER}\n")
    return vault.resolve(), lighthouse.resolve()


def index_of(store: HistoryStore, embed: CountingEmbed) -> DocumentIndex:
    return DocumentIndex(store.documents, embed, "SmolLM2-135M-Instruct.Q4_1")


def test_a_collection_follows_its_files(tmp_path: Path, embedder: Client) -> None:
    vault, lighthouse = two_files(tmp_path / "notes")
    embed = CountingEmbed(embedder)
    with HistoryStore.open() as store:
        collection = store.collections.create("Notes", str(tmp_path / "notes"), "")
        index = index_of(store, embed)
        first = sync(index, Path(collection.folder))
        assert sorted(first.added) == sorted([str(vault), str(lighthouse)])
        assert first.updated == first.removed == first.failed == () and first.unchanged == 0
        documents = store.documents.under(collection.folder)
        assert [d.path for d in documents] == sorted([str(vault), str(lighthouse)])
        hits = index.search_indexed(QUESTION, documents, limit=2)
        assert ANSWER in hits[0].text and hits[0].path == str(vault)

        embedded = len(embed.texts)
        again = sync(index, Path(collection.folder))
        assert again.unchanged == 2 and not again.changed
        assert len(embed.texts) == embedded  # nothing embedded twice

        vault.write_text("# Vault\n\nThe vault of Quillmere was emptied and sold.\n")
        changed = sync(index, Path(collection.folder))
        assert changed.updated == (str(vault),) and changed.unchanged == 1
        assert embed.texts[embedded:] == [vault.read_text().strip()]  # only the changed file
        hits = index.search_indexed("Quillmere vault emptied",
                                    store.documents.under(collection.folder), limit=10)
        texts = [hit.text for hit in hits]
        assert "emptied and sold" in texts[0]
        assert not any("Pemberwick" in text for text in texts)  # the old text is gone

        lighthouse.unlink()
        gone = sync(index, Path(collection.folder))
        assert gone.removed == (str(lighthouse),) and gone.unchanged == 1
        assert store.documents.get(str(lighthouse)) is None
        hits = index.search_indexed("otter lighthouse Varrowick",
                                    store.documents.under(collection.folder), limit=10)
        assert hits and all(hit.path == str(vault) for hit in hits)
        assert store.integrity_check() == ["ok"]


def test_bad_files_are_reported_and_the_rest_indexed(tmp_path: Path, embedder: Client) -> None:
    folder = tmp_path / "mixed"
    vault, lighthouse = two_files(folder)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Cat")
    (folder / "huge.txt").write_text("a line of text\n" * 400)  # 6000 bytes > the limit below
    (folder / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")  # not a document
    (folder / ".git").mkdir()
    (folder / ".git" / "notes.txt").write_text("hidden\n")
    outside = tmp_path / "outside.txt"
    outside.write_text("A secret outside the folder.\n")
    (folder / "link.txt").symlink_to(outside)
    (folder / "inner.txt").symlink_to(vault)  # inside: the same file once
    write_pdf(folder / "handbook.pdf", [filler_lines(2, seed=2) + [ANSWER]])
    with HistoryStore.open() as store:
        index = index_of(store, CountingEmbed(embedder))
        report = sync(index, folder, limit=4096)
        failed = dict(report.failed)
        assert set(failed) == {str((folder / "broken.pdf").resolve()),
                               str((folder / "huge.txt").resolve())}
        assert "cannot be read" in failed[str((folder / "broken.pdf").resolve())]
        assert "more than the" in failed[str((folder / "huge.txt").resolve())]
        assert sorted(report.added) == sorted(
            [str(vault), str(lighthouse), str((folder / "handbook.pdf").resolve())])
        assert "could not be read" in report.summary()
        assert not any(".git" in path or "outside" in path for path in report.added)
        # a document attached on its own from a folder the walk skips is not forgotten
        hidden = str((folder / ".git" / "notes.txt").resolve())
        index.add(read_document(hidden))
        assert sync(index, folder, limit=4096).removed == ()
        assert store.documents.get(hidden) is not None
        # a file that went bad keeps what it had; the next sync says so again
        (folder / "handbook.pdf").write_bytes(b"%PDF-1.4\ntruncated")
        before = store.documents.get(str((folder / "handbook.pdf").resolve()))
        later = sync(index, folder, limit=4096)
        assert str((folder / "handbook.pdf").resolve()) in dict(later.failed)
        assert store.documents.get(str((folder / "handbook.pdf").resolve())) == before


def test_stamps_spare_reading_unchanged_files(tmp_path: Path, embedder: Client) -> None:
    vault, _ = two_files(tmp_path / "notes")
    stamps: dict[str, tuple[int, int, str]] = {}
    with HistoryStore.open() as store:
        index = index_of(store, CountingEmbed(embedder))
        sync(index, tmp_path / "notes", stamps=stamps)
        assert set(stamps) == {d.path for d in store.documents.under(str(tmp_path / "notes"))}
        # same size, same modification time: judged unchanged without being read
        info = vault.stat()
        vault.write_text(vault.read_text().replace("Pemberwick", "Pemberwock"))
        os.utime(vault, ns=(info.st_atime_ns, info.st_mtime_ns))
        assert sync(index, tmp_path / "notes", stamps=stamps).unchanged == 2
        # without them every file is read and hashed, and the change is found
        assert sync(index, tmp_path / "notes").updated == (str(vault),)


def test_a_missing_folder_forgets_nothing(tmp_path: Path, embedder: Client) -> None:
    two_files(tmp_path / "notes")
    with HistoryStore.open() as store:
        index = index_of(store, CountingEmbed(embedder))
        sync(index, tmp_path / "notes")
        (tmp_path / "notes").rename(tmp_path / "moved")
        with pytest.raises(FolderMissingError, match="its passages were kept"):
            sync(index, tmp_path / "notes")
        assert len(store.documents.under(str((tmp_path / "notes").resolve()))) == 2


def test_collection_names_are_unique_and_removal_forgets_passages(
        tmp_path: Path, embedder: Client) -> None:
    vault, lighthouse = two_files(tmp_path / "notes")
    with HistoryStore.open() as store:
        tables = store.collections
        notes = tables.create("Notes", str(tmp_path / "notes"), "embedder-a")
        tables.create("Sub", str(lighthouse.parent), "")
        with pytest.raises(CollectionExistsError, match="already a collection called 'Notes'"):
            tables.create("Notes", str(tmp_path), "")
        with pytest.raises(NotFoundError, match="no collection called 'Nope'"):
            tables.get("Nope")
        assert [c.name for c in tables.list()] == ["Notes", "Sub"]
        assert tables.get("Notes") == notes and notes.synced_at is None
        assert tables.mark_synced("Notes").synced_at is not None
        sync(index_of(store, CountingEmbed(embedder)), Path(notes.folder))
        assert tables.delete("Notes") == 1  # the file under Sub's folder stays indexed
        assert store.documents.get(str(vault)) is None
        assert store.documents.get(str(lighthouse)) is not None
        assert [c.name for c in tables.list()] == ["Sub"]
        assert tables.delete("Sub") == 1
        assert store.documents.under(str(tmp_path)) == []


def test_only_readable_files_are_walked(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("x")
    (tmp_path / "b.bin").write_bytes(b"\0")
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / "node").mkdir()
    (tmp_path / "node" / "c.py").write_text("x")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "d.py").write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in readable_files(tmp_path)] == [
        "a.md", "node/c.py"]
