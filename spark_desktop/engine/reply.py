"""One chat request inside the worker: its prompt, its sampler and its streamed text.

The slot scheduler (engine.slots) feeds it tokens; this turns them into text
events (UTF-8 safe, stop strings held back, thinking split from the answer) and
the final "done" event with the reply's figures.
"""

from __future__ import annotations

import codecs
import json
import time
from collections.abc import Callable
from typing import Any

import llama_cpp

from spark_desktop.engine.errors import InvalidOptionsError, ToolSchemaError
from spark_desktop.engine.reasoning import ReasoningSplitter
from spark_desktop.engine.stops import StopMatcher
from spark_desktop.engine.tools import CallGrammar, ToolCallParser, ToolSettings, every_schema
from spark_desktop.inference_settings import SamplingSettings

DEFAULT_SEED = 0xFFFFFFFF
Send = Callable[..., None]


def make_sampler(vocab: Any, sampling: SamplingSettings, default_seed: int | None,
                 call: CallGrammar | None = None) -> Any:
    """A llama.cpp sampler chain of its own for each reply: penalties and the random
    state must not leak between sequences. A tool call's grammar (`call`) comes before
    the reply's JSON schema: a forced call is the whole reply."""
    grammar = None
    if call is not None:
        grammar = _grammar(vocab, call.schema, call.prefix, call.suffix)
    elif sampling.json_schema is not None:
        grammar = _grammar(vocab, sampling.json_schema)
    chain = llama_cpp.llama_sampler_chain_init(llama_cpp.llama_sampler_chain_default_params())
    add = llama_cpp.llama_sampler_chain_add
    if grammar is not None:  # first: only the tokens the grammar allows remain
        add(chain, grammar)
    if sampling.repeat_penalty != 1.0:
        add(chain, llama_cpp.llama_sampler_init_penalties(
            llama_cpp.llama_vocab_n_tokens(vocab), sampling.repeat_last_n,
            sampling.repeat_penalty, 0.0, 0.0))
    if sampling.temperature <= 0:
        add(chain, llama_cpp.llama_sampler_init_greedy())
        return chain
    seed = sampling.seed if sampling.seed is not None else default_seed
    add(chain, llama_cpp.llama_sampler_init_top_k(sampling.top_k))
    add(chain, llama_cpp.llama_sampler_init_top_p(sampling.top_p, 1))
    add(chain, llama_cpp.llama_sampler_init_min_p(sampling.min_p, 1))
    add(chain, llama_cpp.llama_sampler_init_temp(sampling.temperature))
    add(chain, llama_cpp.llama_sampler_init_dist(DEFAULT_SEED if seed is None else seed))
    return chain


def _grammar(vocab: Any, json_schema: str, prefix: str = "", suffix: str = "") -> Any:
    """A grammar sampler that holds the reply to a JSON schema (response_format, or a
    tool call), between a fixed prefix and suffix (a template's call markers)."""
    gbnf, root = call_gbnf(json_schema, prefix, suffix)
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode(), root.encode())
    if not sampler:
        raise InvalidOptionsError("llama.cpp could not parse the grammar of this JSON schema.")
    return sampler


def call_gbnf(json_schema: str, prefix: str = "", suffix: str = "") -> tuple[str, str]:
    """GBNF text and its root rule for a JSON schema wrapped in literal text."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        gbnf = json_schema_to_gbnf(json_schema)
    except Exception as exc:
        raise InvalidOptionsError(
            f"The JSON schema cannot be turned into a grammar: {exc}.") from exc
    if not prefix and not suffix:
        return gbnf, "root"
    body = " ".join([*([json.dumps(prefix)] if prefix else []), "root",
                     *([json.dumps(suffix)] if suffix else [])])
    return f"{gbnf}\ntool-call-envelope ::= {body}\n", "tool-call-envelope"


def check_tools(settings: ToolSettings) -> None:
    """Every tool's parameters must become a grammar: ToolSchemaError before any reply."""
    try:
        call_gbnf(every_schema(settings))
    except InvalidOptionsError as exc:
        raise ToolSchemaError(f"A tool's parameters cannot be enforced: {exc}") from exc


class Reply:
    """A request from the moment it is accepted until its "done" event."""

    def __init__(self, rid: int, prompt: list[int], *, dropped: int, limit: int,
                 sampling: SamplingSettings, opens_thinking: bool, sampler: Any,
                 send: Send, started: float, tool_format: str | None = None) -> None:
        self.rid = rid
        self.prompt = prompt
        self.dropped = dropped
        self.limit = limit
        self.ignore_eos = sampling.ignore_eos
        self.sampler = sampler
        self.stats = ReplyStats(started)
        self.cached = 0  # prompt tokens found in the slot's cache
        self.pending: int | None = None  # sampled, shown, not yet decoded
        self.generated: list[int] = []
        self._send = send
        self._stopper = StopMatcher(sampling.stop)
        self._splitter = ReasoningSplitter(start_in_reasoning=opens_thinking)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._calls = ToolCallParser(tool_format) if tool_format else None

    def send(self, event: str, **fields: Any) -> None:
        self._send({"ev": event, "id": self.rid, **fields})

    def feed(self, piece: bytes) -> bool:
        """Show a generated token's bytes; True when a stop string was reached."""
        text, hit = self._stopper.feed(self._decoder.decode(piece))
        self._emit(text)
        return hit

    def _emit(self, text: str) -> None:
        self._show(self._splitter.feed(text))

    def _show(self, pieces: Any) -> None:
        for kind, piece in pieces:
            self.stats.first_output()
            if kind == "reasoning":
                self.send("reasoning", text=piece)
            elif (shown := self._calls.feed(piece) if self._calls else piece):
                self.send("delta", text=shown)

    def finish(self, reason: str, error: str | None = None, stop_hit: bool = False) -> None:
        """Flush held-back text, send the tool calls, send "done", free the sampler."""
        if not stop_hit:  # held-back text was not a stop string after all
            self._emit(self._stopper.flush() + self._decoder.decode(b"", final=True))
        self._show(self._splitter.flush())
        if self._calls is not None:
            text, calls = self._calls.finish()
            if text:
                self.send("delta", text=text)
            for call in calls:
                self.send("tool_call", call_id=call.id, name=call.name, arguments=call.arguments)
            if calls and reason in ("stop", "length"):
                reason = "tool_calls"
        self.free()
        self.send("done", finish_reason=reason, prompt_tokens=len(self.prompt),
                  cached_tokens=self.cached, completion_tokens=len(self.generated),
                  dropped_messages=self.dropped, token_ids=self.generated, error=error,
                  **self.stats.figures())


    def free(self) -> None:
        if self.sampler is not None:
            llama_cpp.llama_sampler_free(self.sampler)
            self.sampler = None


class ReplyStats:
    """Timings of one reply, measured inside the worker."""

    def __init__(self, started: float) -> None:
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
