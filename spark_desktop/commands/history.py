"""Sub-commands of the history area: list, show, search, export, import, rm, and the
encryption ones: status, encrypt, passphrase."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's sub-commands to the parser."""
    history = subparsers.add_parser("history", parents=[common],
                                    help="conversations saved on this device")
    commands = history.add_subparsers(dest="history_command", metavar="ACTION", required=True)

    listing = commands.add_parser("list", parents=[common], help="conversations, newest first")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    listing.set_defaults(handler=_list)

    show = commands.add_parser("show", parents=[common], help="print one conversation")
    show.add_argument("id", help="conversation id (its first characters are enough)")
    show.add_argument("--json", action="store_true", help="every branch and field, as JSON")
    show.set_defaults(handler=_show)

    search = commands.add_parser("search", parents=[common], help="full-text search")
    search.add_argument("query", nargs="+", help="words to find (all of them must occur)")
    search.add_argument("--limit", type=int, default=20)
    search.add_argument("--json", action="store_true", help="machine-readable output")
    search.set_defaults(handler=_search)

    export = commands.add_parser("export", parents=[common],
                                 help="write one or all conversations to a file")
    export.add_argument("id", nargs="?", help="conversation id; all when left out")
    export.add_argument("--format", choices=("json", "md"), default="json",
                        help="json re-imports losslessly; md is for reading")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: stdout)")
    export.set_defaults(handler=_export)

    imports = commands.add_parser("import", parents=[common],
                                  help="import our JSON export or ChatGPT's conversations.json")
    imports.add_argument("file", type=Path)
    imports.add_argument("--json", action="store_true", help="machine-readable output")
    imports.set_defaults(handler=_import)

    remove = commands.add_parser("rm", parents=[common], help="delete a conversation")
    remove.add_argument("id", help="conversation id (its first characters are enough)")
    remove.set_defaults(handler=_rm)

    status = commands.add_parser("status", parents=[common],
                                 help="where the history is and whether it is encrypted")
    status.set_defaults(handler=_status)

    encrypt = commands.add_parser(
        "encrypt", parents=[common],
        help="encrypt a plaintext history (key in the keyring, or from --passphrase-file)")
    encrypt.set_defaults(handler=_encrypt)

    passphrase = commands.add_parser(
        "passphrase", parents=[common],
        help="set or change the history's passphrase (the current key comes from the "
             "keyring or --passphrase-file)")
    new = passphrase.add_mutually_exclusive_group()
    new.add_argument("--new-passphrase-file", type=Path, metavar="FILE",
                     help="read the new passphrase from FILE instead of asking twice")
    new.add_argument("--use-keyring", action="store_true",
                     help="drop the passphrase: keep a random key in the keyring instead")
    passphrase.set_defaults(handler=_passphrase)


def _store() -> Any:
    from spark_desktop.history import HistoryStore

    return HistoryStore.open()


def _print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _plain(snippet: str) -> str:
    from spark_desktop.history.search import MARK_END, MARK_START

    flat = " ".join(snippet.replace("\x00", " ").split())
    return flat.replace(MARK_START, "[").replace(MARK_END, "]")


