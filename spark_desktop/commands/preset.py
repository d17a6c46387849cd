"""`spark-desktop preset list|show|export|import|delete`: the chat presets from a terminal."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add `preset` and its actions to the parser."""
    preset = subparsers.add_parser("preset", parents=[common],
                                   help="list, show, import, export or delete chat presets")
    actions = preset.add_subparsers(dest="preset_action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[common], help="the presets, built-ins first")
    listing.add_argument("--json", action="store_true", help="print them as JSON")
    listing.set_defaults(handler=_list)
    show = actions.add_parser("show", parents=[common], help="one preset as JSON")
    show.add_argument("name", metavar="NAME")
    show.set_defaults(handler=_show)
    export = actions.add_parser("export", parents=[common],
                                help="write presets to a file others can import")
    export.add_argument("name", metavar="NAME", nargs="+")
    export.add_argument("file", metavar="FILE")
    export.set_defaults(handler=_export)
    imp = actions.add_parser("import", parents=[common],
                             help="add the presets of a file (ours, or LM Studio's)")
    imp.add_argument("file", metavar="FILE")
    imp.set_defaults(handler=_import)
    delete = actions.add_parser("delete", parents=[common], help="remove one of your presets")
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(handler=_delete)


def _list(args: argparse.Namespace) -> int:
    from spark_desktop.presets import PresetStore

    presets = PresetStore().all()
    if args.json:
        print(json.dumps([{**p.to_dict(), "builtin": p.builtin} for p in presets], indent=2,
                         ensure_ascii=False))
        return 0
    width = max(len(p.name) for p in presets)
    for p in presets:
        kind = "built-in" if p.builtin else "yours   "
        print(f"{p.name:<{width}}  {kind}  {p.description}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from spark_desktop.presets import PresetStore

    print(json.dumps(PresetStore().get(args.name).to_dict(), indent=2, ensure_ascii=False))
    return 0


def _export(args: argparse.Namespace) -> int:
    from spark_desktop.presets import PresetStore

    presets = PresetStore().export(args.name, Path(args.file))
    print(f"Exported {', '.join(p.name for p in presets)} to {args.file}.")
    return 0


def _import(args: argparse.Namespace) -> int:
    import sys

    from spark_desktop.presets import PresetStore

    result = PresetStore().import_file(Path(args.file))
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    names = ", ".join(p.name for p in result.presets)
    print(f"Imported {names}." if result.presets else "Nothing new to import.")
    return 0


def _delete(args: argparse.Namespace) -> int:
    from spark_desktop.presets import PresetStore

    PresetStore().delete(args.name)
    print(f"Deleted preset {args.name!r}.")
    return 0
