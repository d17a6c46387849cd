"""A chat with documents (chat.documents): whole documents or retrieved passages put in the
turn's prompt, the passages kept as the reply's citations, follow-ups with the earlier turns
as plain text, and files that vanished, grew too large or are damaged reported by the turn
with the question kept. Real SmolLM2 (chat and embeddings), real SQLite."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from spark_desktop.chat import ChatSession, TurnFinished
from spark_desktop.chat.documents import DocumentProgress, DocumentPrompt, embed_model
from spark_desktop.documents.collections import sync
from spark_desktop.documents.errors import (
    CorruptDocumentError,
    DocumentError,
    DocumentMissingError,
    DocumentTooLargeError,
)
from spark_desktop.documents.index import DocumentIndex
from spark_desktop.documents.question import INSTRUCTION
from spark_desktop.engine import Client
from spark_desktop.history import HistoryStore
from spark_desktop.history.errors import NotFoundError
from spark_desktop.history.runner import DirectHistory
from spark_desktop.inference_settings import LoadSettings
from spark_desktop.settings import Settings
from tests.fixtures.pdf import write_pdf
from tests.fixtures.real_model import smollm2_path
from tests.test_documents import ANSWER, QUESTION, filler_lines, make_collection

LOAD = LoadSettings(n_ctx=1024, n_batch=512, n_ubatch=512, flash_attn="off", threads=1)
SAMPLING = {"temperature": 0.0, "max_tokens": 12}


@pytest.fixture(scope="module")
def smol(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    client = Client(log_path=tmp_path_factory.mktemp("chat-docs") / "engine.log")
    client.load(smollm2_path(), LOAD)
    yield client
    client.close()


class Spy:
    """The real client, keeping the prompts it was sent."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.prompts: list[list[dict[str, Any]]] = []

    @property
    def loaded(self) -> Any:
        return self.client.loaded

    def count_tokens(self, messages: Sequence[dict[str, Any]]) -> int:
        return self.client.count_tokens(messages)

    def chat(self, messages: Sequence[dict[str, Any]], sampling: Any = None) -> Iterator[Any]:
        self.prompts.append([dict(m) for m in messages])
        return self.client.chat(messages, sampling)

    def cancel(self) -> None:
        self.client.cancel()


def ask(session: ChatSession, client: Spy, text: str,
        progress: list[DocumentProgress] | None = None, stop_at: str = "",
        **options: Any) -> TurnFinished:
    """One turn of the session with its documents, as the chat page runs it (stopped by
    the person when the progress reaches step `stop_at`)."""
    request = session.send(text, sampling=SAMPLING)
    assert request is not None
    options.setdefault("embed_model", "smol")
    seen = progress if progress is not None else []

    def on_progress(event: DocumentProgress) -> None:
        seen.append(event)
        if event.step == stop_at:
            session.stop()

    hook = DocumentPrompt(session.history, request.documents, embed=embedder(client.client),
                          collection=request.collection, answer_tokens=SAMPLING["max_tokens"],
                          stop=request.stop, on_progress=on_progress, **options)
    try:
        events = list(session.run(request, client, hook))
    finally:
        session.finished()
    for event in events:
        session.apply(event)
    finished = events[-1]
    assert isinstance(finished, TurnFinished)
    return finished


def embedder(client: Client) -> Any:
    """The host's embed, for a host holding one model (any name is that model)."""
    return lambda _model, texts: client.embed(texts).vectors


