"""Sub-commands of the engine area: `generate` (one turn) and `chat` (interactive).

Both run the model in the supervised worker. They accept an optional sink that
sees every user message and engine event, the seam through which a history
store can save the conversation (`--save`) without this module knowing SQL.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from spark_desktop.inference_settings import LoadSettings, SamplingSettings

if TYPE_CHECKING:
    from spark_desktop.engine import ChatDone, ChatEvent, Client, LoadedModel


class ChatSink(Protocol):
    """Receives a conversation as it happens (e.g. to save it to history)."""

    def on_loaded(self, loaded: LoadedModel, system: str | None) -> None: ...

    def on_user(self, text: str) -> None: ...

    def on_event(self, event: ChatEvent) -> None: ...

    def on_reset(self) -> None: ...


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add this area's sub-commands to the parser."""
    shared = argparse.ArgumentParser(add_help=False)
    shared.add_argument("model", metavar="MODEL", help="path of a GGUF file (first part if split)")
    shared.add_argument("--system", metavar="S", help="system prompt")
    shared.add_argument("--max-tokens", type=int, default=None, metavar="N",
                        help="most tokens in a reply (default: until the model stops)")
    shared.add_argument("--temperature", type=float, default=SamplingSettings.temperature,
                        metavar="T", help="0 for greedy, deterministic output "
                        f"(default {SamplingSettings.temperature})")
    shared.add_argument("--seed", type=int, default=None, metavar="S", help="sampling seed")
    shared.add_argument("--ctx", type=int, default=LoadSettings.n_ctx, metavar="N",
                        help=f"context length (default {LoadSettings.n_ctx})")
    shared.add_argument("--gpu-layers", type=int, default=-1, metavar="N",
                        help="layers to offload to the GPU (default: all)")
    shared.add_argument("--chat-template", metavar="NAME_OR_JINJA",
                        help="override the chat template (llama.cpp name or Jinja text)")

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
    load = LoadSettings(n_ctx=args.ctx, n_gpu_layers=args.gpu_layers, seed=args.seed,
                        chat_template=args.chat_template)
    sampling = SamplingSettings(temperature=args.temperature, max_tokens=args.max_tokens,
                                seed=args.seed)
    return load, sampling


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
    return loaded


def stream_turn(client: Client, messages: list[dict[str, str]], sampling: Any,
                out: TextIO | None, sink: ChatSink | None = None) -> tuple[str, str, ChatDone]:
    """Run one turn: print answer deltas to `out` (reasoning to stderr), feed the sink,
    stop cleanly on Ctrl-C. Returns (answer, reasoning, final event)."""
    from spark_desktop.engine import ChatDone, ReasoningDelta, TextDelta

    answer: list[str] = []
    thinking: list[str] = []
    done: ChatDone | None = None
    with _ctrl_c_cancels(client):
        for event in client.chat(messages, sampling):
            if sink is not None:
                sink.on_event(event)
            if isinstance(event, TextDelta):
                answer.append(event.text)
                if out is not None:
                    out.write(event.text)
                    out.flush()
            elif isinstance(event, ReasoningDelta):
                thinking.append(event.text)
                if out is not None:
                    sys.stderr.write(event.text)
                    sys.stderr.flush()
            elif isinstance(event, ChatDone):
                done = event
    assert done is not None  # chat() always ends with ChatDone or raises
    return "".join(answer), "".join(thinking), done


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
def _history_sink(args: argparse.Namespace, sink: ChatSink | None,
                  sampling: Any) -> Iterator[ChatSink | None]:
    """The caller's sink, or with --save a recorder writing into the history store."""
    if sink is not None or not getattr(args, "save", False):
        yield sink
        return
    from spark_desktop.chat.recorder import HistoryRecorder
    from spark_desktop.history import HistoryStore

    with HistoryStore.open() as store:
        recorder = HistoryRecorder(store, sampling.to_dict())
        try:
            yield recorder
        finally:
            recorder.close()
        if recorder.conversation_id and not getattr(args, "json", False):
            print(f"[saved as conversation {recorder.conversation_id}]", file=sys.stderr)


def _generate(args: argparse.Namespace, sink: ChatSink | None = None) -> int:
    from spark_desktop.engine import Client

    load_options, sampling = _options(args)
    messages = ([{"role": "system", "content": args.system}] if args.system else [])
    messages.append({"role": "user", "content": args.prompt})
    with Client() as client, _history_sink(args, sink, sampling) as recorder:
        loaded = _load(client, args, load_options, quiet=args.json)
        if recorder is not None:
            recorder.on_loaded(loaded, args.system)
            recorder.on_user(args.prompt)
        text, reasoning, done = stream_turn(client, messages, sampling,
                                            None if args.json else sys.stdout, recorder)
    if args.json:
        print(json.dumps(result_json(text, reasoning, done, loaded), indent=2))
    else:
        print()
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
                   "compute": memory.compute, "output": memory.output},
        "model": {
            "path": loaded.info.path,
            "description": loaded.info.description,
            "architecture": loaded.info.architecture,
            "n_ctx": loaded.info.n_ctx,
            "chat_template": loaded.info.chat_template,
            "load_seconds": round(loaded.load_seconds, 3),
        },
    }


def _chat(args: argparse.Namespace, sink: ChatSink | None = None) -> int:
    from spark_desktop.engine import Client

    load_options, sampling = _options(args)
    system = [{"role": "system", "content": args.system}] if args.system else []
    messages: list[dict[str, str]] = list(system)
    interactive = sys.stdin.isatty()
    with Client() as client, _history_sink(args, sink, sampling) as recorder:
        loaded = _load(client, args, load_options, quiet=False)
        if recorder is not None:
            recorder.on_loaded(loaded, args.system)
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
                messages = list(system)
                if recorder is not None:
                    recorder.on_reset()
                continue
            if not line.strip():
                continue
            if recorder is not None:
                recorder.on_user(line)
            messages.append({"role": "user", "content": line})
            text, _reasoning, done = stream_turn(client, messages, sampling, sys.stdout, recorder)
            print()
            messages.append({"role": "assistant", "content": text})
            if done.dropped_messages:
                print(f"[{done.dropped_messages} oldest messages no longer fit the context "
                      "and were left out]", file=sys.stderr)
            if done.finish_reason == "error":
                print(f"[the reply failed: {done.error}]", file=sys.stderr)
    return 0