def _list(args: argparse.Namespace) -> int:
    from spark_desktop.history.exchange import conversation_to_dict

    with _store() as store:
        convs = store.list_conversations(limit=args.limit, offset=args.offset)
        if args.json:
            rows = [conversation_to_dict(conv, ()) for conv in convs]
            for row in rows:
                del row["messages"]
            _print_json(rows)
            return 0
        if not convs:
            print("No conversations yet.")
        for conv in convs:
            pin = "*" if conv.pinned else " "
            when = conv.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
            print(f"{conv.id[:8]} {pin} {when}  {_plain(conv.title) or '(untitled)'}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from spark_desktop.history.exchange import conversation_to_dict, export_markdown

    with _store() as store:
        conversation_id = store.resolve_id(args.id)
        if args.json:
            conv = store.get_conversation(conversation_id)
            _print_json(conversation_to_dict(conv, store.all_messages(conversation_id)))
        else:
            sys.stdout.write(export_markdown(store, [conversation_id]))
    return 0


def _search(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    with _store() as store:
        hits = store.search(" ".join(args.query), limit=args.limit)
    if args.json:
        _print_json([asdict(hit) | {"snippet": _plain(hit.snippet)} for hit in hits])
        return 0
    if not hits:
        print("Nothing found.")
    for hit in hits:
        where = "title" if hit.message_id is None else "message"
        print(f"{hit.conversation_id[:8]}  {_plain(hit.title) or '(untitled)'}  [{where}]")
        print(f"          {_plain(hit.snippet)}")
    return 0


def _write_private(path: Path, text: str) -> None:
    """Exports hold private conversations: written 0600, atomically."""
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    partial.replace(path)


def _export(args: argparse.Namespace) -> int:
    from spark_desktop.history.exchange import export_json, export_markdown

    with _store() as store:
        ids = [store.resolve_id(args.id)] if args.id else None
        text = (export_json if args.format == "json" else export_markdown)(store, ids)
    if args.output is None:
        sys.stdout.write(text)
    else:
        _write_private(args.output, text)
        print(f"Wrote {args.output}", file=sys.stderr)
    return 0


def _import(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from spark_desktop.history.exchange import import_file

    with _store() as store:
        result = import_file(store, args.file)
    if args.json:
        _print_json(asdict(result))
    else:
        print(f"Imported {result.imported} conversations ({result.messages} messages); "
              f"skipped {result.skipped} already in the history.")
    return 0


def _rm(args: argparse.Namespace) -> int:
    with _store() as store:
        conversation_id = store.resolve_id(args.id)
        title = store.get_conversation(conversation_id).title
        store.delete_conversation(conversation_id)
    print(f"Deleted {conversation_id[:8]} {_plain(title)}")
    return 0


def _status(_args: argparse.Namespace) -> int:
    from spark_desktop import paths
    from spark_desktop.history.encryption import encryption_status

    path = paths.database_path()
    state = encryption_status(path)
    if not state.exists:
        print(f"{path}: no history yet; it will be encrypted when created.")
    elif not state.encrypted:
        print(f"{path}: NOT encrypted. Run `spark-desktop history encrypt` to encrypt it.")
    else:
        where = "a passphrase" if state.kind == "passphrase" else "a key in the keyring"
        print(f"{path}: encrypted (SQLCipher), unlocked by {where}.")
    return 0


def _encrypt(_args: argparse.Namespace) -> int:
    from spark_desktop import paths
    from spark_desktop.history.encryption import encrypt_history
    from spark_desktop.history.keys import app_key_source

    path = paths.database_path()
    messages = encrypt_history(path, app_key_source())
    print(f"Encrypted {path}; all {messages} messages verified in the encrypted copy.")
    return 0


def _new_passphrase(args: argparse.Namespace) -> str:
    import getpass

    from spark_desktop.history.keys import read_passphrase_file

    if args.new_passphrase_file is not None:
        return read_passphrase_file(args.new_passphrase_file)
    first = getpass.getpass("New passphrase: ")
    if not first or first != getpass.getpass("Repeat it: "):
        from spark_desktop.history.errors import HistoryError

        raise HistoryError("The two passphrases were empty or differed; nothing was changed.")
    return first


def _passphrase(args: argparse.Namespace) -> int:
    from spark_desktop import paths
    from spark_desktop.history.encryption import change_key
    from spark_desktop.history.keys import KeySource, app_key_source

    new = KeySource() if args.use_keyring else KeySource(passphrase=_new_passphrase(args),
                                                          use_keyring=False)
    change_key(paths.database_path(), app_key_source(), new)
    print("The history now opens with " + ("its key in the keyring." if args.use_keyring
                                           else "the new passphrase."))
    return 0
