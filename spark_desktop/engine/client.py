"""Talk to the engine worker: start it, load, stream chats, cancel, survive its death.

Qt-free and thread-safe for chats: one thread drives load(), while up to the
loaded model's n_seq chats stream at once from any threads, each with its own
event iterator (the reader thread routes events by request id), and embeddings are
computed beside them (embed(), from any thread). More chats than slots wait in the
worker, first come first served: the worker knows when a slot frees, and a caller
that cannot wait closes its stream. Any thread may cancel.
Every wait has a timeout, and the end of the worker's event pipe (however the
process dies) ends every stream with WorkerDiedError carrying the last lines of
the worker log. A new load() after a death starts a fresh worker.
"""

from __future__ import annotations

import itertools
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, Self

import spark_desktop
from spark_desktop import paths
from spark_desktop.engine import peers, safe_mode
from spark_desktop.engine.errors import (
    REMOTE_ERRORS,
    EngineError,
    EngineTimeoutError,
    NoModelLoadedError,
    RequestCancelledError,
    WorkerDiedError,
)
from spark_desktop.engine.events import EmbeddingResult, LoadedModel, ModelInfo, unpack_vector
from spark_desktop.engine.memory_report import MemoryReport, parse_llama_log
from spark_desktop.engine.protocol import ChannelClosed, FrameWriter, read_frame
from spark_desktop.engine.stream import ChatStream
from spark_desktop.engine.tools import ToolSettings
from spark_desktop.inference_settings import LoadSettings, SamplingSettings

Message = dict[str, Any]
_DEAD = object()
LOG_TAIL_LINES = 20


