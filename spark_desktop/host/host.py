"""The model host: every loaded model, one engine client each, shared by GUI, CLI and server.

It keeps the memory ledger (a load that would not fit beside the others is refused
with the numbers, or evicts the least recently used idle model when allowed), loads
a model on demand when a request names one that is on disk, hands out slots in
order, and unloads models that sat idle for too long. Embeddings take no chat slot:
the worker computes them in a context of their own beside the chats (host.embed).
Qt-free and thread-safe.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Self

from spark_desktop import paths
from spark_desktop.engine import (
    ChatDone,
    ChatEvent,
    ChatStream,
    Client,
    EmbeddingResult,
    LoadedModel,
    ToolSettings,
    WorkerDiedError,
)
from spark_desktop.host import catalog, ledger
from spark_desktop.host.catalog import ModelEntry, Scan
from spark_desktop.host.errors import ModelBusyError, UnknownModelError
from spark_desktop.host.slots import Slots
from spark_desktop.inference_settings import LoadSettings, SamplingSettings

Message = dict[str, Any]
DEFAULT_IDLE_UNLOAD_S = 60 * 60
DEFAULT_QUEUE_LIMIT = 16
RECENT = 100


@dataclass
class _Model:
    id: str
    path: Path
    client: Client
    loaded: LoadedModel
    slots: Slots
    last_used: float
    users: int = 0          # leases running or waiting for a slot


@dataclass(frozen=True)
class Finished:
    """One answered request, for a live request log (newest last in ModelHost.recent())."""

    model_id: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    decode_tps: float
    ttft_ms: float


@dataclass(frozen=True)
class HostSettings:
    """How the host behaves; None pool means "what this machine offers"."""

    pool_bytes: int | None = None
    idle_unload_s: float | None = DEFAULT_IDLE_UNLOAD_S  # None: never
    evict_lru: bool = False
    slots: int = 1
    queue_limit: int = DEFAULT_QUEUE_LIMIT
    load_options: LoadSettings = field(default_factory=LoadSettings)


class Lease:
    """One request's hold on a slot of a model; release it (or use `with`) when done."""

    def __init__(self, host: ModelHost, model: _Model) -> None:
        self._host = host
        self._model = model
        self._released = False
        self._stream: ChatStream | None = None

    @property
    def model_id(self) -> str:
        return self._model.id

    @property
    def loaded(self) -> LoadedModel:
        return self._model.loaded

    def count_tokens(self, messages: Sequence[Message],
                     tools: ToolSettings | None = None) -> int:
        return self._guard(lambda: self._model.client.count_tokens(messages, tools))

    def chat(self, messages: Sequence[Message], sampling: SamplingSettings | None = None,
             tools: ToolSettings | None = None) -> Iterator[ChatEvent]:
        """Stream one reply (see engine.Client.chat); a dead worker drops the model."""
        events = self._guard(lambda: self._model.client.chat(messages, sampling, tools))
        self._stream = events
        try:
            for event in events:
                if isinstance(event, ChatDone):
                    self._host._finished(Finished(
                        self._model.id, event.finish_reason, event.prompt_tokens,
                        event.completion_tokens, event.decode_tps, event.ttft_ms))
                yield event
        except WorkerDiedError:
            self._host._forget(self._model)
            raise
        finally:
            events.close()  # type: ignore[attr-defined]

    def cancel(self) -> None:
        """Stop this lease's reply at once (the model's other slots go on); any thread."""
        stream = self._stream
        if stream is not None:
            stream.cancel()

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._host._release(self._model)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _guard(self, call: Callable[[], Any]) -> Any:
        try:
            return call()
        except WorkerDiedError:
            self._host._forget(self._model)
            raise


