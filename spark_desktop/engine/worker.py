"""The engine's child process: the one place that runs llama.cpp.

Started by engine.client as `python -m spark_desktop.engine.worker --requests-fd R
--events-fd E`. It owns at most one model. Requests and events travel as frames
(engine.protocol) on the two inherited pipe descriptors; stdout and stderr go to
the worker log file, together with everything llama.cpp logs, so an abort's last
words are kept. A reader thread takes cancel requests while the main thread is
busy inside llama.cpp; cancellation is checked per step, inside llama_decode
(abort callback) and during the load (progress callback). Chats run in slots,
several at once (engine.slots), and embeddings in a context of their own (engine.embed),
their steps taking turns; the main thread takes new requests between steps.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import queue
import select
import signal
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import llama_cpp

from spark_desktop.engine import rpc_devices
from spark_desktop.engine.context import fit_messages, reply_budget
from spark_desktop.engine.embed import Embedder
from spark_desktop.engine.errors import (
    EngineError,
    LoadCancelledError,
    ModelLoadError,
    NoModelLoadedError,
    PromptTooLongError,
)
from spark_desktop.engine.llama_log import LogCapture
from spark_desktop.engine.protocol import ChannelClosed, FrameWriter, read_frame
from spark_desktop.engine.reasoning import prompt_opens_thinking
from spark_desktop.engine.reply import Reply, check_tools, make_sampler
from spark_desktop.engine.safe_mode import TEST_SIGILL_ENV
from spark_desktop.engine.slots import Scheduler
from spark_desktop.engine.templates import choose_template
from spark_desktop.engine.tools import ToolSettings, prepare
from spark_desktop.inference_settings import LoadSettings, SamplingSettings

KV_GGML_TYPES = {"f16": llama_cpp.GGML_TYPE_F16, "q8_0": llama_cpp.GGML_TYPE_Q8_0,
                 "q4_0": llama_cpp.GGML_TYPE_Q4_0}
FLASH_ATTN_TYPES = {"auto": llama_cpp.LLAMA_FLASH_ATTN_TYPE_AUTO,
                    "on": llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED,
                    "off": llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED}
ALL = 1 << 62  # a request id above every real one: "cancel everything"


class Worker:
    """One model, one context; chats in slots, other requests between steps."""

    def __init__(self, events: FrameWriter, log: LogCapture) -> None:
        self.events = events
        self.log = log
        self.requests: queue.Queue[list[dict[str, Any]]] = queue.Queue()
        self.cancel_upto = -1  # every request up to this id is cancelled
        self.cancel_ids: set[int] = set()  # and these ones alone
        self.model: Any = None
        self.ctx: Any = None
        self.vocab: Any = None
        self.options: LoadSettings | None = None
        self.slots: Scheduler | None = None
        self.embedder: Embedder | None = None  # made on the first embeddings request
        self.n_ctx_seq = 0
        self._outbox: list[dict[str, Any]] | None = None
        self._render: Any = None
        self._tool_format = "generic"
        self._loras: list[Any] = []
        self._load_id = -1
        self._progress_cb = llama_cpp.llama_progress_callback(self._on_progress)
        self._last_progress = -1.0

    # -- plumbing ---------------------------------------------------------

    def cancelled(self, rid: int) -> bool:
        return rid <= self.cancel_upto or rid in self.cancel_ids

    def send(self, rid: int, event: str, **fields: Any) -> None:
        self.events.send({"ev": event, "id": rid, **fields})

    def read_requests(self, fd: int) -> None:
        """Reader thread: cancels act at once, everything else queues for the main thread.
        Requests already waiting in the pipe queue together, so chats sent at the same
        moment start in the same step (one prefill batch, as llama.cpp alone would)."""
        arrived: list[dict[str, Any]] = []
        try:
            while True:
                message = read_frame(fd)
                if message.get("op") != "cancel":
                    arrived.append(message)
                elif message.get("all"):
                    self.cancel_upto = max(self.cancel_upto, int(message["id"]))
                else:
                    self.cancel_ids.add(int(message["id"]))
                if arrived and not select.select([fd], [], [], 0)[0]:
                    self.requests.put(arrived)
                    arrived = []
        except (ChannelClosed, OSError, ValueError):
            self.cancel_upto = ALL
            self.requests.put([*arrived, {"op": "shutdown", "id": ALL}])

    def serve(self) -> None:
        """Take every waiting request, then run one step of the chats in flight."""
        while True:
            chatting = self.slots is not None and self.slots.busy()
            embedding = self.embedder is not None and self.embedder.busy()
            try:
                arrived = self.requests.get_nowait() if chatting or embedding else \
                    self.requests.get()
            except queue.Empty:
                if chatting:
                    self._step()
                if embedding:
                    self.embedder.step(beside_chats=chatting)  # type: ignore[union-attr]
                continue
            for request in arrived:
                if request["op"] == "shutdown":
                    if self.slots is not None:
                        self.slots.finish_all("cancelled")
                    return
                self.handle(request)

    def handle(self, request: dict[str, Any]) -> None:
        rid, op = int(request["id"]), request["op"]
        try:
            if op == "load":
                self.load(rid, request["path"], LoadSettings.from_dict(request["options"]))
            elif op == "chat":
                self.chat(rid, request["messages"], SamplingSettings.from_dict(request["sampling"]),
                          _tools(request))
            elif op == "embed":
                self.embed(rid, request["inputs"])
            elif op == "count_tokens":
                tools = _tools(request)
                if tools is not None:
                    check_tools(tools)
                self.send(rid, "count",
                          tokens=len(self.tokenize_messages(request["messages"], tools)))
            else:
                raise EngineError(f"The engine does not know the request {op!r}.")
        except EngineError as exc:
            self.send(rid, "error", type=type(exc).__name__, message=str(exc))
        except Exception as exc:  # noqa: BLE001 - report, stay alive: the next request may work
            self.send(rid, "error", type="EngineError",
                      message=f"The engine failed: {type(exc).__name__}: {exc}")

    def _step(self) -> None:
        """One step; its events leave in one frame (one write, one wake-up of the
        client's reader, however many streams got a token)."""
        assert self.slots is not None
        self._outbox = []
        try:
            self.slots.step()
        except ChannelClosed:
            raise
        except Exception as exc:  # noqa: BLE001 - end the replies in flight, keep the worker
            self.slots.finish_all("error", f"The engine failed: {type(exc).__name__}: {exc}")
        finally:
            outbox, self._outbox = self._outbox, None
            if len(outbox) == 1:
                self.events.send(outbox[0])
            elif outbox:
                self.events.send({"ev": "many", "id": -2, "events": outbox})

    def _embed_event(self, rid: int, event: str, **fields: Any) -> None:
        if event != "embedding":  # the request ended: a cancel of it has nothing to stop
            self.cancel_ids.discard(rid)
        self.send(rid, event, **fields)

    def _reply_event(self, event: dict[str, Any]) -> None:
        if event["ev"] == "done":  # a cancel of this reply has nothing left to stop
            self.cancel_ids.discard(event["id"])
        if self._outbox is not None:
            self._outbox.append(event)
        else:
            self.events.send(event)

    # -- load ---------------------------------------------------------------

    def _on_progress(self, progress: float, _data: ctypes.c_void_p) -> bool:
        if progress - self._last_progress >= 0.01 or progress >= 1.0:
            self._last_progress = progress
            try:
                self.send(self._load_id, "load_progress", fraction=round(float(progress), 4))
            except ChannelClosed:
                return False
        return not self.cancelled(self._load_id)

    def load(self, rid: int, path: str, options: LoadSettings) -> None:
        if self.model is not None:
            raise EngineError("A model is already loaded in this engine; unload it first.")
        started = time.perf_counter()
        mark = self.log.mark()
        if not os.path.isfile(path):
            raise ModelLoadError(f"The model file {path} does not exist.")
        mparams = llama_cpp.llama_model_default_params()
        mparams.n_gpu_layers = 0x7FFFFFFF if options.n_gpu_layers < 0 else options.n_gpu_layers
        mparams.load_mode = (llama_cpp.LLAMA_LOAD_MODE_MMAP if options.use_mmap
                             else llama_cpp.LLAMA_LOAD_MODE_NONE)
        mparams.use_extra_bufts = options.use_extra_bufts
        devices = rpc_devices.model_devices(options.rpc_peers)  # alive until the load returns
        if devices is not None:
            mparams.devices = ctypes.cast(devices, ctypes.c_void_p)
        split = rpc_devices.tensor_split(options.tensor_split)
        if split is not None:
            mparams.tensor_split = split
        mparams.progress_callback = self._progress_cb
        self._last_progress = -1.0
        self._load_id = rid
        model = llama_cpp.llama_model_load_from_file(path.encode("utf-8"), mparams)
        if not model:
            if self.cancelled(rid):
                raise LoadCancelledError("Loading was stopped.")
            raise ModelLoadError(_load_failure(path, self.log.since(mark)))
        self.model = model
        self.vocab = llama_cpp.llama_model_get_vocab(model)
        try:
            self._create_context(options, mark)
            self._render, template_name, self._tool_format = choose_template(
                model, self._meta("general.architecture"), options.chat_template)
            self._warm_up(options)
        except BaseException:
            self.unload()
            raise
        self.options = options
        # recurrent state cannot be cut back to a position; attention caches can
        # (sliding-window layers too: the default full-size SWA cache keeps every cell)
        can_trim = not (llama_cpp.llama_model_is_recurrent(model)
                        or llama_cpp.llama_model_is_hybrid(model))
        self.slots = Scheduler(self.ctx, self.vocab, n_seq=options.n_seq,
                               n_batch=options.n_batch, n_ubatch=options.n_ubatch,
                               can_trim=can_trim, cancelled=self.cancelled)
        self.send(rid, "loaded", info=self._model_info(path, template_name),
                  load_seconds=time.perf_counter() - started, log_lines=self.log.since(mark))

    def _warm_up(self, options: LoadSettings) -> None:
        """Run the CPU kernels once before the model is reported loaded: a machine that
        cannot execute them dies here (SIGILL), where the client can retry the load with a
        safe setting, instead of in the middle of the first reply."""
        fault = os.environ.get(TEST_SIGILL_ENV)
        if fault == "always" or (fault == "extra-bufts" and options.use_extra_bufts):
            os.kill(os.getpid(), signal.SIGILL)
        token = max(llama_cpp.llama_vocab_bos(self.vocab), 0)
        for n in (min(8, options.n_ubatch, self.n_ctx_seq - 1), 1):  # a batch, then one token
            array = (llama_cpp.llama_token * n)(*([token] * n))
            if llama_cpp.llama_decode(self.ctx, llama_cpp.llama_batch_get_one(array, n)) != 0:
                break
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self.ctx), False)

    def _create_context(self, options: LoadSettings, mark: int) -> None:
        """The KV cache exactly as the fit estimator models it: n_ctx shared out over
        n_seq sequences, each its own stream (kv_unified off), see fit.memory.ctx_seq."""
        cparams = _context_params(options)
        cparams.n_ctx = options.n_ctx
        cparams.n_batch = options.n_batch
        cparams.n_ubatch = options.n_ubatch
        cparams.n_seq_max = options.n_seq
        cparams.kv_unified = False
        ctx = llama_cpp.llama_init_from_model(self.model, cparams)
        if not ctx:
            raise ModelLoadError(
                "llama.cpp could not create a context with these settings "
                f"({_last_error(self.log.since(mark))}); try a shorter context, "
                "fewer parallel sequences, fewer GPU layers or a different KV cache type.")
        self.ctx = ctx
        self.n_ctx_seq = int(llama_cpp.llama_n_ctx_seq(ctx))
        for lora in options.lora_paths:
            adapter = llama_cpp.llama_adapter_lora_init(self.model, lora.encode("utf-8"))
            if not adapter:
                raise ModelLoadError(f"The LoRA adapter {lora} does not fit this model.")
            self._loras.append(adapter)
        if self._loras:
            adapters = (llama_cpp.llama_adapter_lora_p_ctypes * len(self._loras))(*self._loras)
            scales = (ctypes.c_float * len(self._loras))(*([1.0] * len(self._loras)))
            if llama_cpp.llama_set_adapters_lora(ctx, adapters, len(self._loras), scales):
                raise ModelLoadError("llama.cpp refused the LoRA adapters for this model.")

    def unload(self) -> None:
        if self.slots is not None:
            self.slots.close()
        if self.embedder is not None:
            self.embedder.close()
        if self.ctx:
            llama_cpp.llama_free(self.ctx)
        for adapter in self._loras:
            llama_cpp.llama_adapter_lora_free(adapter)
        if self.model:
            llama_cpp.llama_model_free(self.model)
        self.ctx = self.model = self.vocab = self.slots = self.embedder = None
        self._loras = []

    def _meta(self, key: str) -> str:
        buf = ctypes.create_string_buffer(4096)
        size = llama_cpp.llama_model_meta_val_str(self.model, key.encode(), buf, len(buf))
        return buf.value.decode("utf-8", errors="replace") if size >= 0 else ""

    def _model_info(self, path: str, template_name: str) -> dict[str, Any]:
        buf = ctypes.create_string_buffer(512)
        llama_cpp.llama_model_desc(self.model, buf, len(buf))
        return {
            "path": path,
            "description": buf.value.decode("utf-8", errors="replace"),
            "architecture": self._meta("general.architecture"),
            "n_params": int(llama_cpp.llama_model_n_params(self.model)),
            "size_bytes": int(llama_cpp.llama_model_size(self.model)),
            "n_ctx_train": int(llama_cpp.llama_model_n_ctx_train(self.model)),
            "n_ctx": int(llama_cpp.llama_n_ctx(self.ctx)),
            "n_layer": int(llama_cpp.llama_model_n_layer(self.model)),
            "chat_template": template_name,
            "n_seq": int(llama_cpp.llama_n_seq_max(self.ctx)),
            "n_ctx_seq": self.n_ctx_seq,
            "n_embd": int(llama_cpp.llama_model_n_embd_out(self.model)),
            "tool_format": self._tool_format,
        }

    # -- tokens -------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        data = text.encode("utf-8")
        capacity = len(data) + 16
        while True:
            buf = (llama_cpp.llama_token * capacity)()
            n = llama_cpp.llama_tokenize(self.vocab, data, len(data), buf, capacity, True, True)
            if n >= 0:
                return list(buf[:n])
            capacity = -n

    def tokenize_messages(self, messages: list[dict[str, Any]],
                          tools: ToolSettings | None = None) -> list[int]:
        if self.model is None:
            raise NoModelLoadedError("Load a model before chatting.")
        prompt = prepare(messages, tools, self._tool_format)
        return self.tokenize(self._render(prompt.messages, prompt.tools))

    def embed(self, rid: int, inputs: list[str | list[int]]) -> None:
        if self.model is None or self.options is None:
            raise NoModelLoadedError("Load a model before asking for embeddings.")
        if self.embedder is None:
            limit = min(self.options.n_ubatch, self.n_ctx_seq)
            self.embedder = Embedder(self.model, _context_params(self.options), limit,
                                     self.cancelled, self._embed_event)
        self.embedder.submit(rid, inputs, self.tokenize)

    # -- chat ---------------------------------------------------------------

    def chat(self, rid: int, messages: list[dict[str, Any]], sampling: SamplingSettings,
             tools: ToolSettings | None = None) -> None:
        """Fit the conversation into one sequence's context and hand it to the slots."""
        started = time.perf_counter()
        if self.model is None or self.slots is None:
            raise NoModelLoadedError("Load a model before chatting.")
        n_ctx = self.n_ctx_seq
        budget = reply_budget(n_ctx, sampling.max_tokens)
        prompt = prepare(messages, tools, self._tool_format)

        def render(kept: list[dict[str, Any]]) -> str:
            return self._render(kept, prompt.tools)

        kept, dropped, tokens = fit_messages(prompt.messages, lambda m: self.tokenize(render(m)),
                                             n_ctx - budget)
        if len(tokens) >= n_ctx:
            per = " per parallel sequence" if self.slots and len(self.slots.slots) > 1 else ""
            raise PromptTooLongError(
                f"The newest message needs {len(tokens)} tokens but the context holds "
                f"{n_ctx}{per}; shorten the message or load the model with a longer context.")
        limit = n_ctx - len(tokens)
        if sampling.max_tokens is not None:
            limit = min(limit, sampling.max_tokens)
        sampler = make_sampler(self.vocab, sampling, self.options.seed,  # type: ignore[union-attr]
                               prompt.grammar)
        self.slots.submit(Reply(
            rid, tokens, dropped=dropped, limit=limit, sampling=sampling,
            opens_thinking=prompt_opens_thinking(render(kept)), sampler=sampler,
            send=self._reply_event, started=started, tool_format=prompt.parse))