class _Process:
    """One running worker: its pipes, one event queue per request, its log file."""

    def __init__(self, python: str, log_path: Path) -> None:
        if log_path.exists():
            log_path.replace(log_path.with_name(log_path.name + ".1"))
        log_file = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed below
        # kept open for the worker's lifetime: the tail stays readable even if rotated away
        self.log_reader: IO[bytes] = open(log_path, "rb")  # noqa: SIM115
        req_r, req_w = os.pipe()
        ev_r, ev_w = os.pipe()
        env = dict(os.environ)
        root = str(Path(spark_desktop.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        try:
            self.popen = subprocess.Popen(
                [python, "-m", "spark_desktop.engine.worker",
                 "--requests-fd", str(req_r), "--events-fd", str(ev_w)],
                stdin=subprocess.DEVNULL, stdout=log_file, stderr=log_file,
                pass_fds=(req_r, ev_w), env=env, start_new_session=True)
        finally:
            os.close(req_r)
            os.close(ev_w)
            log_file.close()
        self.writer = FrameWriter(req_w)
        self.events_fd = ev_r
        self.last_event = time.monotonic()
        self._lock = threading.Lock()
        self._routes: dict[int, queue.Queue[Any]] = {}
        self._dead = False
        self._ended: tuple[int, tuple[str, ...]] | None = None
        self._closed = False
        self.ready = self.route(-1)
        threading.Thread(target=self._read, name="engine-events", daemon=True).start()

    def route(self, rid: int) -> queue.Queue[Any]:
        """The queue that will receive request `rid`'s events (register before sending)."""
        events: queue.Queue[Any] = queue.Queue()
        with self._lock:
            if self._dead:
                events.put(_DEAD)
            self._routes[rid] = events
        return events

    def unroute(self, rid: int) -> None:
        with self._lock:
            self._routes.pop(rid, None)

    def _read(self) -> None:
        try:
            while True:
                frame = read_frame(self.events_fd)
                self.last_event = time.monotonic()
                # one step of the worker's slots arrives as one frame of many events
                for event in frame["events"] if frame["ev"] == "many" else (frame,):
                    with self._lock:
                        events = self._routes.get(event.get("id"))
                    if events is not None:  # else: a request its caller has given up on
                        events.put(event)
        except (ChannelClosed, OSError, ValueError):
            with self._lock:
                self._dead = True
                routes = list(self._routes.values())
            for events in routes:
                events.put(_DEAD)

    def alive(self) -> bool:
        return self.popen.poll() is None

    def ended(self) -> tuple[int, tuple[str, ...]]:
        """Exit code and log tail of a dead worker, reaped once for every stream."""
        with self._lock:
            if self._ended is None:
                try:
                    code = self.popen.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self.popen.kill()
                    code = self.popen.wait(timeout=10)
                self._ended = (code, self.log_tail())
            return self._ended

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> tuple[str, ...]:
        if self._closed:
            return self._ended[1] if self._ended else ()
        try:
            self.log_reader.seek(0, os.SEEK_END)
            size = self.log_reader.tell()
            self.log_reader.seek(max(0, size - 64 * 1024))
            text = self.log_reader.read().decode("utf-8", errors="replace")
        except OSError:
            return ()
        return tuple(line for line in text.splitlines() if line.strip())[-lines:]

    def stop(self, grace: float) -> None:
        """Ask politely (shutdown frame), then kill; always reap and close our ends."""
        if self.alive():
            try:  # cancel first: a load or reply in progress stops at once
                self.writer.send({"op": "cancel", "id": 1 << 62, "all": True})
                self.writer.send({"op": "shutdown", "id": 1 << 62})
            except ChannelClosed:
                pass
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self.close_fds()

    def close_fds(self) -> None:
        with self._lock:
            if self._closed:  # each stream of a dead worker gets here: close once
                return
            self._closed = True
        self.writer.close()
        try:
            os.close(self.events_fd)
        except OSError:
            pass
        self.log_reader.close()


class Client:
    """The app's handle on the engine: one load at a time, up to n_seq chats at once."""

    def __init__(self, *, python: str = sys.executable, log_path: Path | None = None,
                 start_timeout: float = 60.0, load_timeout: float = 900.0,
                 stall_timeout: float = 300.0) -> None:
        self._python = python
        self._log_path = log_path
        self.start_timeout = start_timeout
        self.load_timeout = load_timeout
        self.stall_timeout = stall_timeout
        self._proc: _Process | None = None
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._last_id = 0
        self._loaded: LoadedModel | None = None
        self._options: LoadSettings | None = None  # of the load in progress or done
        self.worker_info: dict[str, Any] = {}

    # -- lifecycle ----------------------------------------------------------

    @property
    def loaded(self) -> LoadedModel | None:
        return self._loaded

    @property
    def n_seq(self) -> int:
        """Chats the loaded model streams at once (its slots); 0 with no model."""
        loaded = self._loaded
        return loaded.options.n_seq if loaded is not None else 0

    @property
    def worker_pid(self) -> int | None:
        proc = self._proc
        return proc.popen.pid if proc and proc.alive() else None

    def start(self) -> None:
        """Start a worker if none runs, and wait until it can take requests."""
        if self._proc is not None and self._proc.alive():
            return
        self._discard()
        log_path = self._log_path or paths.engine_log_path()
        proc = self._proc = _Process(self._python, log_path)
        ready = self._wait(proc, proc.ready, time.monotonic() + self.start_timeout,
                           "starting the engine")
        proc.unroute(-1)
        self.worker_info = ready

    def load(self, path: str | os.PathLike[str], options: LoadSettings | None = None,
             on_progress: Callable[[float], None] | None = None) -> LoadedModel:
        """Load a GGUF in a fresh worker (a loaded model is unloaded first, so its
        memory goes back to the OS before the next one is allocated).

        A worker that dies of SIGILL while llama.cpp's repacked CPU kernels are on is
        restarted once with them off, and the choice is kept for this build
        (engine.safe_mode); the LoadedModel's notes say so in one line."""
        resolved = (options or LoadSettings()).resolved()
        if self._loaded is not None:
            self.unload()  # first: an RPC peer serves one client, the old worker included
        peers.probe_peers(resolved.rpc_peers)  # an unreachable peer would abort the worker
        self.start()
        key = safe_mode.build_key(self.worker_info)
        notes: tuple[str, ...] = ()
        choice = safe_mode.remembered(key)
        if choice is not None and resolved.use_extra_bufts and not choice.use_extra_bufts:
            resolved, notes = replace(resolved, use_extra_bufts=False), (choice.reason,)
        try:
            return self._load(path, resolved, on_progress, notes)
        except WorkerDiedError as exc:
            if exc.exit_code != -signal.SIGILL or not resolved.use_extra_bufts:
                raise
            reason = safe_mode.sigill_reason(safe_mode.cpu_flags())
            self.start()
            return self._load(path, replace(resolved, use_extra_bufts=False), on_progress,
                              (reason,))

    def _load(self, path: str | os.PathLike[str], resolved: LoadSettings,
              on_progress: Callable[[float], None] | None,
              notes: tuple[str, ...]) -> LoadedModel:
        self._options = resolved
        proc, rid, events = self._send({"op": "load",
                                        "path": str(Path(path).expanduser().resolve()),
                                        "options": resolved.to_dict()})
        deadline = time.monotonic() + self.load_timeout
        try:
            while True:
                event = self._wait(proc, events, deadline, "loading the model")
                if event["ev"] == "load_progress":
                    if on_progress is not None:
                        on_progress(float(event["fraction"]))
                elif event["ev"] == "loaded":
                    lines = tuple(event["log_lines"])
                    self._loaded = LoadedModel(
                        info=ModelInfo(**event["info"]), options=resolved,
                        memory=_memory_report(lines), load_seconds=float(event["load_seconds"]),
                        log_lines=lines, notes=notes)
                    return self._loaded
        finally:
            proc.unroute(rid)

    def chat(self, messages: Sequence[Message], sampling: SamplingSettings | None = None,
             tools: ToolSettings | None = None) -> ChatStream:
        """Stream one reply: TextDelta / ReasoningDelta / ToolCall events, then ChatDone.
        Safe to call from several threads; close() on the stream cancels this reply alone.
        Raises WorkerDiedError after delivering whatever text arrived before a death."""
        if self._loaded is None or self._proc is None:
            raise NoModelLoadedError("Load a model before chatting.")
        proc, rid, events = self._send({"op": "chat", "messages": [dict(m) for m in messages],
                                        "sampling": (sampling or SamplingSettings()).to_dict(),
                                        "tools": tools.to_dict() if tools else None})
        return ChatStream(self, proc, rid, events)

    def embed(self, inputs: Sequence[str | Sequence[int]],
              abandon: threading.Event | None = None) -> EmbeddingResult:
        """One unit-length vector per input (a text, or token ids taken as they are), with
        the model's pooling, computed beside the chats in flight. Safe from any thread.
        Raises PromptTooLongError naming an input past the limit, InvalidOptionsError for an
        empty one; `abandon`, checked at each step of the work, cancels it."""
        if self._loaded is None or self._proc is None:
            raise NoModelLoadedError("Load a model before asking for embeddings.")
        inputs = [inputs] if isinstance(inputs, str) else inputs  # one text, not its letters
        items = [item if isinstance(item, str) else [int(t) for t in item] for item in inputs]
        proc, rid, events = self._send({"op": "embed", "inputs": items})
        vectors: dict[int, tuple[float, ...]] = {}
        try:
            while True:
                if abandon is not None and abandon.is_set():
                    raise RequestCancelledError("The embeddings request was given up.")
                event = self._wait(proc, events, time.monotonic() + self.stall_timeout,
                                   "computing embeddings", stall=True)
                if event["ev"] == "cancelled":  # Client.cancel() stops everything in flight
                    raise RequestCancelledError("The embeddings request was cancelled.")
                if event["ev"] == "embedded":
                    return EmbeddingResult(tuple(vectors[i] for i in range(len(items))),
                                           int(event["prompt_tokens"]))
                for index, data in event["items"]:
                    vectors[int(index)] = unpack_vector(data)
        except BaseException:
            self._cancel_id(rid, proc=proc)
            raise
        finally:
            proc.unroute(rid)

    def count_tokens(self, messages: Sequence[Message],
                     tools: ToolSettings | None = None) -> int:
        """Prompt tokens of this conversation (and its tools) with the loaded model's
        template; ToolSchemaError when a tool's schema cannot be enforced."""
        if self._loaded is None:
            raise NoModelLoadedError("Load a model before counting tokens.")
        proc, rid, events = self._send({"op": "count_tokens",
                                        "messages": [dict(m) for m in messages],
                                        "tools": tools.to_dict() if tools else None})
        try:
            return int(self._wait(proc, events, time.monotonic() + self.stall_timeout,
                                  "counting tokens", stall=True)["tokens"])
        finally:
            proc.unroute(rid)

    def cancel(self) -> None:
        """Stop the load or every reply in progress; safe from any thread, returns at once.
        (To stop one reply, close its stream.)"""
        self._cancel_id(self._last_id, every=True)

    def unload(self) -> None:
        """End the worker so the OS gets every byte of the model back; replies still
        streaming end as cancelled."""
        with self._lock:
            self._loaded = None
            proc, self._proc = self._proc, None
        if proc is not None:
            proc.stop(grace=10.0)

    def close(self) -> None:
        self.unload()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ----------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> tuple[_Process, int, queue.Queue[Any]]:
        proc = self._proc
        if proc is None:
            raise NoModelLoadedError("The engine is not running; load a model first.")
        rid = next(self._ids)
        self._last_id = max(self._last_id, rid)
        events = proc.route(rid)
        try:
            proc.writer.send({**message, "id": rid})
        except ChannelClosed:
            self._died(proc, "while receiving a request")
        return proc, rid, events

    def _cancel_id(self, rid: int, every: bool = False, proc: _Process | None = None,
                   wait: bool = True) -> None:
        proc = proc or self._proc
        if proc is None or rid < 0:
            return
        try:
            proc.writer.send({"op": "cancel", "id": rid, "all": every}, wait=wait)
        except ChannelClosed:
            pass

    def _wait(self, proc: _Process, events: queue.Queue[Any], deadline: float, doing: str,
              stall: bool = False) -> dict[str, Any]:
        """Next event from `events`; raises the worker's error, death or a timeout. With
        `stall`, any sign of life from the worker (another reply's tokens, a prompt's
        progress) moves the deadline: a reply waiting for a slot is not stalled."""
        exited_at: float | None = None
        while True:
            limit = max(deadline, proc.last_event + self.stall_timeout) if stall else deadline
            remaining = limit - time.monotonic()
            if remaining <= 0:
                tail = proc.log_tail()
                with self._lock:
                    if self._proc is proc:
                        self.unload()
                raise EngineTimeoutError(
                    f"The engine gave no sign of life for too long while {doing} and was "
                    "stopped; load the model again.") from _tail_note(tail)
            try:
                event = events.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if proc.alive():
                    exited_at = None
                    continue
                exited_at = exited_at or time.monotonic()
                if time.monotonic() - exited_at < 2.0:  # let the reader see the pipe's end
                    continue
                event = _DEAD
            if event is _DEAD:
                self._died(proc, f"while {doing}")
            if event["ev"] == "error":
                raise REMOTE_ERRORS.get(event["type"], EngineError)(event["message"])
            if event["ev"] == "prefill":
                deadline = time.monotonic() + self.stall_timeout  # a heartbeat during long prompts
                continue
            return event

    def _died(self, proc: _Process, doing: str) -> None:
        with self._lock:
            if self._proc is proc:
                self._proc = None
                self._loaded = None
        code, tail = proc.ended()
        proc.close_fds()
        how = (f"was killed by {signal.Signals(-code).name}" if code < 0
               else f"exited with code {code}")
        last = f" Last log line: {tail[-1]}" if tail else ""
        advice = "load the model again to continue"
        if code == -signal.SIGILL:
            advice = self._illegal_instruction()
        died = WorkerDiedError(
            f"The model engine stopped unexpectedly {doing} (it {how}). The text received so "
            f"far is kept; {advice}.{last}",
            log_tail=tail, exit_code=code)
        raise peers.name_lost_peer(died, self._options.rpc_peers if self._options else ())

    def _illegal_instruction(self) -> str:
        """After a SIGILL: remember the safe setting for this build, or, if it was already
        in use, say that llama.cpp itself must be rebuilt (never a restart loop)."""
        if self._options is not None and self._options.use_extra_bufts:
            reason = safe_mode.sigill_reason(safe_mode.cpu_flags())
            safe_mode.remember(safe_mode.build_key(self.worker_info),
                               safe_mode.SafeChoice(use_extra_bufts=False, reason=reason))
            return f"{reason} Load the model again to continue"
        return ("this llama.cpp build uses CPU instructions this machine cannot run, even with "
                "its repacked kernels off. Rebuild it for this machine: run "
                "installers/linux/install.sh, or see 'Rebuild llama.cpp' in the README")

    def _discard(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
            self._loaded = None
        if proc is not None:
            proc.stop(grace=2.0)


def _tail_note(tail: tuple[str, ...]) -> Exception | None:
    return EngineError("worker log tail:\n" + "\n".join(tail)) if tail else None


def _memory_report(lines: tuple[str, ...]) -> MemoryReport:
    """What llama.cpp allocated, parsed from its load log (see engine.memory_report)."""
    return parse_llama_log(lines)