def test_documents_that_fit_go_in_whole_and_follow_ups_keep_earlier_turns_plain(
        tmp_path: Path, store: HistoryStore, smol: Client) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Shopping list\n" + ANSWER + "\n")
    card = write_pdf(tmp_path / "card.pdf", [["Opening hours: nine to six."]])
    session, spy, progress = ChatSession(DirectHistory(store)), Spy(smol), []
    assert session.sources_op([str(note), str(card), str(note)], None) is None  # a new chat
    first = ask(session, spy, QUESTION, progress)

    assert first.error is None and first.reply.finish_reason in ("stop", "length")
    reply = store.get_message(first.reply.id)
    assert reply.extra["mode"] == "whole"
    citations = reply.extra["citations"]
    assert [(c["n"], c["file"], c["location"]) for c in citations] == [
        (1, str(note.resolve()), "lines 1-2"), (2, str(card.resolve()), "page 1, line 1")]
    assert ANSWER in citations[0]["text"] and citations[1]["page"] == 1
    user = store.get_message(reply.parent_id)
    assert user.content == QUESTION  # the question as asked, not the prompt built from it
    assert user.extra == {"documents": [str(note), str(card)]}
    conv = store.get_conversation(reply.conversation_id)
    assert conv.extra["documents"] == [str(note), str(card)]
    assert [(p.step, p.name) for p in progress] == [
        ("reading", "note.txt"), ("reading", "card.pdf"), ("whole", "")]
    assert progress[-1].total == 2
    (prompt,) = spy.prompts
    assert [m["role"] for m in prompt] == ["system", "user"]
    assert prompt[0]["content"] == INSTRUCTION
    assert f"[1] note.txt, lines 1-2:\nShopping list\n{ANSWER}" in prompt[1]["content"]
    assert prompt[1]["content"].endswith(f"Question: {QUESTION}")
    assert not store.documents.get(str(note.resolve()))  # whole: nothing was indexed

    # A follow-up: the earlier turn goes in as the plain text shown; only it gets passages.
    session.conversation = conv
    follow = ask(session, spy, "When does the shop open?")
    assert follow.error is None
    prompt = spy.prompts[-1]
    assert [m["role"] for m in prompt] == ["system", "user", "assistant", "user"]
    assert prompt[1]["content"] == QUESTION
    assert prompt[2]["content"] == first.reply.content
    assert "[2] card.pdf, page 1, line 1:\nOpening hours" in prompt[3]["content"]
    assert store.get_message(follow.reply.id).extra["citations"][1]["file"] == str(card.resolve())


def test_a_large_document_is_retrieved_and_the_first_citation_holds_the_answer(
        tmp_path: Path, store: HistoryStore, smol: Client) -> None:
    minutes = tmp_path / "minutes.txt"
    minutes.write_text("\n".join(filler_lines(90)) + "\n")  # more than the 1024-token context
    handbook = write_pdf(tmp_path / "handbook.pdf",
                         [filler_lines(6, seed=1), filler_lines(2, seed=2) + [ANSWER]])
    session, spy, progress = ChatSession(DirectHistory(store)), Spy(smol), []
    session.sources_op([str(minutes), str(handbook)], None)
    finished = ask(session, spy, QUESTION, progress)

    assert finished.error is None
    extra = store.get_message(finished.reply.id).extra
    assert extra["mode"] == "retrieved"
    first = extra["citations"][0]
    assert (first["n"], first["file"], first["page"]) == (1, str(handbook.resolve()), 2)
    assert first["location"].startswith("page 2, lines ") and ANSWER in first["text"]
    assert [c["n"] for c in extra["citations"]] == list(range(1, len(extra["citations"]) + 1))
    assert 0 < finished.reply.prompt_tokens <= LOAD.n_ctx - SAMPLING["max_tokens"]
    steps = [p.step for p in progress]
    assert steps[:2] == ["reading", "reading"] and steps[-2:] == ["searching", "retrieved"]
    indexing = [p for p in progress if p.step == "indexing"]
    assert {p.name for p in indexing} == {"minutes.txt", "handbook.pdf"}
    assert all(p.total > 0 and p.done < p.total for p in indexing)
    assert progress[-1].total == len(extra["citations"])
    assert store.documents.get(str(handbook.resolve())) is not None  # indexed in the history
    assert "[1] handbook.pdf, page 2" in spy.prompts[0][-1]["content"]


def test_stopped_while_indexing_the_reply_is_cancelled_and_nothing_half_indexed(
        tmp_path: Path, store: HistoryStore, smol: Client) -> None:
    minutes = tmp_path / "minutes.txt"
    minutes.write_text("\n".join(filler_lines(90)) + "\n")
    session, spy, progress = ChatSession(DirectHistory(store)), Spy(smol), []
    session.sources_op([str(minutes)], None)
    finished = ask(session, spy, QUESTION, progress, stop_at="indexing")
    assert finished.error is None and finished.reply.finish_reason == "cancelled"
    assert [p.step for p in progress] == ["reading", "indexing"] and not spy.prompts
    assert store.documents.get(str(minutes.resolve())) is None
    assert store.get_message(finished.reply.parent_id).content == QUESTION


