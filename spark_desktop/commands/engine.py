"""Sub-commands of the engine area: `generate` (one turn) and `chat` (interactive).

Both run the model in the supervised worker. A conversation that is kept (`chat`, and
`generate --save`) is a chat.ChatSession over the history store, the same turn
lifecycle as the GUI's; `chat --no-save` keeps it in a throwaway store instead.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from spark_desktop.commands.options import (
    add_gpu_layers,
    add_preset_option,
    add_reply_options,
    apply_preset,
)
from spark_desktop.inference_settings import LoadSettings, SamplingSettings

if TYPE_CHECKING:
    from spark_desktop.chat import ChatSession, TurnRequest
    from spark_desktop.engine import ChatDone, Client, LoadedModel
    from spark_desktop.history.runner import HistoryCalls


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's sub-commands to the parser."""
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("model", metavar="MODEL", help="path of a GGUF file (first part if split)")
    shared.add_argument("--system", metavar="S", help="system prompt")
    add_reply_options(shared)
    add_gpu_layers(shared)
    add_preset_option(shared)
    shared.add_argument("--chat-template", metavar="NAME_OR_JINJA",
                        help="override the chat template (llama.cpp name or Jinja text)")
    shared.add_argument("--rpc", metavar="HOST:PORT[,HOST:PORT...]",
                        help="split the model over these llama.cpp RPC peers "
                             "(spark-desktop rpc-server) and this machine")
    shared.add_argument("--tensor-split", metavar="A,B,...",
                        help="shares of the offloaded layers per device: this machine's "
                             "GPUs, then the peers (default: by free memory)")

    gen = subparsers.add_parser("generate", parents=[common, shared],
                                help="run one chat turn and print the reply as it streams")
    gen.add_argument("-p", "--prompt", required=True, help="the user message")
    gen.add_argument("--json", action="store_true",
                     help="print one JSON object at the end instead of streaming")
    gen.add_argument("--save", action="store_true", help="save the turn to the chat history")
    gen.set_defaults(handler=_generate)

    chat = subparsers.add_parser("chat", parents=[common, shared],
                                 help="interactive chat in the terminal (/exit to leave)")
    chat.add_argument("--no-save", dest="save", action="store_false",
                      help="do not save the conversation to the chat history")
    chat.set_defaults(handler=_chat)


def _options(args: argparse.Namespace) -> tuple[LoadSettings, SamplingSettings]:
    from spark_desktop.engine.peers import parse_peer_list, parse_split

    load = LoadSettings(n_ctx=args.ctx, n_gpu_layers=args.gpu_layers, seed=args.seed,
                        chat_template=args.chat_template,
                        rpc_peers=parse_peer_list(args.rpc) if args.rpc else (),
                        tensor_split=parse_split(args.tensor_split))
    sampling = SamplingSettings(temperature=args.temperature, max_tokens=args.max_tokens,
                                seed=args.seed)
    return apply_preset(args, load, sampling)


def _load(client: Client, args: argparse.Namespace, load_options: Any, quiet: bool) -> LoadedModel:
    from pathlib import Path

    from spark_desktop.engine import ModelLoadError

    if not Path(args.model).expanduser().is_file():
        raise ModelLoadError(f"There is no model file at {args.model}.")

    def progress(fraction: float) -> None:
        if not quiet and sys.stderr.isatty():
            print(f"\rloading {fraction:4.0%}", end="", file=sys.stderr, flush=True)

    loaded = client.load(args.model, load_options, on_progress=progress)
    if not quiet and sys.stderr.isatty():
        print("\r" + " " * 16 + "\r", end="", file=sys.stderr, flush=True)
    for note in loaded.notes:
        print(f"note: {note}", file=sys.stderr)
    return loaded


def stream_turn(client: Client, messages: list[dict[str, str]], sampling: SamplingSettings,
                out: TextIO | None) -> tuple[str, str, ChatDone]:
    """Run one turn that nothing keeps: print answer deltas to `out` (reasoning to
    stderr), stop cleanly on Ctrl-C. Returns (answer, reasoning, final event)."""
    from spark_desktop.engine import ChatDone

    shown = _Shown(out)
    done: ChatDone | None = None
    with _ctrl_c_cancels(client):
        for event in client.chat(messages, sampling):
            shown.add(event)
            if isinstance(event, ChatDone):
                done = event
    assert done is not None  # chat() always ends with ChatDone or raises
    return shown.answer, shown.reasoning, done


def session_turn(client: Client, session: ChatSession, request: TurnRequest,
                 out: TextIO | None) -> tuple[str, str, ChatDone]:
    """Run one turn of a session (saved as it streams), printed as stream_turn does.
    An engine failure is raised after the reply was saved with what it had."""
    from spark_desktop.chat import TurnFinished

    shown = _Shown(out)
    finished: TurnFinished | None = None
    try:
        with _ctrl_c_cancels(client):
            for event in session.run(request, client):
                session.apply(event)
                if isinstance(event, TurnFinished):
                    finished = event
                else:
                    shown.add(event)
    finally:
        session.finished()
    assert finished is not None  # run() always ends with TurnFinished or raises
    if finished.error is not None:
        raise finished.error
    assert finished.done is not None  # no error: the engine's final event came
    return shown.answer, shown.reasoning, finished.done


