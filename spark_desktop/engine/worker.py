"""The engine's child process: the one place that runs llama.cpp.

Started by engine.client as `python -m spark_desktop.engine.worker --requests-fd R
--events-fd E`. It owns at most one model. Requests and events travel as frames
(engine.protocol) on the two inherited pipe descriptors; stdout and stderr go to
the worker log file, together with everything llama.cpp logs, so an abort's last
words are kept. A reader thread takes cancel requests while the main thread is
busy inside llama.cpp; cancellation is checked per token, inside llama_decode
(abort callback) and during the load (progress callback).
"""

from __future__ import annotations

import argparse
import codecs
import ctypes
import os
import queue
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import llama_cpp
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from spark_desktop.engine import rpc_devices
from spark_desktop.engine.context import fit_messages, reply_budget
from spark_desktop.engine.errors import (
    ChatTemplateError,
    EngineError,
    InvalidOptionsError,
    LoadCancelledError,
    ModelLoadError,
    NoModelLoadedError,
    PromptTooLongError,
)
from spark_desktop.engine.protocol import ChannelClosed, FrameWriter, read_frame
from spark_desktop.engine.reasoning import ReasoningSplitter, prompt_opens_thinking
from spark_desktop.engine.safe_mode import TEST_SIGILL_ENV
from spark_desktop.engine.stops import StopMatcher
from spark_desktop.inference_settings import LoadSettings, SamplingSettings

KV_GGML_TYPES = {"f16": llama_cpp.GGML_TYPE_F16, "q8_0": llama_cpp.GGML_TYPE_Q8_0,
                 "q4_0": llama_cpp.GGML_TYPE_Q4_0}
FLASH_ATTN_TYPES = {"auto": llama_cpp.LLAMA_FLASH_ATTN_TYPE_AUTO,
                    "on": llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED,
                    "off": llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED}
# Architectures whose chat format is certain even when the GGUF carries no template.
ARCH_TEMPLATES = {"gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma", "gemma3n": "gemma"}
DEFAULT_SEED = 0xFFFFFFFF


