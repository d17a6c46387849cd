"""Several models answering the same prompts, through the model host, measured here.

Before a turn the ledger decides: when every model fits in the pool beside what is
already loaded they run together (one thread each, all streaming at once), else one
after another, each unloaded again before the next is loaded (the plan's sentence
says so with the numbers). Each column keeps its own message history of the shared
prompts, so the conversation goes on. Events come from worker threads; the caller
(CLI, or the GUI's bridge) forwards them. Qt-free.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from spark_desktop.engine import ChatDone, ReasoningDelta, TextDelta
from spark_desktop.errors import SparkError
from spark_desktop.host import DoesNotFitError, ModelHost, UnknownModelError, catalog, ledger
from spark_desktop.inference_settings import LoadSettings, SamplingSettings

MIN_MODELS = 2
MAX_MODELS = 4


class CompareError(SparkError):
    """The comparison cannot run as asked."""


@dataclass(frozen=True)
class Plan:
    """Whether the models run together, and the numbers behind it (bytes)."""

    concurrent: bool
    models: tuple[str, ...]
    needed: tuple[int, ...]     # per model: what loading it adds (0 when already loaded)
    free: int
    pool: int

    def sentence(self) -> str:
        total = sum(self.needed)
        parts = ", ".join(f"{m} {_gib(n)}" for m, n in zip(self.models, self.needed,
                                                           strict=True))
        if self.concurrent:
            return (f"Running together: the models need {_gib(total)} ({parts}) and "
                    f"{_gib(self.free)} of the {_gib(self.pool)} pool is free.")
        return (f"Running one after another: together the models need {_gib(total)} "
                f"({parts}) but only {_gib(self.free)} of the {_gib(self.pool)} pool is free.")


@dataclass(frozen=True)
class ColumnResult:
    """One model's answer to a turn, with what it measured."""

    model: str
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    ttft_ms: float
    decode_tps: float
    memory: int              # bytes the host charged for the model while it answered
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "text": self.text, "finish_reason": self.finish_reason,
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "ttft_ms": round(self.ttft_ms, 2), "decode_tps": round(self.decode_tps, 2),
                "memory": self.memory}


@dataclass(frozen=True)
class Planned:
    plan: Plan


@dataclass(frozen=True)
class ColumnStarted:
    column: int
    model: str
    memory: int


@dataclass(frozen=True)
class ColumnText:
    column: int
    text: str


@dataclass(frozen=True)
class ColumnFinished:
    column: int
    result: ColumnResult


CompareEvent = Planned | ColumnStarted | ColumnText | ColumnFinished
OnEvent = Callable[[CompareEvent], None]


@dataclass(frozen=True)
class TurnOutcome:
    plan: Plan
    results: tuple[ColumnResult, ...]

    @property
    def concurrent(self) -> bool:
        return self.plan.concurrent


@dataclass
class Column:
    """One model's side of the comparison: its id and its own message history."""

    model: str
    messages: list[dict[str, str]] = field(default_factory=list)


