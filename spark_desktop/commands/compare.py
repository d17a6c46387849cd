"""`spark-desktop compare`: several models answer the same prompt through the model host
(together when they fit, else in turn), each answer printed with its figures; with
`--spec`, the spec sheet of the candidates without running anything (compare_spec)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from spark_desktop.commands.options import add_reply_options
from spark_desktop.errors import SparkError
from spark_desktop.inference_settings import LoadSettings, SamplingSettings

if TYPE_CHECKING:
    from spark_desktop.compare import CompareEvent, Comparison, TurnOutcome
    from spark_desktop.library import LocalModel


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add the `compare` sub-command to the parser."""
    p = subparsers.add_parser(
        "compare", parents=[common],
        help="run 2-4 models on the same prompt side by side (or --spec: compare before "
             "downloading)")
    p.add_argument("models", nargs="+", metavar="MODEL",
                   help="a model id or path (with --spec also REPO:QUANT on the Hub)")
    p.add_argument("-p", "--prompt", help="the user message every model answers")
    p.add_argument("--system", metavar="S", help="system prompt")
    add_reply_options(p)
    p.add_argument("--threads", type=int, default=None, metavar="N",
                   help="CPU threads per model (default: llama.cpp's choice)")
    p.add_argument("--pool", type=float, default=None, metavar="GiB",
                   help="memory the models may fill together (default: what this machine "
                        "offers)")
    p.add_argument("--rpc", metavar="HOST:PORT[,HOST:PORT...]",
                   help="load the models split over these llama.cpp RPC peers "
                        "(spark-desktop rpc-server) and this machine")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object at the end instead of each answer")
    p.add_argument("--save", action="store_true", help="save the comparison to the history")
    p.add_argument("--spec", action="store_true",
                   help="the spec sheet (size, fit, predicted speed) without running anything")
    p.add_argument("--target", metavar="T", help="with --spec: the machine to fit "
                   "(default: this one)")
    p.set_defaults(handler=_compare)


def _compare(args: argparse.Namespace) -> int:
    if args.spec:
        from spark_desktop.commands.compare_spec import run_spec

        return run_spec(args)
    from spark_desktop import library
    from spark_desktop.compare import Comparison
    from spark_desktop.host import HostSettings, ModelHost

    if not args.prompt:
        raise SparkError("Give the prompt the models answer with -p PROMPT.")
    peers, pool = (), None
    if args.rpc:  # probed now: an unreachable peer is an error before anything loads
        from spark_desktop.engine.peers import parse_peer_list, with_peers
        from spark_desktop.hardware import resolve_target

        peers = parse_peer_list(args.rpc)
        pool = with_peers(resolve_target("this"), peers).total_bytes
    if args.pool is not None:
        if args.pool <= 0:
            raise SparkError(f"--pool {args.pool}: give the memory in GiB, more than 0.")
        pool = int(args.pool * 1024 ** 3)
    extra = tuple(_file_model(Path(m)) for m in args.models if _is_path(m))
    models = [_file_model(Path(m)).name if _is_path(m) else m for m in args.models]
    load = LoadSettings(n_ctx=args.ctx, seed=args.seed, rpc_peers=peers,
                        threads=args.threads)
    sampling = SamplingSettings(temperature=args.temperature, max_tokens=args.max_tokens,
                                seed=args.seed)
    settings = HostSettings(pool_bytes=pool, idle_unload_s=None, load_options=load)
    with ModelHost(settings, scan=lambda: extra + library.scan()) as host:
        comparison = Comparison(host, models, system_prompt=args.system, sampling=sampling)
        if args.save:
            outcome, saved = _saved_turn(comparison, args.prompt, args.json)
        else:
            outcome, saved = comparison.run_turn(args.prompt, _progress(args.json)), None
    if args.json:
        print(json.dumps({"concurrent": outcome.concurrent,
                          "results": [r.to_json() for r in outcome.results]}, indent=2,
                         ensure_ascii=False))
    else:
        _print(outcome)
    if saved is not None:
        print(f"[saved as comparison {saved}]", file=sys.stderr)
    return 1 if all(r.finish_reason == "error" for r in outcome.results) else 0


def _saved_turn(comparison: Comparison, prompt: str, quiet: bool) -> tuple[TurnOutcome, str]:
    from spark_desktop.compare import ComparisonRecorder, run_saved_turn
    from spark_desktop.history import HistoryStore
    from spark_desktop.history.runner import DirectHistory

    with HistoryStore.open() as store:
        recorder = ComparisonRecorder(DirectHistory(store), comparison)
        _turn, outcome = run_saved_turn(recorder, prompt, _progress(quiet))
        assert recorder.id is not None
        return outcome, recorder.id


def _progress(quiet: bool) -> Callable[[CompareEvent], None]:
    from spark_desktop.compare import ColumnFinished, ColumnStarted, Planned

    def show(event: CompareEvent) -> None:
        if quiet:
            return
        if isinstance(event, Planned):
            print(event.plan.sentence(), file=sys.stderr)
        elif isinstance(event, ColumnStarted):
            print(f"[{event.model} answering]", file=sys.stderr)
        elif isinstance(event, ColumnFinished):
            print(f"[{event.result.model} done]", file=sys.stderr)

    return show


def _print(outcome: TurnOutcome) -> None:
    for r in outcome.results:
        figures = (f"{r.finish_reason}, {r.completion_tokens} tokens, first token "
                   f"{r.ttft_ms:.0f} ms, {r.decode_tps:.1f} tok/s, "
                   f"{r.memory / 1024 ** 3:.2f} GiB")
        print(f"== {r.model} ({figures}) ==")
        print(r.text if r.error is None else f"[failed: {r.error}]")
        print()


def _is_path(name: str) -> bool:
    return name.lower().endswith(".gguf") or "/" in name and Path(name).expanduser().is_file()


def _file_model(path: Path) -> LocalModel:
    """A GGUF named by its path, as the library would list it."""
    from spark_desktop.engine import ModelLoadError
    from spark_desktop.gguf.splits import split_base_name
    from spark_desktop.library import LocalModel
    from spark_desktop.library.scan import quant_from_name

    path = path.expanduser().resolve()
    if not path.is_file():
        raise ModelLoadError(f"There is no model file at {path}.")
    name = split_base_name(path.name)
    return LocalModel(name=name, repo=None, quant=quant_from_name(name),
                      size=path.stat().st_size, path=path, parts=(path,), architecture=None,
                      parameters=None, context_length=None, has_chat_template=False,
                      license=None, source="extra")
