"""Sub-commands of the hub area: search, files, pull, ls, rm."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

SORT_CHOICES = ("downloads", "likes", "trending", "updated")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's sub-commands to the parser."""
    p = subparsers.add_parser("search", parents=[common], help="search GGUF models on the Hub")
    p.add_argument("query", nargs="?", default="")
    p.add_argument("--sort", choices=SORT_CHOICES, default="downloads")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--page", type=int, default=0)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_search)

    p = subparsers.add_parser("files", parents=[common],
                              help="a repository's GGUF variants with size and fit")
    p.add_argument("repo")
    p.add_argument("--ctx", type=int, default=None, help="context length for the fit")
    p.add_argument("--target", default=None, help="spark, spark2, this or a size in GiB")
    p.add_argument("--no-fit", action="store_true", help="skip reading remote headers")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_files)

    p = subparsers.add_parser("pull", parents=[common], help="download a model (resumable)")
    p.add_argument("model", metavar="REPO[:QUANT|:FILE]")
    p.add_argument("--mmproj", action="store_true", help="also fetch the vision projector")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_pull)

    p = subparsers.add_parser("ls", parents=[common], help="models on this machine")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_ls)

    p = subparsers.add_parser("rm", parents=[common], help="remove a model and free the disk")
    p.add_argument("model", help="name, repo, repo:QUANT or path as `ls` shows it")
    p.set_defaults(handler=_rm)


def _size(n: int) -> str:
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


def _params(n: int | None) -> str:
    return "" if not n else f"{n / 1e9:.1f}B" if n >= 1e9 else f"{n / 1e6:.0f}M"


def _search(args: argparse.Namespace) -> int:
    from spark_desktop.hub import search

    results = search(args.query, sort=args.sort, limit=args.limit, page=args.page)
    if args.json:
        print(json.dumps([_jsonable(r) for r in results], indent=1))
        return 0
    for r in results:
        flags = " [gated]" if r.gated else ""
        print(f"{r.repo:<60} {_params(r.parameters):>7} {r.architecture or '':<12} "
              f"↓{r.downloads:<9} ♥{r.likes:<6}{flags}")
    return 0


def _files(args: argparse.Namespace) -> int:
    from spark_desktop.hub import list_variants
    from spark_desktop.hub.variants import VariantFit, fit_all, fit_function
    from spark_desktop.settings import load

    repo_files = list_variants(args.repo)
    if args.no_fit:
        rows = tuple(VariantFit(v, None, None) for v in repo_files.variants)
    else:
        rows = fit_all(repo_files.variants, fit_function(args.target or load().target, args.ctx))
    if args.json:
        print(json.dumps({"repo": repo_files.repo, "revision": repo_files.revision,
                          "gated": repo_files.gated,
                          "variants": [dict(_jsonable(r.variant), problem=r.problem,
                                            fit=r.estimate.to_dict() if r.estimate else None)
                                       for r in rows],
                          "projectors": [_jsonable(p) for p in repo_files.projectors]}, indent=1))
        return 0
    for r in rows:
        v = r.variant
        parts = f" ({len(v.files)} parts)" if len(v.files) > 1 else ""
        note = _verdict(r.estimate) or (f"fit unknown ({r.problem})" if r.problem else "")
        print(f"{v.quant:<14} {_size(v.size):>10}  {v.name}{parts}  {note}")
    for p in repo_files.projectors:
        print(f"{'mmproj':<14} {_size(p.size):>10}  {p.path}  (vision projector)")
    return 0


def _verdict(estimate: Any) -> str:
    if estimate is None:
        return ""
    words = {"fits": "fits", "fits_reduced": f"fits at {estimate.max_context} ctx",
             "does_not_fit": "does not fit"}
    return (f"{words[estimate.verdict.value]} on {estimate.target} "
            f"(~{estimate.decode_tps:.0f} tok/s)")


def _pull(args: argparse.Namespace) -> int:
    from spark_desktop.hub import Downloads, State, choose, list_variants
    from spark_desktop.hub.errors import DownloadError

    repo, _, selector = args.model.partition(":")
    variant = choose(list_variants(repo), selector or None)
    downloads = Downloads(parallel=1, resume_saved=False)
    show = sys.stderr.isatty() or not args.json

    def report(p: Any) -> None:
        if show and p.state == State.RUNNING:
            pct = 100 * p.bytes / p.total if p.total else 100
            eta = f" ETA {p.eta:.0f}s" if p.eta is not None else ""
            print(f"\r{variant.name}: {pct:5.1f}% {_size(p.bytes)} of {_size(p.total)} "
                  f"{p.speed / 1e6:.1f} MB/s{eta}   ", end="", file=sys.stderr, flush=True)

    downloads.subscribe(report)
    job = downloads.add_variant(variant, with_companions=args.mmproj)
    try:
        result = downloads.wait(job)
    except KeyboardInterrupt:
        downloads.close()
        print("\npaused; run the same command again to resume", file=sys.stderr)
        raise
    if show:
        print(file=sys.stderr)
    if result.state != State.DONE:
        raise DownloadError(result.error or f"The download ended as {result.state.value}.")
    files = variant.files + (variant.companions if args.mmproj else ())
    if args.json:
        print(json.dumps({"repo": variant.repo, "revision": variant.revision,
                          "quant": variant.quant, "files": [f.path for f in files],
                          "bytes": result.total, "sha256_verified": result.sha256_verified,
                          "path": result.path}))
    else:
        print(result.path)
    return 0


def _ls(args: argparse.Namespace) -> int:
    from spark_desktop.library import scan

    models = scan()
    if args.json:
        print(json.dumps([_jsonable(m) for m in models], indent=1))
        return 0
    for m in models:
        print(f"{m.name:<50} {m.quant:<10} {_size(m.size):>10} {m.architecture or '?':<12} "
              f"{_params(m.parameters):>7} ctx {m.context_length or '?'}  {m.path}")
    return 0


def _rm(args: argparse.Namespace) -> int:
    from spark_desktop.library import find, remove

    model = find(args.model)
    freed = remove(model)
    print(f"removed {model.name}, freed {_size(freed)}")
    return 0


def _jsonable(value: Any) -> Any:
    """Frozen dataclasses (and what they hold) as plain JSON values."""
    import dataclasses
    from datetime import datetime
    from enum import Enum
    from pathlib import Path

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.repr}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    return value