class LogCapture:
    """llama.cpp's log: every byte to our stderr (the log file), whole lines to a ring."""

    def __init__(self, keep: int = 20000) -> None:
        self.lines: deque[str] = deque(maxlen=keep)
        self.total = 0
        self._partial = ""
        self._lock = threading.Lock()
        self.callback = llama_cpp.llama_log_callback(self._on_log)

    def _on_log(self, level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        if not text:
            return
        try:
            os.write(2, text)
        except OSError:
            pass
        with self._lock:
            self._partial += text.decode("utf-8", errors="replace")
            *done, self._partial = self._partial.split("\n")
            self.lines.extend(done)
            self.total += len(done)

    def mark(self) -> int:
        """A position to take the lines logged after it."""
        with self._lock:
            return self.total

    def since(self, mark: int) -> list[str]:
        """Lines logged after `mark` (the newest `keep` of them, if the ring overflowed)."""
        with self._lock:
            count = min(self.total - mark, len(self.lines))
            return list(self.lines)[len(self.lines) - count:]


class Worker:
    """One model, one context, requests handled one at a time on the main thread."""

    def __init__(self, events: FrameWriter, log: LogCapture) -> None:
        self.events = events
        self.log = log
        self.requests: queue.Queue[dict[str, Any]] = queue.Queue()
        self.current_id = -1
        self.cancel_upto = -1
        self.model: Any = None
        self.ctx: Any = None
        self.vocab: Any = None
        self.options: LoadSettings | None = None
        self.kv_tokens: list[int] = []
        self.can_trim_kv = False
        self._render: Any = None
        self._loras: list[Any] = []
        self._progress_cb = llama_cpp.llama_progress_callback(self._on_progress)
        self._abort_cb = llama_cpp.ggml_abort_callback(lambda _data: self.cancelled())
        self._no_abort_cb = llama_cpp.ggml_abort_callback()  # NULL
        self._last_progress = -1.0

    # -- plumbing ---------------------------------------------------------

    def cancelled(self) -> bool:
        return self.cancel_upto >= self.current_id

    def send(self, event: str, **fields: Any) -> None:
        self.events.send({"ev": event, "id": self.current_id, **fields})

    def read_requests(self, fd: int) -> None:
        """Reader thread: cancels act at once, everything else queues for the main thread."""
        try:
            while True:
                message = read_frame(fd)
                if message.get("op") == "cancel":
                    self.cancel_upto = max(self.cancel_upto, int(message["id"]))
                else:
                    self.requests.put(message)
        except (ChannelClosed, OSError, ValueError):
            self.cancel_upto = 1 << 62
            self.requests.put({"op": "shutdown", "id": 1 << 62})

    def serve(self) -> None:
        while True:
            request = self.requests.get()
            self.current_id = int(request["id"])
            op = request["op"]
            if op == "shutdown":
                return
            try:
                if op == "load":
                    self.load(request["path"], LoadSettings.from_dict(request["options"]))
                elif op == "chat":
                    self.chat(request["messages"], SamplingSettings.from_dict(request["sampling"]))
                elif op == "count_tokens":
                    self.send("count", tokens=len(self.tokenize_messages(request["messages"])))
                else:
                    raise EngineError(f"The engine does not know the request {op!r}.")
            except EngineError as exc:
                self.send("error", type=type(exc).__name__, message=str(exc))
            except Exception as exc:  # noqa: BLE001 - report, stay alive: the next request may work
                self.send("error", type="EngineError",
                          message=f"The engine failed: {type(exc).__name__}: {exc}")

    # -- load ---------------------------------------------------------------

    def _on_progress(self, progress: float, _data: ctypes.c_void_p) -> bool:
        if progress - self._last_progress >= 0.01 or progress >= 1.0:
            self._last_progress = progress
            try:
                self.send("load_progress", fraction=round(float(progress), 4))
            except ChannelClosed:
                return False
        return not self.cancelled()

    def load(self, path: str, options: LoadSettings) -> None:
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
        mparams.progress_callback = self._progress_cb
        devices = rpc_devices.model_devices(options.rpc_peers)  # alive until the load returns
        if devices is not None:
            mparams.devices = ctypes.cast(devices, ctypes.c_void_p)
        split = rpc_devices.tensor_split(options.tensor_split)
        if split is not None:
            mparams.tensor_split = split
        self._last_progress = -1.0
        model = llama_cpp.llama_model_load_from_file(path.encode("utf-8"), mparams)
        if not model:
            if self.cancelled():
                raise LoadCancelledError("Loading was stopped.")
            raise ModelLoadError(_load_failure(path, self.log.since(mark)))
        self.model = model
        self.vocab = llama_cpp.llama_model_get_vocab(model)
        try:
            self._create_context(options, mark)
            self._render, template_name = self._choose_template(options.chat_template)
            self._warm_up(options)
        except BaseException:
            self.unload()
            raise
        self.options = options
        self.send("loaded", info=self._model_info(path, template_name),
                  load_seconds=time.perf_counter() - started, log_lines=self.log.since(mark))

    def _create_context(self, options: LoadSettings, mark: int) -> None:
        cparams = llama_cpp.llama_context_default_params()
        cparams.n_ctx = options.n_ctx
        cparams.n_batch = options.n_batch
        cparams.n_ubatch = options.n_ubatch
        cparams.n_threads = options.threads or 1
        cparams.n_threads_batch = options.threads or 1
        cparams.flash_attn_type = FLASH_ATTN_TYPES[options.flash_attn]
        cparams.type_k = KV_GGML_TYPES[options.type_k]
        cparams.type_v = KV_GGML_TYPES[options.type_v]
        cparams.no_perf = True
        ctx = llama_cpp.llama_init_from_model(self.model, cparams)
        if not ctx:
            raise ModelLoadError(
                "llama.cpp could not create a context with these settings "
                f"({_last_error(self.log.since(mark))}); try a shorter context, "
                "fewer GPU layers or a different KV cache type.")
        self.ctx = ctx
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
        # recurrent state cannot be cut back to a position; attention caches can
        # (sliding-window layers too: the default full-size SWA cache keeps every cell)
        self.can_trim_kv = not (llama_cpp.llama_model_is_recurrent(self.model)
                                or llama_cpp.llama_model_is_hybrid(self.model))
        self.kv_tokens = []

    def _warm_up(self, options: LoadSettings) -> None:
        """Run the CPU kernels once before the model is reported loaded: a machine that
        cannot execute them dies here (SIGILL), where the client can retry the load with a
        safe setting, instead of in the middle of the first reply."""
        fault = os.environ.get(TEST_SIGILL_ENV)
        if fault == "always" or (fault == "extra-bufts" and options.use_extra_bufts):
            os.kill(os.getpid(), signal.SIGILL)
        bos = llama_cpp.llama_vocab_bos(self.vocab)
        token = max(bos, 0)
        for n in (min(8, options.n_ubatch, options.n_ctx - 1), 1):  # a batch, then one token
            if self._decode([token] * n) != 0:
                break
        llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self.ctx), False)
        self.kv_tokens = []

    def unload(self) -> None:
        if self.ctx:
            llama_cpp.llama_free(self.ctx)
        for adapter in self._loras:
            llama_cpp.llama_adapter_lora_free(adapter)
        if self.model:
            llama_cpp.llama_model_free(self.model)
        self.ctx = self.model = self.vocab = None
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
        }

    # -- chat templates -----------------------------------------------------

    def _choose_template(self, override: str | None) -> tuple[Any, str]:
        """Override (a llama.cpp template name or Jinja text), else the GGUF's Jinja
        template, else the one llama.cpp knows for the architecture; never a guess."""
        builtin = _builtin_templates()
        if override and override.strip() in builtin:
            return _builtin_renderer(override.strip()), override.strip()
        if override:
            return self._jinja_renderer(override), "custom"
        embedded = llama_cpp.llama_model_chat_template(self.model, None)
        if embedded:
            return self._jinja_renderer(embedded.decode("utf-8", errors="replace")), "gguf"
        arch = self._meta("general.architecture")
        name = ARCH_TEMPLATES.get(arch)
        if name is None:
            raise ChatTemplateError(
                f"This model ({arch or 'unknown architecture'}) carries no chat template and "
                "llama.cpp knows none for its architecture. Set a chat template in the load "
                f"settings: a llama.cpp name ({', '.join(sorted(builtin)[:8])}, ...) or a Jinja "
                "template from the model's page.")
        return _builtin_renderer(name), name

    def _jinja_renderer(self, template: str) -> Any:
        vocab = llama_cpp.llama_model_get_vocab(self.model)
        bos_id, eos_id = llama_cpp.llama_vocab_bos(vocab), llama_cpp.llama_vocab_eos(vocab)
        bos = llama_cpp.llama_vocab_get_text(vocab, bos_id).decode() if bos_id >= 0 else ""
        eos = llama_cpp.llama_vocab_get_text(vocab, eos_id).decode() if eos_id >= 0 else ""
        try:
            formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
        except Exception as exc:
            raise ChatTemplateError(f"The chat template cannot be read: {exc}.") from exc
        adds_bos = bool(llama_cpp.llama_vocab_get_add_bos(vocab))

        def render(messages: list[dict[str, Any]]) -> str:
            try:
                prompt = formatter(messages=messages).prompt
            except Exception as exc:
                raise ChatTemplateError(f"The chat template failed on this conversation: {exc}.") from exc
            # the tokenizer adds BOS itself; a template's own BOS would double it
            if adds_bos and bos and prompt.startswith(bos):
                prompt = prompt[len(bos):]
            return prompt

        return render

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

    def tokenize_messages(self, messages: list[dict[str, Any]]) -> list[int]:
        if self.model is None:
            raise NoModelLoadedError("Load a model before chatting.")
        return self.tokenize(self._render(messages))

    def piece(self, token: int, buf: Any) -> bytes:
        n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, True)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, True)
        return buf.raw[:n]

    # -- chat ---------------------------------------------------------------

    def _prepare_kv(self, tokens: list[int]) -> int:
        """Reuse the cached prefix of the previous turn; returns tokens already in the cache."""
        keep = 0
        for old, new in zip(self.kv_tokens, tokens):
            if old != new:
                break
            keep += 1
        keep = min(keep, len(tokens) - 1)
        memory = llama_cpp.llama_get_memory(self.ctx)
        if keep < len(self.kv_tokens) and not (
                self.can_trim_kv and keep > 0
                and llama_cpp.llama_memory_seq_rm(memory, 0, keep, -1)):
            llama_cpp.llama_memory_clear(memory, False)
            keep = 0
        self.kv_tokens = self.kv_tokens[:keep]
        return keep

    def _decode(self, tokens: Sequence[int]) -> int:
        array = (llama_cpp.llama_token * len(tokens))(*tokens)
        rc = llama_cpp.llama_decode(self.ctx, llama_cpp.llama_batch_get_one(array, len(tokens)))
        if rc == 0:
            self.kv_tokens.extend(tokens)
        else:  # the cache may hold part of the batch: start clean next time
            llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(self.ctx), False)
            self.kv_tokens = []
        return rc

    def _sampler(self, sampling: SamplingSettings) -> Any:
        grammar = None if sampling.json_schema is None else self._grammar(sampling.json_schema)
        chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
        add = llama_cpp.llama_sampler_chain_add
        if grammar is not None:  # first: only the tokens the grammar allows remain
            add(chain, grammar)
        if sampling.repeat_penalty != 1.0:
            add(chain, llama_cpp.llama_sampler_init_penalties(
                llama_cpp.llama_vocab_n_tokens(self.vocab), sampling.repeat_last_n,
                sampling.repeat_penalty, 0.0, 0.0))
        if sampling.temperature <= 0:
            add(chain, llama_cpp.llama_sampler_init_greedy())
            return chain
        seed = sampling.seed if sampling.seed is not None else self.options.seed  # type: ignore[union-attr]
        add(chain, llama_cpp.llama_sampler_init_top_k(sampling.top_k))
        add(chain, llama_cpp.llama_sampler_init_top_p(sampling.top_p, 1))
        add(chain, llama_cpp.llama_sampler_init_min_p(sampling.min_p, 1))
        add(chain, llama_cpp.llama_sampler_init_temp(sampling.temperature))
        add(chain, llama_cpp.llama_sampler_init_dist(DEFAULT_SEED if seed is None else seed))
        return chain

    def _grammar(self, json_schema: str) -> Any:
        from llama_cpp.llama_grammar import json_schema_to_gbnf

        try:
            gbnf = json_schema_to_gbnf(json_schema)
        except Exception as exc:
            raise InvalidOptionsError(
                f"The JSON schema cannot be turned into a grammar: {exc}.") from exc
        sampler = llama_cpp.llama_sampler_init_grammar(self.vocab, gbnf.encode(), b"root")
        if not sampler:
            raise InvalidOptionsError(
                "llama.cpp could not parse the grammar of this JSON schema.")
        return sampler

    def chat(self, messages: list[dict[str, Any]], sampling: SamplingSettings) -> None:
        started = time.perf_counter()
        if self.model is None:
            raise NoModelLoadedError("Load a model before chatting.")
        n_ctx = int(llama_cpp.llama_n_ctx(self.ctx))
        budget = reply_budget(n_ctx, sampling.max_tokens)
        kept, dropped, tokens = fit_messages(messages, self.tokenize_messages, n_ctx - budget)
        if len(tokens) >= n_ctx:
            raise PromptTooLongError(
                f"The newest message needs {len(tokens)} tokens but the context holds {n_ctx}; "
                "shorten the message or load the model with a longer context.")
        splitter = ReasoningSplitter(start_in_reasoning=prompt_opens_thinking(self._render(kept)))
        stopper = StopMatcher(sampling.stop)
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        generated: list[int] = []
        stats = _Stats(started, len(tokens))
        finish, error, stop_hit = "length", None, False

        def emit(text: str) -> None:
            for kind, piece in splitter.feed(text):
                stats.first_output()
                self.send("reasoning" if kind == "reasoning" else "delta", text=piece)

        cached = self._prepare_kv(tokens)
        stats.prefill_started()
        # llama.cpp asks the abort callback after every graph node: worth it while a
        # big prompt batch runs for seconds, too costly per generated token (which
        # is checked between tokens instead).
        llama_cpp.llama_set_abort_callback(self.ctx, self._abort_cb, None)
        for start in range(cached, len(tokens), self.options.n_batch):  # type: ignore[union-attr]
            chunk = tokens[start:start + self.options.n_batch]  # type: ignore[union-attr]
            rc = self._decode(chunk)
            if rc != 0:
                finish = "cancelled" if self.cancelled() else "error"
                error = None if finish == "cancelled" else f"llama_decode failed ({rc}) on the prompt"
                break
            self.send("prefill", done=start + len(chunk), total=len(tokens))
        else:
            llama_cpp.llama_set_abort_callback(self.ctx, self._no_abort_cb, None)
            stats.prefill_done(len(tokens) - cached)
            limit = n_ctx - len(tokens)
            if sampling.max_tokens is not None:
                limit = min(limit, sampling.max_tokens)
            sampler = self._sampler(sampling)
            buf = ctypes.create_string_buffer(256)
            try:
                while len(generated) < limit:
                    if self.cancelled():
                        finish = "cancelled"
                        break
                    token = llama_cpp.llama_sampler_sample(sampler, self.ctx, -1)
                    if llama_cpp.llama_vocab_is_eog(self.vocab, token) and not sampling.ignore_eos:
                        finish = "stop"
                        break
                    generated.append(token)
                    stats.token()
                    text, hit_stop = stopper.feed(decoder.decode(self.piece(token, buf)))
                    emit(text)
                    if hit_stop:
                        finish, stop_hit = "stop", True
                        break
                    if len(generated) >= limit:
                        break
                    rc = self._decode((token,))
                    if rc != 0:
                        finish = "cancelled" if self.cancelled() else "error"
                        error = None if finish == "cancelled" else f"llama_decode failed ({rc})"
                        break
            finally:
                llama_cpp.llama_sampler_free(sampler)
        if not stop_hit:  # held-back text was not a stop string after all
            emit(stopper.flush() + decoder.decode(b"", final=True))
        for kind, piece in splitter.flush():
            self.send("reasoning" if kind == "reasoning" else "delta", text=piece)
        self.send("done", finish_reason=finish, prompt_tokens=len(tokens),
                  completion_tokens=len(generated), dropped_messages=dropped,
                  token_ids=generated, error=error, **stats.figures())