class ModelHost:
    def __init__(self, settings: HostSettings | None = None, *, scan: Scan | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings or HostSettings()
        pool = self.settings.pool_bytes
        self.ledger = ledger.Ledger(pool if pool is not None else ledger.machine_pool())
        self._scan = scan
        self._clock = clock
        self._models: dict[str, _Model] = {}
        self._lock = threading.RLock()        # the map, the ledger and the use counts
        self._load_lock = threading.Lock()    # one load at a time: the ledger stays honest
        self._closed = threading.Event()
        self._reaper: threading.Thread | None = None
        self._recent: deque[Finished] = deque(maxlen=RECENT)

    # -- what there is ------------------------------------------------------

    def available(self) -> dict[str, Any]:
        from spark_desktop.library import scan

        return catalog.index((self._scan or scan)())

    def models(self) -> tuple[ModelEntry, ...]:
        """Every model on disk, and every loaded one (even if its file is not in the library)."""
        with self._lock:
            loaded = dict(self._models)
        entries = {}
        for mid, local in self.available().items():
            entries[mid] = ModelEntry(id=mid, path=local.path, size=local.size,
                                      quant=local.quant, repo=local.repo)
        for mid, m in loaded.items():
            base = entries.get(mid) or ModelEntry(id=mid, path=m.path, size=0, quant="",
                                                  repo=None)
            entries[mid] = ModelEntry(
                id=mid, path=base.path, size=base.size, quant=base.quant, repo=base.repo,
                loaded=True, memory=self.ledger.charges.get(mid, 0),
                n_ctx=m.loaded.info.n_ctx, busy=m.users, notes=m.loaded.notes,
                template_tools=m.loaded.info.tool_format != "generic")
        return tuple(sorted(entries.values(), key=lambda e: e.id.lower()))

    def loaded(self) -> tuple[ModelEntry, ...]:
        return tuple(e for e in self.models() if e.loaded)

    def recent(self) -> tuple[Finished, ...]:
        """The last requests answered, oldest first."""
        with self._lock:
            return tuple(self._recent)

    def _finished(self, record: Finished) -> None:
        with self._lock:
            self._recent.append(record)

    # -- loading ------------------------------------------------------------

    def load(self, name: str, options: LoadSettings | None = None) -> ModelEntry:
        """Load a model (no-op when loaded): checked against the ledger first."""
        model = self._ensure(name, options)
        return next(e for e in self.loaded() if e.id == model.id)

    def _ensure(self, name: str, options: LoadSettings | None = None) -> _Model:
        with self._lock:
            if name in self._models:
                return self._models[name]
        with self._load_lock:
            known = self.available()
            local = catalog.resolve(name, known)
            if local is None:
                with self._lock:  # a loaded model whose file left the library
                    if name in self._models:
                        return self._models[name]
                raise UnknownModelError(name, tuple(known))
            mid = catalog.model_id(local)
            with self._lock:
                if mid in self._models:
                    return self._models[mid]
            # one KV sequence per slot, so the slots decode together (continuous batching)
            opts = replace(options or self.settings.load_options,
                           n_seq=self.settings.slots).resolved()
            planned = ledger.estimated(local.path, opts, self.ledger.pool)
            self._make_room(mid, planned.total)
            client = Client(log_path=paths.model_engine_log_path(mid))
            try:
                loaded = client.load(local.path, opts)
            except BaseException:
                client.close()
                raise
            model = _Model(id=mid, path=local.path, client=client, loaded=loaded,
                           slots=Slots(mid, self.settings.slots, self.settings.queue_limit),
                           last_used=self._clock())
            with self._lock:
                self._models[mid] = model
                self.ledger.charge(mid, ledger.reported_cost(loaded, planned))
            return model

    def _make_room(self, model_id: str, cost: int) -> None:
        """Refuse with the numbers, or (when allowed) unload idle models, oldest use first."""
        with self._lock:
            if self.ledger.fits(cost):
                return
            idle = sorted((m for m in self._models.values() if m.users == 0),
                          key=lambda m: m.last_used)
            victims: list[_Model] = []
            if self.settings.evict_lru:
                for m in idle:
                    victims.append(m)
                    if self.ledger.fits(cost, without=tuple(v.id for v in victims)):
                        break
            if not victims or not self.ledger.fits(cost, without=tuple(v.id for v in victims)):
                raise self.ledger.refuse(model_id, cost)
            for m in victims:
                self._drop(m)
        for m in victims:
            m.client.close()

    def unload(self, name: str) -> None:
        """Give a model's memory back; refused while a request uses it."""
        with self._lock:
            model = self._models.get(name)
            if model is None:
                return
            if model.users:
                raise ModelBusyError(f"{name} is answering {model.users} requests; unload it "
                                     "when they are done.")
            self._drop(model)
        model.client.close()

    # -- requests -----------------------------------------------------------

    def acquire(self, name: str, abandon: threading.Event | None = None) -> Lease:
        """A slot of the named model, loading it first if it is on disk (JIT).
        Raises UnknownModelError, DoesNotFitError, QueueFullError or AbandonedError."""
        model = self._use(name)
        try:
            model.slots.acquire(abandon)
        except BaseException:
            self._release(model, slot=False)
            raise
        return Lease(self, model)

    def embed(self, name: str, inputs: Sequence[str | Sequence[int]],
              abandon: threading.Event | None = None) -> EmbeddingResult:
        """Embeddings from the named model (see engine.Client.embed), loading it first if it
        is on disk (JIT); the model counts as in use, so it is not unloaded meanwhile."""
        model = self._use(name)
        try:
            return model.client.embed(inputs, abandon)
        except WorkerDiedError:
            self._forget(model)
            raise
        finally:
            self._release(model, slot=False)

    def _use(self, name: str) -> _Model:
        """The named model, loaded if needed, with one more user (release with _release)."""
        while True:
            model = self._ensure(name)
            with self._lock:
                if self._models.get(model.id) is not model:
                    continue  # unloaded between the load and now: load it again
                model.users += 1
                model.last_used = self._clock()
                return model

    def _release(self, model: _Model, slot: bool = True) -> None:
        if slot:
            model.slots.release()
        with self._lock:
            model.users -= 1
            model.last_used = self._clock()

    def _forget(self, model: _Model) -> None:
        """A worker died: drop the model so the next request loads it afresh."""
        with self._lock:
            if self._models.get(model.id) is model:
                self._drop(model)

    def _drop(self, model: _Model) -> None:
        self._models.pop(model.id, None)
        self.ledger.release(model.id)

    # -- idle unload --------------------------------------------------------

    def sweep(self) -> tuple[str, ...]:
        """Unload every model idle for longer than the setting; returns their ids."""
        ttl = self.settings.idle_unload_s
        if ttl is None:
            return ()
        now = self._clock()
        with self._lock:
            stale = [m for m in self._models.values()
                     if m.users == 0 and now - m.last_used >= ttl]
            for m in stale:
                self._drop(m)
        for m in stale:
            m.client.close()
        return tuple(m.id for m in stale)

    def start_reaper(self, every_s: float = 30.0) -> None:
        """Sweep in the background until close()."""
        def run() -> None:
            while not self._closed.wait(every_s):
                self.sweep()

        if self._reaper is None:
            self._reaper = threading.Thread(target=run, name="host-reaper", daemon=True)
            self._reaper.start()

    def close(self) -> None:
        self._closed.set()
        with self._lock:
            models = list(self._models.values())
            for m in models:
                self._drop(m)
        for m in models:
            m.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