class _Shown:
    """The reply as it is printed: answer deltas to `out`, reasoning to stderr."""

    def __init__(self, out: TextIO | None) -> None:
        self.out = out
        self._answer: list[str] = []
        self._reasoning: list[str] = []

    @property
    def answer(self) -> str:
        return "".join(self._answer)

    @property
    def reasoning(self) -> str:
        return "".join(self._reasoning)

    def add(self, event: object) -> None:
        from spark_desktop.engine import ReasoningDelta, TextDelta

        if isinstance(event, TextDelta | ReasoningDelta):
            reasoning = isinstance(event, ReasoningDelta)
            (self._reasoning if reasoning else self._answer).append(event.text)
            stream = sys.stderr if reasoning else self.out
            if self.out is not None and stream is not None:
                stream.write(event.text)
                stream.flush()


@contextlib.contextmanager
def _ctrl_c_cancels(client: Client) -> Iterator[None]:
    """First Ctrl-C stops the reply (kept, marked cancelled); a second one quits."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def on_interrupt(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        # not from the handler itself: the handler may interrupt a frame write
        threading.Thread(target=client.cancel, daemon=True).start()

    signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def _history(keep: bool) -> Iterator[HistoryCalls]:
    """The history store a session keeps its conversation in: the person's, or with
    `keep` False a throwaway one that is deleted afterwards."""
    import tempfile

    from spark_desktop.history import HistoryStore
    from spark_desktop.history.runner import DirectHistory

    with contextlib.ExitStack() as stack:
        path = None if keep else Path(stack.enter_context(tempfile.TemporaryDirectory())) / "h"
        yield DirectHistory(stack.enter_context(HistoryStore.open(path)))


def _turn_settings(args: argparse.Namespace, sampling: SamplingSettings,
                   loaded: LoadedModel) -> dict[str, Any]:
    return {"system_prompt": args.system, "sampling": sampling.to_dict(),
            "model_name": Path(loaded.info.path).name}


def _generate(args: argparse.Namespace) -> int:
    from spark_desktop.chat import ChatSession
    from spark_desktop.engine import Client, EngineError

    load_options, sampling = _options(args)
    out = None if args.json else sys.stdout
    saved = None
    with Client() as client:
        loaded = _load(client, args, load_options, quiet=args.json)
        if args.save:
            with _history(keep=True) as history:
                session = ChatSession(history)
                request = session.send(args.prompt, **_turn_settings(args, sampling, loaded))
                if request is None:
                    raise EngineError("The prompt is empty: give the model something to answer.")
                text, reasoning, done = session_turn(client, session, request, out)
                saved = session.conversation
        else:
            messages = ([{"role": "system", "content": args.system}] if args.system else [])
            messages.append({"role": "user", "content": args.prompt})
            text, reasoning, done = stream_turn(client, messages, sampling, out)
    if args.json:
        print(json.dumps(result_json(text, reasoning, done, loaded), indent=2))
    else:
        print()
        if saved is not None:
            print(f"[saved as conversation {saved.id}]", file=sys.stderr)
    return 0 if done.finish_reason != "error" else 1


def result_json(text: str, reasoning: str, done: ChatDone, loaded: LoadedModel) -> dict[str, Any]:
    """The `generate --json` object: the reply, its figures and what llama.cpp allocated."""
    memory = loaded.memory
    return {
        "text": text,
        "reasoning": reasoning,
        "finish_reason": done.finish_reason,
        "prompt_tokens": done.prompt_tokens,
        "completion_tokens": done.completion_tokens,
        "ttft_ms": round(done.ttft_ms, 2),
        "decode_tps": round(done.decode_tps, 2),
        "prefill_tps": round(done.prefill_tps, 2),
        "dropped_messages": done.dropped_messages,
        "error": done.error,
        "memory": {"weights": memory.weights, "kv_cache": memory.kv_cache,
                   "compute": memory.compute, "output": memory.output,
                   # per device: "CPU", "CUDA0", an RPC peer's "RPC0[host:port]"...
                   "devices": {name: dataclasses.asdict(dev)
                               for name, dev in memory.devices.items()}},
        "model": {
            "path": loaded.info.path,
            "description": loaded.info.description,
            "architecture": loaded.info.architecture,
            "n_ctx": loaded.info.n_ctx,
            "chat_template": loaded.info.chat_template,
            "load_seconds": round(loaded.load_seconds, 3),
        },
    }


def _chat(args: argparse.Namespace) -> int:
    from spark_desktop.chat import ChatSession
    from spark_desktop.engine import Client

    load_options, sampling = _options(args)
    interactive = sys.stdin.isatty()
    with Client() as client, _history(keep=args.save) as history:
        loaded = _load(client, args, load_options, quiet=False)
        session = ChatSession(history)
        if interactive:
            print(f"{loaded.info.description} ready. /exit to leave, /reset to start over.",
                  file=sys.stderr)
        while True:
            try:
                line = input("> " if interactive else "")
            except (EOFError, KeyboardInterrupt):
                break
            if line.strip() in ("/exit", "/quit"):
                break
            if line.strip() == "/reset":
                session.show(None)  # the next message starts a new conversation
                continue
            request = session.send(line, **_turn_settings(args, sampling, loaded))
            if request is None:
                continue
            _text, _reasoning, done = session_turn(client, session, request, sys.stdout)
            print()
            if done.dropped_messages:
                print(f"[{done.dropped_messages} oldest messages no longer fit the context "
                      "and were left out]", file=sys.stderr)
            if done.finish_reason == "error":
                print(f"[the reply failed: {done.error}]", file=sys.stderr)
        if args.save and session.conversation is not None:
            print(f"[saved as conversation {session.conversation.id}]", file=sys.stderr)
    return 0