class _Stats:
    """Timings of one reply, measured inside the worker."""

    def __init__(self, started: float, prompt_tokens: int) -> None:
        self.started = started
        self.prefill_start = self.prefill_end = started
        self.prefilled = 0
        self.first_out: float | None = None
        self.first_token: float | None = None
        self.last_token: float | None = None
        self.tokens = 0

    def prefill_started(self) -> None:
        self.prefill_start = time.perf_counter()

    def prefill_done(self, evaluated: int) -> None:
        self.prefill_end = time.perf_counter()
        self.prefilled = evaluated

    def first_output(self) -> None:
        if self.first_out is None:
            self.first_out = time.perf_counter()

    def token(self) -> None:
        now = time.perf_counter()
        if self.first_token is None:
            self.first_token = now
        self.last_token = now
        self.tokens += 1

    def figures(self) -> dict[str, float]:
        prefill_s = self.prefill_end - self.prefill_start
        first = self.first_out or self.first_token
        decode_s = (self.last_token or 0.0) - (self.first_token or 0.0)
        return {
            "ttft_ms": (first - self.started) * 1000.0 if first else 0.0,
            "prefill_tps": self.prefilled / prefill_s if prefill_s > 0 else 0.0,
            "decode_tps": (self.tokens - 1) / decode_s if decode_s > 0 else 0.0,
        }