class Comparison:
    """2–4 models, one shared prompt at a time; call run_turn from a worker thread."""

    def __init__(self, host: ModelHost, models: Sequence[str], *,
                 system_prompt: str | None = None,
                 sampling: SamplingSettings | None = None,
                 load: LoadSettings | Mapping[str, LoadSettings] | None = None) -> None:
        if not MIN_MODELS <= len(models) <= MAX_MODELS:
            raise CompareError(f"Compare {MIN_MODELS} to {MAX_MODELS} models; "
                               f"{len(models)} were given.")
        self.host = host
        self.system_prompt = system_prompt
        self.sampling = sampling or SamplingSettings()
        self._load = load
        known = host.available()
        ids = []
        for name in models:
            local = catalog.resolve(name, known)
            if local is None:
                raise UnknownModelError(name, tuple(known))
            ids.append(catalog.model_id(local))
        if len(set(ids)) != len(ids):
            raise CompareError("Each model may appear only once in a comparison.")
        self.columns = [Column(mid, [{"role": "system", "content": system_prompt}]
                               if system_prompt else []) for mid in ids]
        self._leases: list[Any] = []
        self._cancelled = threading.Event()

    @property
    def models(self) -> tuple[str, ...]:
        return tuple(c.model for c in self.columns)

    def load_settings(self, model: str) -> LoadSettings:
        if isinstance(self._load, Mapping):
            return self._load.get(model, self.host.settings.load_options)
        return self._load or self.host.settings.load_options

    def plan(self) -> Plan:
        """What loading each model adds to the ledger, and whether all of it fits now."""
        known = self.host.available()
        loaded = {e.id for e in self.host.loaded()}
        pool = self.host.ledger.pool
        needed = []
        for model in self.models:
            if model in loaded:
                needed.append(0)
                continue
            local = catalog.resolve(model, known)
            assert local is not None  # resolved when the comparison was made
            opts = replace(self.load_settings(model), n_seq=self.host.settings.slots).resolved()
            needed.append(ledger.estimated(local.path, opts, pool).total)
        free = self.host.ledger.free
        return Plan(sum(needed) <= free, self.models, tuple(needed), free, pool)

    def run_turn(self, prompt: str, on_event: OnEvent | None = None) -> TurnOutcome:
        """Every model answers `prompt` after its own history; blocks until all are done."""
        if not prompt.strip():
            raise CompareError("The prompt is empty: give the models something to answer.")
        emit = on_event or (lambda _event: None)
        self._cancelled.clear()
        before = {e.id for e in self.host.loaded()}  # models someone else loaded: kept
        plan = self.plan()
        if plan.concurrent:
            try:
                for model in self.models:  # one load at a time: the ledger checks each
                    self.host.load(model, self.load_settings(model))
            except DoesNotFitError:  # llama.cpp reported more than the estimate
                plan = replace(plan, concurrent=False)
        emit(Planned(plan))
        for column in self.columns:
            column.messages.append({"role": "user", "content": prompt})
        results: list[ColumnResult | None] = [None] * len(self.columns)

        def answer(i: int) -> None:
            unload = not plan.concurrent and self.columns[i].model not in before
            results[i] = self._answer(i, emit, unload_after=unload)

        if plan.concurrent:
            threads = [threading.Thread(target=answer, args=(i,), name=f"compare-{i}",
                                        daemon=True) for i in range(len(self.columns))]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        else:
            for model in self.models:  # make room: what this comparison loaded goes first
                if model not in before:
                    self.host.unload(model)
            for i in range(len(self.columns)):
                answer(i)
        done = tuple(r for r in results if r is not None)
        for column, result in zip(self.columns, done, strict=True):
            column.messages.append({"role": "assistant", "content": result.text})
        return TurnOutcome(plan, done)

    def cancel(self) -> None:
        """Stop every column's reply (kept as far as it got); any thread."""
        self._cancelled.set()
        for lease in list(self._leases):
            lease.cancel()

    def _answer(self, i: int, emit: OnEvent, unload_after: bool) -> ColumnResult:
        column = self.columns[i]
        text: list[str] = []
        memory = 0
        try:
            if self._cancelled.is_set():
                return _failed(column.model, "", "cancelled", 0, None)
            self.host.load(column.model, self.load_settings(column.model))
            memory = self.host.ledger.charges.get(column.model, 0)
            emit(ColumnStarted(i, column.model, memory))
            with self.host.acquire(column.model) as lease:
                self._leases.append(lease)
                try:
                    done = None
                    for event in lease.chat(column.messages, self.sampling):
                        if self._cancelled.is_set():  # stopped before this lease was listed
                            lease.cancel()
                        if isinstance(event, TextDelta):
                            text.append(event.text)
                            emit(ColumnText(i, event.text))
                        elif isinstance(event, ChatDone):
                            done = event
                        elif isinstance(event, ReasoningDelta):
                            continue
                finally:
                    self._leases.remove(lease)
            assert done is not None  # chat() always ends with ChatDone or raises
            result = ColumnResult(column.model, "".join(text), done.finish_reason,
                                  done.prompt_tokens, done.completion_tokens, done.ttft_ms,
                                  done.decode_tps, memory, done.error)
        except SparkError as exc:
            result = _failed(column.model, "".join(text), "error", memory, str(exc))
        finally:
            if unload_after:
                self.host.unload(column.model)
        emit(ColumnFinished(i, result))
        return result


def _failed(model: str, text: str, reason: str, memory: int, error: str | None) -> ColumnResult:
    return ColumnResult(model, text, reason, 0, 0, 0.0, 0.0, memory, error)


def _gib(n: int) -> str:
    return f"{n / 1024 ** 3:.2f} GiB"
