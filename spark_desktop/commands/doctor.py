"""`spark-desktop doctor [--json]`: is this machine set up right, and what to do if not."""

from __future__ import annotations

import argparse
import json


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's sub-commands to the parser."""
    parser = subparsers.add_parser(
        "doctor", parents=[common],
        help="check Python, Qt, the llama.cpp build, GPU, memory, folders and the Hub",
        description="Check this machine; exits 1 when something is a PROBLEM.")
    parser.add_argument("--json", action="store_true",
                        help='print {"checks": [{name, status, detail, advice}], "ok": bool}')
    parser.set_defaults(handler=_doctor)


def _doctor(args: argparse.Namespace) -> int:
    from spark_desktop.doctor import all_ok, run_checks

    checks = run_checks()
    ok = all_ok(checks)
    if args.json:
        print(json.dumps({"checks": [c.as_dict() for c in checks], "ok": ok}, indent=2))
        return 0 if ok else 1
    width = max(len(c.name) for c in checks)
    for check in checks:
        print(f"{check.status.value:<8} {check.name:<{width}}  {check.detail}")
        if check.advice:
            print(f"{'':<8} {'':<{width}}  → {check.advice}")
    print("\nAll good." if ok else "\nSomething needs fixing: see PROBLEM above.")
    return 0 if ok else 1