def _builtin_templates() -> set[str]:
    count = llama_cpp.llama_chat_builtin_templates(None, 0)
    names = (ctypes.c_char_p * count)()
    llama_cpp.llama_chat_builtin_templates(names, count)
    return {n.decode() for n in names if n}


def _builtin_renderer(name: str) -> Any:
    """Render with one of llama.cpp's own template implementations, by name."""

    def render(messages: list[dict[str, Any]]) -> str:
        encoded = [(m["role"].encode("utf-8"), str(m.get("content") or "").encode("utf-8"))
                   for m in messages]
        chat = (llama_cpp.llama_chat_message * len(encoded))(
            *(llama_cpp.llama_chat_message(role, content) for role, content in encoded))
        size = 2 * sum(len(r) + len(c) for r, c in encoded) + 256
        for _ in range(2):
            buf = ctypes.create_string_buffer(size)
            n = llama_cpp.llama_chat_apply_template(name.encode(), chat, len(encoded), True, buf, size)
            if n < 0:
                raise ChatTemplateError(f"llama.cpp's {name!r} template cannot render this conversation.")
            if n <= size:
                return buf.raw[:n].decode("utf-8", errors="replace")
            size = n + 1
        raise ChatTemplateError(f"llama.cpp's {name!r} template gave an inconsistent length.")

    return render


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
