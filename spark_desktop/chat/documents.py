"""Documents in a chat: a turn's question answered from the files attached to the chat.

`DocumentPrompt` is the turn's prompt hook (chat.turn.PromptHook): it reads the files,
then lets documents.question.prepare (which `spark-desktop ask` uses too) put them in
whole when they fit the model's context beside the conversation so far, else the
passages retrieved for the question from the index in the history database. Only the
current question gets the passages: earlier turns stay in the prompt as the plain text
that was shown (their passages are not repeated), which keeps follow-ups short and
simple. A chat may also name a collection (a folder kept indexed, see
documents.collections): its passages are searched together with the attached files', so
the question is always answered from retrieved passages then, all embedded with the
collection's model. The reply keeps the passages as its citations, so [n] opens the
passage later, even after the file changed. Progress is reported as values the GUI words
itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from spark_desktop.chat.turn import ChatClient
from spark_desktop.documents.chunking import Chunk, estimate_tokens
from spark_desktop.documents.collections import embedder_id
from spark_desktop.documents.errors import DocumentError
from spark_desktop.documents.extract import MAX_DOCUMENT_BYTES, Document, read_document
from spark_desktop.documents.index import DocumentIndex, EmbedFn, Hit, IndexResult
from spark_desktop.documents.question import Messages, prepare
from spark_desktop.errors import SparkError
from spark_desktop.history.documents import DocumentTables, IndexedDocument
from spark_desktop.history.runner import HistoryCalls, documents_through
from spark_desktop.settings import Settings

FALLBACK_N_CTX: Final = 4096  # a model held by another process, whose context is not known
Step = Literal["reading", "indexing", "searching", "whole", "retrieved"]
# (model, texts) to one unit vector per text: the host's embed (it loads the model if needed)
ModelEmbedFn = Callable[[str, Sequence[str]], Sequence[Sequence[float]]]


class PreparationStopped(SparkError):
    """The turn was stopped while its documents were being read or indexed."""

    def __init__(self) -> None:
        super().__init__("Stopped while the documents were being prepared; what was indexed "
                         "before is kept.")


@dataclass(frozen=True)
class DocumentProgress:
    """What preparing a question is doing: reading a file, indexing its passages (`done`
    of `total`), searching; then how the documents went in (`total` passages)."""

    step: Step
    name: str = ""
    done: int = 0
    total: int = 0


def embed_model(settings: Settings, chat_model: str) -> str:
    """The model that embeds passages: the app setting, else the chat model itself."""
    return embedder_id(settings.documents_embed_model or chat_model)


class DocumentPrompt:
    """A turn's prompt hook for a chat with documents (see the module's docstring)."""

    def __init__(self, history: HistoryCalls, paths: Sequence[str], *, embed: ModelEmbedFn,
                 embed_model: str, collection: str | None = None,
                 answer_tokens: int | None = None, n_ctx: int | None = None,
                 limit: int = MAX_DOCUMENT_BYTES, stop: threading.Event | None = None,
                 on_progress: Callable[[DocumentProgress], None] | None = None) -> None:
        """`embed_model`: the model `embed` is asked for (a collection's own model wins);
        `n_ctx`: the chat model's context when the client cannot say (a model of another
        process); `stop` (the turn's) is looked at before each file and each batch of
        passages embedded (PreparationStopped)."""
        self.history = history
        self.paths = tuple(paths)
        self.embed = embed
        self.embed_model = embed_model
        self.collection = collection
        self.answer_tokens = answer_tokens
        self.n_ctx = n_ctx
        self.limit = limit  # bytes of one file (a larger one is refused, not truncated)
        self.stop = stop or threading.Event()
        self.on_progress = on_progress or (lambda _progress: None)
        self.user_extra: dict[str, Any] = {"documents": list(self.paths)} if self.paths else {}
        if collection:
            self.user_extra["collection"] = collection

    def __call__(self, messages: list[dict[str, str]],
                 client: ChatClient) -> tuple[list[dict[str, str]], dict[str, Any]]:
        """The prompt with the documents for its last (user) message, and the reply's extra.
        Raises the documents' typed errors (a file missing, too large, damaged)."""
        *earlier, question = messages
        documents = self.read()
        loaded = client.loaded
        n_ctx = (loaded.info.n_ctx_seq or loaded.info.n_ctx) if loaded is not None \
            else (self.n_ctx or FALLBACK_N_CTX)
        counter = getattr(client, "count_tokens", None) or _estimate

        def count(prepared: Messages) -> int:
            return int(counter(with_history(earlier, prepared)))

        model, collection = self._collection()
        prepared = prepare(question["content"], documents, n_ctx=n_ctx, count_tokens=count,
                           index=lambda: self._index(model), answer_tokens=self.answer_tokens,
                           collection=collection)
        self.on_progress(DocumentProgress(prepared.mode, done=len(documents),
                                          total=len(prepared.passages)))
        extra = {"mode": prepared.mode, "citations": [p.to_dict() for p in prepared.passages]}
        if prepared.notes:
            extra["notes"] = list(prepared.notes)
        return with_history(earlier, prepared.messages), extra

    def read(self) -> list[Document]:
        """Every attached file's text, in order; the first that fails raises its error."""
        documents = []
        for path in self.paths:
            self._check_stop()
            self.on_progress(DocumentProgress("reading", Path(path).name))
            documents.append(read_document(path, self.limit))
        return documents

    def _collection(self) -> tuple[str, Callable[[DocumentIndex], list[IndexedDocument]] | None]:
        """The embedding model (the collection's own, if the chat has one), and what gives
        the collection's indexed documents to search (None without a collection). Raises
        NotFoundError for a collection that is gone, DocumentError for one not indexed."""
        name = self.collection
        if not name:
            return self.embed_model, None
        found = self.history.call(lambda store: store.collections.get(name))

        def indexed(_index: DocumentIndex) -> list[IndexedDocument]:
            held = self.history.call(lambda store: store.documents.under(found.folder))
            if not held:
                raise DocumentError(found.folder, (
                    f"The collection {name!r} has no indexed documents yet ({found.folder}); "
                    "add files to its folder, or wait until Settings → Documents shows it "
                    "indexed."))
            return held

        return embedder_id(found.embed_model or self.embed_model), indexed

    def _index(self, model: str) -> DocumentIndex:
        tables = documents_through(self.history)

        def embed(texts: Sequence[str]) -> Sequence[Sequence[float]]:
            self._check_stop()
            return self.embed(model, texts)

        return _ReportingIndex(tables, embed, model, self.on_progress)

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise PreparationStopped()


def with_history(earlier: Sequence[dict[str, str]], prepared: Messages) -> Messages:
    """The documents' prompt after the conversation so far: one system message (the
    instruction to cite, then the chat's own system prompt), the earlier turns as they
    were, then the question with its passages."""
    instruction, question = prepared
    system = [m["content"] for m in earlier if m["role"] == "system"]
    turns = [dict(m) for m in earlier if m["role"] != "system"]
    content = "\n\n".join([instruction["content"], *system])
    return [{"role": "system", "content": content}, *turns, dict(question)]


def _estimate(messages: Sequence[dict[str, str]]) -> int:
    """A safe-side count for a client that cannot count (a model in another process)."""
    return int(sum(estimate_tokens(m["content"]) + 8 for m in messages))


class _ReportingIndex(DocumentIndex):
    """The index, saying how far the embedding of a document's passages has come."""

    def __init__(self, tables: DocumentTables, embed: EmbedFn, embed_model: str,
                 on_progress: Callable[[DocumentProgress], None]) -> None:
        super().__init__(tables, self._embed, embed_model)
        self._inner = embed
        self._on_progress = on_progress
        self._adding: list[Any] = []  # [name, done, total] of the document being embedded

    def add(self, document: Document, chunks: Sequence[Chunk] | None = None) -> IndexResult:
        self._adding = [document.path.name, 0, len(chunks) if chunks is not None else 0]
        try:
            return super().add(document, chunks)
        finally:
            self._adding = []

    def search_indexed(self, question: str, indexed: Sequence[IndexedDocument],
                       limit: int) -> list[Hit]:
        self._on_progress(DocumentProgress("searching"))
        return super().search_indexed(question, indexed, limit)

    def _embed(self, texts: Sequence[str]) -> Sequence[Sequence[float]]:
        if self._adding:
            name, done, total = self._adding
            self._on_progress(DocumentProgress("indexing", name, done, total))
            self._adding[1] = done + len(texts)
        return self._inner(texts)
