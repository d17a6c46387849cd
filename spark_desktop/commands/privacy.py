"""`spark-desktop delete-all [--models] [--yes]`: "Delete all my data" without the window,
for a headless machine or a user who cannot open the app any more."""

from __future__ import annotations

import argparse
import sys

CONFIRM_WORD = "delete"


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's sub-commands to the parser."""
    parser = subparsers.add_parser(
        "delete-all", parents=[common],
        help="delete every conversation, the history's key, logs, caches and settings",
        description="Delete all of Spark Desktop's data on this device (the history with "
                    "its WAL, key file and keyring entry, logs, caches, settings). Models "
                    "are kept unless --models is given. Refused while a model host or "
                    "server runs.")
    parser.add_argument("--models", action="store_true",
                        help="also delete the downloaded and imported GGUF models")
    parser.add_argument("--yes", action="store_true",
                        help=f"do not ask to type '{CONFIRM_WORD}' first")
    parser.set_defaults(handler=_delete_all)


def _delete_all(args: argparse.Namespace) -> int:
    from spark_desktop import paths
    from spark_desktop.host import discovery
    from spark_desktop.host.errors import HostError
    from spark_desktop.privacy import delete_all_data

    if discovery.host_locked():
        raise HostError("A Spark Desktop model host or server is running on this machine "
                        "and uses this data; stop it (close the app's server or the "
                        "`serve` process) and try again. Nothing was deleted.")
    what = "history, logs, caches, settings" + (" AND the downloaded models"
                                                if args.models else " (models are kept)")
    if not args.yes:
        print(f"This deletes all Spark Desktop data in {paths.data_dir()}: {what}. "
              "It cannot be undone.")
        try:
            answer = input(f"Type '{CONFIRM_WORD}' to go on: ")
        except EOFError:
            answer = ""
        if answer.strip().lower() != CONFIRM_WORD:
            print("Nothing was deleted.", file=sys.stderr)
            return 1
    removed = delete_all_data(include_models=args.models)
    for path in removed:
        print(f"deleted {path}")
    print(f"Deleted {len(removed)} item(s)." if removed else "There was nothing to delete.")
    return 0