@pytest.mark.parametrize("problem", ["vanished", "too large", "corrupt"])
def test_a_bad_file_ends_the_turn_with_its_sentence_and_keeps_the_question(
        tmp_path: Path, store: HistoryStore, smol: Client, problem: str) -> None:
    good = tmp_path / "good.txt"
    good.write_text(ANSWER + "\n")
    bad = tmp_path / ("bad.pdf" if problem == "corrupt" else "bad.txt")
    if problem == "corrupt":
        bad.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Cat")
    elif problem == "too large":
        with bad.open("wb") as sparse:  # 65 MiB on paper, nothing on disk
            sparse.truncate(65 << 20)
    else:
        bad.write_text("here when attached\n")
    session, spy = ChatSession(DirectHistory(store)), Spy(smol)
    session.sources_op([str(good), str(bad)], None)
    if problem == "vanished":
        os.remove(bad)
    finished = ask(session, spy, QUESTION)

    expected = {"vanished": DocumentMissingError, "too large": DocumentTooLargeError,
                "corrupt": CorruptDocumentError}[problem]
    assert isinstance(finished.error, expected)
    assert str(bad) in str(finished.error)
    assert finished.reply.finish_reason == "error" and not spy.prompts  # nothing was sent
    reply = store.get_message(finished.reply.id)
    question = store.get_message(reply.parent_id)
    assert question.content == QUESTION and question.extra["documents"] == [str(good), str(bad)]
    assert good.read_text() == ANSWER + "\n"


def test_a_chat_with_a_collection_searches_it_with_its_attached_files(
        tmp_path: Path, store: HistoryStore, smol: Client) -> None:
    folder = tmp_path / "library"
    files = make_collection(folder)  # the answer is on page 2 of handbook.pdf
    collection = store.collections.create("Library", str(folder.resolve()), "smol-embed")
    index = DocumentIndex(store.documents, lambda texts: smol.embed(texts).vectors,
                          "smol-embed")
    assert sync(index, folder).changed
    note = tmp_path / "note.txt"
    note.write_text("Shopping list: bread, rolls and cakes.\n")  # would fit whole on its own
    conv = store.create_conversation(extra={"collection": collection.name})
    session, spy = ChatSession(DirectHistory(store)), Spy(smol)
    session.show(conv)
    session.sources_op([str(note)], session.collection)
    finished = ask(session, spy, QUESTION, embed_model="chat-model")
    assert finished.error is None
    extra = store.get_message(finished.reply.id).extra
    assert extra["mode"] == "retrieved"
    holders = [c for c in extra["citations"] if ANSWER in c["text"]]
    assert [(c["n"], c["file"], c["page"]) for c in holders] == [(1, str(files[1].resolve()), 2)]
    assert store.get_message(finished.reply.parent_id).extra == {
        "documents": [str(note)], "collection": "Library"}
    # the attached file was embedded with the collection's model, so they could be searched
    assert store.documents.get(str(note.resolve())).embed_model == "smol-embed"

    # A collection that is gone: the turn says so, the question is kept.
    store.collections.delete("Library")
    finished = ask(session, spy, "And the gate?")
    assert isinstance(finished.error, NotFoundError) and "Library" in str(finished.error)
    assert store.get_message(finished.reply.parent_id).content == "And the gate?"
    # One that holds nothing indexed yet: said too.
    empty = tmp_path / "empty"
    empty.mkdir()
    store.collections.create("Library", str(empty))
    finished = ask(session, spy, "And the gate?")
    assert isinstance(finished.error, DocumentError) and "no indexed documents" in \
        str(finished.error)


def test_the_embedding_model_is_the_setting_or_else_the_chat_model() -> None:
    assert embed_model(Settings(), "chat-model") == "chat-model"
    assert embed_model(Settings(extra={"documents_embed_model": "bge-small"}),
                       "chat-model") == "bge-small"