def _tools(request: dict[str, Any]) -> ToolSettings | None:
    raw = request.get("tools")
    return ToolSettings.from_dict(raw) if raw else None


def _context_params(options: LoadSettings) -> Any:
    """What every context of the load shares: threads, attention, KV cache types."""
    cparams = llama_cpp.llama_context_default_params()
    cparams.n_threads = cparams.n_threads_batch = options.threads or 1
    cparams.flash_attn_type = FLASH_ATTN_TYPES[options.flash_attn]
    cparams.type_k = KV_GGML_TYPES[options.type_k]
    cparams.type_v = KV_GGML_TYPES[options.type_v]
    cparams.no_perf = True
    return cparams


def _last_error(lines: Sequence[str]) -> str:
    for line in reversed(lines):
        text = line.strip()
        if text and ("error" in text.lower() or "failed" in text.lower()):
            return text
    return "no reason given in the log"


def _load_failure(path: str, lines: Sequence[str]) -> str:
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic != b"GGUF":
        return (f"{os.path.basename(path)} is not a GGUF model file; "
                "choose a .gguf file (the first part, for split models).")
    return (f"llama.cpp could not load {os.path.basename(path)}: {_last_error(lines)}. "
            "The file may be incomplete (download it again) or made for a newer llama.cpp.")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests-fd", type=int, required=True)
    parser.add_argument("--events-fd", type=int, required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the client decides when we stop
    log = LogCapture()
    llama_cpp.llama_log_set(log.callback, ctypes.c_void_p(0))
    llama_cpp.llama_backend_init()
    events = FrameWriter(args.events_fd)
    worker = Worker(events, log)
    threading.Thread(target=worker.read_requests, args=(args.requests_fd,),
                     name="requests", daemon=True).start()
    try:
        events.send({"ev": "ready", "id": -1, "pid": os.getpid(),
                     "llama_cpp_python": llama_cpp.__version__,
                     "system_info": llama_cpp.llama_print_system_info().decode(errors="replace")})
        worker.serve()
    except ChannelClosed:
        pass
    worker.unload()
    sys.stderr.flush()
    os._exit(0)  # skip interpreter teardown racing llama.cpp's threads and ctypes callbacks


if __name__ == "__main__":
    sys.exit(main())
