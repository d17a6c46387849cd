"""Command line: no sub-command starts the GUI; sub-commands are the CLI.

Each area keeps its sub-commands in `spark_desktop/commands/<area>.py`, a module
with `register(subparsers, common)`; heavy imports happen inside the handlers so
`spark-desktop --help` and the GUI start fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from spark_desktop import __version__, paths
from spark_desktop.errors import SparkError

COMMAND_MODULES = ("fit", "engine", "history", "hub", "doctor", "serve", "cluster", "compare",
                   "ask", "collection", "privacy")


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", default=argparse.SUPPRESS, metavar="DIR",
                        help="folder for settings, database and logs "
                             f"(env {paths.DATA_ENV})")
    common.add_argument("--models-dir", default=argparse.SUPPRESS, metavar="DIR",
                        help=f"folder for models (env {paths.MODELS_ENV})")
    common.add_argument("--passphrase-file", default=argparse.SUPPRESS, metavar="FILE",
                        help="unlock (or create) the encrypted history with the passphrase "
                             "in FILE instead of the keyring (env SPARK_DESKTOP_PASSPHRASE_FILE)")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="spark-desktop", parents=[common],
        description="Private, local AI workstation. Without a command, opens the window.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"spark_desktop.commands.{name}")
        module.register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    paths.configure(getattr(args, "data_dir", None), getattr(args, "models_dir", None))
    if getattr(args, "passphrase_file", None) is not None:
        from spark_desktop.history import keys

        keys.configure(args.passphrase_file)
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            from spark_desktop.ui.app import run_gui

            return run_gui()
        return int(handler(args) or 0)
    except SparkError as exc:
        print(f"spark-desktop: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
