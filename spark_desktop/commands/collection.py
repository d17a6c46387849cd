"""`spark-desktop collection`: named folders of documents, indexed in the history database.

`add` names a folder (and indexes it when an embedding model is known), `sync` brings the
index up to date with the folder (new, changed and vanished files), `list` shows each with
its passages, `remove` forgets it. The app's window keeps them indexed as files change;
from the command line a collection is synced when asked, and before `ask --collection`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from spark_desktop.commands.options import add_gpu_layers

if TYPE_CHECKING:
    from spark_desktop.documents.collections import SyncReport
    from spark_desktop.documents.index import DocumentIndex
    from spark_desktop.engine import Client
    from spark_desktop.history import HistoryStore
    from spark_desktop.history.collections import Collection


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `collection` and its sub-commands to the parser."""
    collection = subparsers.add_parser(
        "collection", parents=[common], help="named folders of documents kept indexed")
    actions = collection.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", parents=[common],
                             help="name a folder of documents and index it")
    add.add_argument("name", metavar="NAME")
    add.add_argument("folder", metavar="FOLDER")
    _embed_option(add, "GGUF file or library model that embeds the passages (default: the "
                       "chat model of each question; without one, nothing is indexed yet)")
    add.set_defaults(handler=_add)
    listing = actions.add_parser("list", parents=[common], help="the collections")
    listing.set_defaults(handler=_list)
    update = actions.add_parser("sync", parents=[common],
                                help="index new and changed files, forget vanished ones")
    update.add_argument("name", metavar="NAME")
    _embed_option(update, "embed with this GGUF file or library model from now on "
                          "(default: the collection's)")
    update.set_defaults(handler=_sync)
    remove = actions.add_parser("remove", parents=[common],
                                help="forget a collection and its passages (files stay)")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=_remove)


def _embed_option(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--embed-model", metavar="M", default="", help=text)
    add_gpu_layers(parser)


def _add(args: argparse.Namespace) -> int:
    from spark_desktop.documents.collections import FolderMissingError
    from spark_desktop.history import HistoryStore

    folder = Path(args.folder).expanduser().resolve()
    if not folder.is_dir():
        raise FolderMissingError(folder)
    model = str(embedder_path(args.embed_model)) if args.embed_model else ""
    with HistoryStore.open() as store:
        collection = store.collections.create(args.name, str(folder), model)
        print(f"collection {collection.name}: {collection.folder}")
        if model:
            _sync_and_report(store, collection, model, args.gpu_layers)
    return 0


def _list(args: argparse.Namespace) -> int:
    from spark_desktop.history import HistoryStore

    with HistoryStore.open() as store:
        collections = store.collections.list()
        if not collections:
            print("No collections yet: spark-desktop collection add NAME FOLDER")
        for c in collections:
            documents = store.documents.under(c.folder)
            synced = c.synced_at.strftime("%Y-%m-%d %H:%M") if c.synced_at else "never"
            model = embedder_of(c)
            print(f"{c.name}\t{c.folder}\t{len(documents)} files, "
                  f"{sum(d.chunk_count for d in documents)} passages\tsynced {synced}\t"
                  f"{Path(model).name if model else '(chat model)'}")
    return 0


def _sync(args: argparse.Namespace) -> int:
    from spark_desktop.engine import ModelLoadError
    from spark_desktop.history import HistoryStore

    with HistoryStore.open() as store:
        collection = store.collections.get(args.name)
        if args.embed_model:
            collection = store.collections.set_embed_model(
                collection.name, str(embedder_path(args.embed_model)))
        model = embedder_of(collection)
        if not model:
            raise ModelLoadError(f"The collection {collection.name!r} has no embedding model "
                                 "yet; give one with --embed-model FILE (or choose one in "
                                 "Settings → Documents).")
        report = _sync_and_report(store, collection, str(embedder_path(model)),
                                  args.gpu_layers)
    return 0 if not report.failed else 1


def _remove(args: argparse.Namespace) -> int:
    from spark_desktop.history import HistoryStore

    with HistoryStore.open() as store:
        forgotten = store.collections.delete(args.name)
    print(f"removed collection {args.name} ({forgotten} files' passages forgotten; "
          "the files themselves are untouched)")
    return 0


def _sync_and_report(store: HistoryStore, collection: Collection, model: str,
                     gpu_layers: int) -> SyncReport:
    from spark_desktop.engine import Client

    with Client() as client:
        load_embedder(client, Path(model), gpu_layers)
        report = sync_collection(store, collection, client_index(store, client, Path(model)))
    for path, message in report.failed:
        print(f"could not read {path}: {message}", file=sys.stderr)
    print(f"{collection.name}: {report.summary()}")
    return report


def sync_collection(store: HistoryStore, collection: Collection,
                    index: DocumentIndex) -> SyncReport:
    """Sync the collection's folder into `index` and record when (shared with `ask`)."""
    from spark_desktop.documents.collections import sync

    def progress(done: int, total: int, _path: str) -> None:
        if sys.stderr.isatty():
            print(f"\rindexing {done}/{total}", end="", file=sys.stderr, flush=True)

    report = sync(index, Path(collection.folder), on_progress=progress)
    if sys.stderr.isatty():
        print("\r" + " " * 24 + "\r", end="", file=sys.stderr, flush=True)
    store.collections.mark_synced(collection.name)
    return report


def embedder_of(collection: Collection) -> str:
    """The collection's embedding model, else the app's (Settings → Documents); "" when
    neither names one (the chat model embeds then)."""
    from spark_desktop import settings

    return collection.embed_model or settings.load().documents_embed_model


def embedder_path(spec: str) -> Path:
    """The GGUF file `spec` names: a path, or a model of the library by its id (as the
    window's settings store it)."""
    from spark_desktop.engine import ModelLoadError
    from spark_desktop.host import catalog
    from spark_desktop.library import scan

    path = Path(spec).expanduser()
    if path.is_file():
        return path.resolve()
    found = catalog.resolve(spec, catalog.index(scan()))
    if found is None:
        raise ModelLoadError(f"There is no embedding model file or library model {spec!r}; "
                             "give the path of a GGUF file.")
    return found.path


def load_embedder(client: Client, path: Path, gpu_layers: int) -> None:
    from spark_desktop.commands.engine import _load
    from spark_desktop.inference_settings import LoadSettings

    _load(client, argparse.Namespace(model=str(path)), LoadSettings(n_gpu_layers=gpu_layers),
          quiet=True)


def client_index(store: HistoryStore, client: Client, path: Path) -> DocumentIndex:
    from spark_desktop.documents.collections import embedder_id
    from spark_desktop.documents.index import DocumentIndex

    return DocumentIndex(store.documents, lambda texts: client.embed(texts).vectors,
                         embedder_id(str(path)))

