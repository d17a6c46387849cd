"""Documents: extraction with locations, errors that lose nothing, and the index in the
encrypted history (hybrid retrieval, re-indexing, no plain text on disk) with SmolLM2,
the real test model, as the embedder."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from spark_desktop import paths
from spark_desktop.documents.chunking import chunk_document
from spark_desktop.documents.errors import (
    CorruptDocumentError,
    DocumentMissingError,
    DocumentTooLargeError,
    NoTextError,
    UnsupportedDocumentError,
)
from spark_desktop.documents.extract import read_document
from spark_desktop.documents.index import DocumentIndex
from spark_desktop.documents.vectors import VectorMatrix, fuse, pack
from spark_desktop.engine import Client
from spark_desktop.history import HistoryStore
from spark_desktop.inference_settings import LoadSettings
from tests.fixtures.pdf import write_pdf
from tests.fixtures.real_model import smollm2_path
from tests.test_history_encryption import files_containing

EMBED_OPTIONS = LoadSettings(n_ctx=512, n_batch=512, n_ubatch=512, flash_attn="off", threads=2)
FILLER = ("The committee reviewed the budget and discussed the schedule for next year.",
          "Rain is expected over the northern hills during the weekend, then sun.",
          "Our library opens at nine and closes at six on weekdays.",
          "The bakery on the corner sells bread, rolls and cakes every morning.")
ANSWER = "The vault of Quillmere is guarded by the heron Pemberwick at the northern gate."
QUESTION = "Who guards the vault of Quillmere?"


def filler_lines(count: int, seed: int = 0) -> list[str]:
    return [f"{FILLER[(i + seed) % len(FILLER)]} Note {i}." for i in range(count)]


@pytest.fixture(scope="module")
def embedder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    client = Client(log_path=tmp_path_factory.mktemp("docs") / "engine.log")
    client.load(smollm2_path(), EMBED_OPTIONS)
    yield client
    client.close()


class CountingEmbed:
    """The real embedder, counting the passages it was asked to embed."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.texts: list[str] = []

    def __call__(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        self.texts += texts
        return self.client.embed(texts).vectors


def open_index(store: HistoryStore, embed: CountingEmbed) -> DocumentIndex:
    return DocumentIndex(store.documents, embed, "SmolLM2-135M-Instruct.Q4_1.gguf")


# -- extraction ---------------------------------------------------------------------


def test_text_passages_keep_their_line_numbers(tmp_path: Path) -> None:
    lines = filler_lines(60)
    lines[37] = ANSWER
    path = tmp_path / "notes.md"
    path.write_text("\n".join(lines) + "\n")
    chunks = chunk_document(read_document(path), tokens=48)
    assert len(chunks) > 5
    for chunk in chunks:  # every passage is exactly the file's lines it claims
        first, last = chunk.location.first_line, chunk.location.last_line
        assert chunk.text == "\n".join(lines[first - 1:last])
        assert chunk.location.page is None
    (holder,) = [c for c in chunks if ANSWER in c.text]
    assert holder.location.first_line <= 38 <= holder.location.last_line
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_pdf_text_is_read_page_by_page(tmp_path: Path) -> None:
    path = write_pdf(tmp_path / "report.pdf",
                     [filler_lines(5), [], ["Appendix", ANSWER, "End (of) report"]])
    document = read_document(path)
    assert document.kind == "pdf"
    assert [s.page for s in document.sections] == [1, 3]
    assert "1 of 3 pages have no text" in document.notes[0]
    (holder,) = [c for c in chunk_document(document) if ANSWER in c.text]
    assert holder.location.page == 3
    assert holder.location.describe() == "page 3, lines 1-3"
    assert "End (of) report" in holder.text


def test_docx_and_html_are_read_as_text(tmp_path: Path) -> None:
    import docx

    word = docx.Document()
    for line in ("Introduction", ANSWER, "Closing words"):
        word.add_paragraph(line)
    word.save(str(tmp_path / "memo.docx"))
    memo = read_document(tmp_path / "memo.docx")
    (holder,) = chunk_document(memo)
    assert holder.text.split("\n")[1] == ANSWER
    assert holder.location.describe() == "paragraphs 1-3"
    (tmp_path / "page.html").write_text(
        "<html><head><title>t</title><style>p{color:red}</style></head><body>"
        f"<h1>Guards</h1><script>var secret = 1;</script><p>{ANSWER}</p>"
        "<p>Fish &amp; chips</p></body></html>")
    page = read_document(tmp_path / "page.html")
    assert page.text.split("\n") == ["Guards", ANSWER, "Fish & chips"]


def test_bad_files_get_clear_typed_errors(tmp_path: Path) -> None:
    write_pdf(tmp_path / "scan.pdf", [[], []])
    with pytest.raises(NoTextError, match="scanned") as scanned:
        read_document(tmp_path / "scan.pdf")
    assert scanned.value.scanned
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Cat")
    with pytest.raises(CorruptDocumentError, match=r"broken\.pdf cannot be read"):
        read_document(tmp_path / "broken.pdf")
    (tmp_path / "big.txt").write_text("x" * 5000)
    with pytest.raises(DocumentTooLargeError, match="limit") as big:
        read_document(tmp_path / "big.txt", limit=4096)
    assert big.value.size == 5000
    with pytest.raises(DocumentMissingError, match="not there"):
        read_document(tmp_path / "gone.txt")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(UnsupportedDocumentError):
        read_document(tmp_path / "image.png")
    (tmp_path / "empty.txt").write_text("  \n\n")
    with pytest.raises(NoTextError, match="holds no text"):
        read_document(tmp_path / "empty.txt")


# -- ranking pieces -----------------------------------------------------------------


def test_exact_vector_search_matches_brute_force() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.standard_normal((500, 64)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = [(1000 + i, pack(v)) for i, v in enumerate(vectors)]
    matrix = VectorMatrix.from_rows(rows, 64)
    query = vectors[123] + 0.05 * rng.standard_normal(64).astype(np.float32)
    expected = np.argsort(-(vectors @ query))[:10] + 1000
    assert matrix.nearest(query.tolist(), 10)[0] == 1123
    assert set(matrix.nearest(query.tolist(), 10)) == set(expected.tolist())


def test_fusion_rewards_agreement_between_rankings() -> None:
    fused = [seq for seq, _ in fuse([[1, 2, 3, 4], [4, 3, 9]])]
    assert set(fused[:2]) == {3, 4}  # in both lists beats first in one
    assert fused[2] == 1
    assert set(fused) == {1, 2, 3, 4, 9}


# -- the index ----------------------------------------------------------------------


def make_collection(folder: Path) -> list[Path]:
    """A text file, a PDF and a Markdown file; the answer is on page 2 of the PDF."""
    folder.mkdir(exist_ok=True)
    text = folder / "minutes.txt"
    text.write_text("\n".join(filler_lines(24)) + "\n")
    pdf = write_pdf(folder / "handbook.pdf",
                    [filler_lines(6, seed=1), filler_lines(2, seed=2) + [ANSWER],
                     filler_lines(5, seed=3)])
    notes = folder / "notes.md"
    notes.write_text("# Notes\n\n" + "\n".join(filler_lines(10, seed=2)) + "\n")
    return [text, pdf, notes]


def test_retrieval_ranks_the_answering_passage_first(tmp_path: Path, embedder: Client) -> None:
    files = make_collection(tmp_path / "docs")
    documents = [read_document(path) for path in files]
    with HistoryStore.open() as store:
        index = open_index(store, CountingEmbed(embedder))
        for document in documents:
            index.add(document, chunk_document(document, tokens=48))
        hits = index.search(QUESTION, documents, limit=4)
    assert len(hits) == 4
    best = hits[0]
    assert ANSWER in best.text
    assert best.path == str(files[1].resolve())
    assert best.location.page == 2
    assert best.location.first_line <= 3 <= best.location.last_line
    assert best.text_rank == 1  # the rare words put it first in BM25
    # SmolLM2's mean-pooled vectors put it first here too (of 25 passages); a margin for
    # other CPUs' arithmetic
    assert best.vector_rank is not None and best.vector_rank <= 3


def test_unchanged_files_are_skipped_and_changed_ones_replaced(tmp_path: Path,
                                                               embedder: Client) -> None:
    files = make_collection(tmp_path / "docs")
    embed = CountingEmbed(embedder)
    with HistoryStore.open() as store:
        index = open_index(store, embed)
        first = [index.add(read_document(path)) for path in files]
        assert all(result.embedded for result in first)
        embedded = len(embed.texts)
        assert embedded == sum(result.chunks for result in first)
        again = [index.add(read_document(path)) for path in files]
        assert not any(result.embedded for result in again)
        assert len(embed.texts) == embedded  # nothing embedded a second time
        files[0].write_text("The heron Pemberwick retired; the otter Brindlecombe guards now.\n")
        changed = index.add(read_document(files[0]))
        assert changed.embedded and changed.chunks == 1
        assert embed.texts[embedded:] == [files[0].read_text().strip()]
        documents = [read_document(path) for path in files]
        hits = index.search("Brindlecombe otter", documents, limit=10)
        assert "Brindlecombe" in hits[0].text and hits[0].path == str(files[0].resolve())
        assert not any("Note 23." in hit.text for hit in hits if hit.path == hits[0].path)
        assert store.documents.get(str(files[0].resolve())).chunk_count == 1  # type: ignore[union-attr]


def test_a_bad_file_loses_nothing_that_was_indexed(tmp_path: Path, embedder: Client) -> None:
    files = make_collection(tmp_path / "docs")
    with HistoryStore.open() as store:
        index = open_index(store, CountingEmbed(embedder))
        pdf = read_document(files[1])
        index.add(pdf)
        before = store.documents.get(str(files[1].resolve()))
        files[1].write_bytes(files[1].read_bytes()[:200])  # truncated: damaged
        with pytest.raises(CorruptDocumentError):
            index.add(read_document(files[1]))
        files[1].unlink()
        with pytest.raises(DocumentMissingError):
            index.add(read_document(files[1]))
        assert store.documents.get(str(files[1].resolve())) == before
        hits = index.search(QUESTION, [pdf], limit=1)
        assert ANSWER in hits[0].text
        assert store.integrity_check() == ["ok"]


def test_passages_are_stored_encrypted(tmp_path: Path, embedder: Client) -> None:
    marker = f"quokka{uuid.uuid4().hex}"
    path = tmp_path / "secret.txt"
    path.write_text("\n".join(filler_lines(4)) + f"\nThe password is {marker}.\n")
    with HistoryStore.open() as store:
        index = open_index(store, CountingEmbed(embedder))
        document = read_document(path)
        index.add(document)
        assert marker in index.search(marker, [document], limit=1)[0].text
        assert files_containing(paths.data_dir(), marker) == []
    assert paths.database_path().exists()
    assert files_containing(paths.data_dir(), marker) == []


def test_an_index_in_a_plaintext_history_is_kept_when_it_is_encrypted(
        tmp_path: Path, embedder: Client) -> None:
    from spark_desktop.history import keys as history_keys
    from spark_desktop.history.encryption import encrypt_history

    marker = f"wombat{uuid.uuid4().hex}"
    path = tmp_path / "diary.txt"
    path.write_text(f"Dear diary, the code word is {marker}.\n")
    db = paths.database_path()
    document = read_document(path)
    with HistoryStore.open(db, keys=None) as store:
        open_index(store, CountingEmbed(embedder)).add(document)
    assert files_containing(paths.data_dir(), marker) == [db]
    encrypt_history(db, history_keys.app_key_source())
    assert files_containing(paths.data_dir(), marker) == []
    embed = CountingEmbed(embedder)
    with HistoryStore.open(db) as store:
        index = open_index(store, embed)
        assert not index.add(document).embedded  # still indexed, nothing to redo
        assert marker in index.search(marker, [document], limit=1)[0].text
        assert store.integrity_check() == ["ok"]
    assert embed.texts == [marker]  # only the question was embedded


def test_passages_in_any_script_fit_the_embedders_input(tmp_path: Path,
                                                        embedder: Client) -> None:
    path = tmp_path / "mixed.md"
    path.write_text("合同第十二条规定，房东负责屋顶的维修，租客负责花园。\n" * 40
                    + "def f(x): return {'k': [x ** 2 for _ in range(3)]}  # code\n" * 40
                    + "Ünïcödé wörds, naïve café déjà vu.\n" * 40)
    chunks = chunk_document(read_document(path), tokens=128)
    assert len(chunks) > 3
    for chunk in chunks:  # SmolLM2's real token count of each passage
        assert embedder.embed([chunk.text]).prompt_tokens <= 128
