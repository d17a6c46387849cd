"""`spark-desktop ask`: a question about files, answered with numbered citations.

Documents are read first (a missing, damaged or oversized file stops here, before any
model loads or anything is written). If they fit the context they go in whole; else they
are indexed in the encrypted history database (unchanged files are skipped) and the best
passages are retrieved by hybrid search. The answer streams; the passages follow.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spark_desktop.commands.collection import (
    client_index,
    embedder_of,
    embedder_path,
    load_embedder,
    sync_collection,
)
from spark_desktop.commands.options import add_gpu_layers, add_reply_options
from spark_desktop.inference_settings import LoadSettings, SamplingSettings

if TYPE_CHECKING:
    from spark_desktop.documents.index import DocumentIndex
    from spark_desktop.engine import Client
    from spark_desktop.history import HistoryStore
    from spark_desktop.history.collections import Collection
    from spark_desktop.history.documents import IndexedDocument


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `ask` to the parser."""
    ask = subparsers.add_parser(
        "ask", parents=[common],
        help="answer a question about files, citing the passages it used")
    ask.add_argument("model", metavar="MODEL", help="path of the chat model's GGUF file")
    ask.add_argument("--doc", action="append", default=[], metavar="FILE",
                     help="a document (text, Markdown, code, PDF, DOCX, HTML); repeat for more")
    ask.add_argument("--collection", metavar="NAME",
                     help="search this collection's documents too (synced first; see "
                          "`spark-desktop collection`)")
    ask.add_argument("--embed-model", metavar="M",
                     help="GGUF that embeds passages when the documents do not fit the "
                          "context (default: the collection's embedding model, else MODEL)")
    ask.add_argument("-p", "--prompt", required=True, help="the question")
    add_reply_options(ask)
    add_gpu_layers(ask)
    ask.add_argument("--json", action="store_true",
                     help="print one JSON object (answer, mode, citations) at the end")
    ask.set_defaults(handler=_ask)


def _ask(args: argparse.Namespace) -> int:
    from spark_desktop.commands.engine import _load, stream_turn
    from spark_desktop.documents.extract import read_document
    from spark_desktop.documents.question import prepare
    from spark_desktop.engine import Client, EngineError, ModelLoadError

    if not args.prompt.strip():
        raise EngineError("The question is empty: ask the documents something.")
    if not args.doc and not args.collection:
        raise EngineError("Nothing to ask about: give documents with --doc FILE, or a "
                          "collection with --collection NAME.")
    if args.embed_model and not Path(args.embed_model).expanduser().is_file():
        raise ModelLoadError(f"There is no embedding model file at {args.embed_model}.")
    documents = [read_document(path) for path in args.doc]
    collection = _collection(args.collection) if args.collection else None
    load = LoadSettings(n_ctx=args.ctx, n_gpu_layers=args.gpu_layers, seed=args.seed)
    sampling = SamplingSettings(temperature=args.temperature, max_tokens=args.max_tokens,
                                seed=args.seed)
    status = None if args.json else sys.stderr
    with ExitStack() as stack:
        client = stack.enter_context(Client())
        loaded = _load(client, args, load, quiet=args.json)

        opened: list[tuple[HistoryStore, DocumentIndex]] = []

        def index() -> DocumentIndex:
            opened.append(stack.enter_context(_opened_index(args, collection, client, load)))
            return opened[0][1]

        def collection_documents(index: DocumentIndex) -> list[IndexedDocument]:
            assert collection is not None
            store = opened[0][0]
            report = sync_collection(store, collection, index)
            for path, message in report.failed:
                _say(status, f"note: could not read {path}: {message}")
            if report.changed:
                _say(status, f"[{collection.name}: {report.summary()}]")
            found = store.documents.under(collection.folder)
            if not found:
                raise EngineError(f"The collection {collection.name!r} holds no readable "
                                  f"documents ({collection.folder}).")
            return found

        prepared = prepare(args.prompt, documents, n_ctx=loaded.info.n_ctx,
                           count_tokens=client.count_tokens, index=index,
                           answer_tokens=args.max_tokens,
                           on_index=lambda line: _say(status, line),
                           collection=collection_documents if collection else None)
        for note in prepared.notes:
            _say(status, f"note: {note}")
        _say(status, f"[{prepared.mode}: {len(prepared.passages)} passages]")
        text, _reasoning, done = stream_turn(client, prepared.messages, sampling,
                                             None if args.json else sys.stdout)
    if args.json:
        print(json.dumps(_result(text, prepared, done), indent=2, ensure_ascii=False))
    else:
        print()
        _print_sources(text, prepared.passages)
    return 0 if done.finish_reason != "error" else 1


def _collection(name: str) -> Collection:
    """The collection asked about, looked up before any model loads."""
    from spark_desktop.history import HistoryStore

    with HistoryStore.open() as store:
        return store.collections.get(name)


@contextmanager
def _opened_index(args: argparse.Namespace, collection: Collection | None, chat: Client,
                  load: LoadSettings) -> Iterator[tuple[HistoryStore, DocumentIndex]]:
    """The person's history database as the index, with the embedder: the chat model
    itself, or a second worker for --embed-model (else the collection's model)."""
    from spark_desktop.engine import Client
    from spark_desktop.history import HistoryStore

    with ExitStack() as stack:
        embedder = chat
        model = Path(args.model).resolve()
        wanted = args.embed_model or (embedder_of(collection) if collection else "")
        if wanted and embedder_path(wanted) != model:
            embedder = stack.enter_context(Client())
            model = embedder_path(wanted)
            load_embedder(embedder, model, load.n_gpu_layers)
        store = stack.enter_context(HistoryStore.open())
        yield store, client_index(store, embedder, model)


def _say(stream: Any, line: str) -> None:
    if stream is not None:
        print(line, file=stream, flush=True)


def _print_sources(answer: str, passages: Sequence[Any]) -> None:
    from spark_desktop.documents.question import cited_numbers

    cited = cited_numbers(answer)
    shown = [p for p in passages if p.n in cited] or list(passages)
    print("\nSources:" if cited else "\nPassages given to the model:")
    for passage in shown:
        print(f"  [{passage.n}] {passage.path}, {passage.location.describe()}")


def _result(text: str, prepared: Any, done: Any) -> dict[str, Any]:
    return {"text": text, "mode": prepared.mode,
            "citations": [p.citation(text) for p in prepared.passages],
            "prompt_tokens": done.prompt_tokens, "completion_tokens": done.completion_tokens,
            "finish_reason": done.finish_reason,
            "retrieval_ms": round(prepared.retrieval_ms, 2),
            "ttft_ms": round(done.ttft_ms, 2), "notes": list(prepared.notes)}
