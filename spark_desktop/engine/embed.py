"""Embeddings in the worker: a second llama.cpp context on the loaded model.

The chat context keeps its slots and caches; this one, made on the first request,
has embeddings on, a unified KV cache that is cleared before every decode, and
the model's own pooling from its GGUF (mean pooling for a generative model, as
llama.cpp's embedding example does). A pooled sequence must sit in one
micro-batch, so an input may hold at most n_ubatch tokens (the size of the chat
context's compute buffer, which this context repeats); several inputs share one
llama_decode. Steps alternate with the chat steps, and beside running chats one
takes only a few inputs, so streams keep flowing. Vectors are L2-normalized
float32, as llama-server and OpenAI return them.
"""

from __future__ import annotations

import base64
import ctypes
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import llama_cpp
import numpy as np

from spark_desktop.engine.errors import InvalidOptionsError, ModelLoadError, PromptTooLongError
from spark_desktop.engine.protocol import ChannelClosed

EMBED_SEQS = 32  # inputs per llama_decode at most
BESIDE_CHATS = 64  # tokens per embedding step while chats stream (at least one input)


@dataclass
class _Job:
    """One request: its inputs as tokens, how far it got, the vectors it owes."""

    rid: int
    inputs: list[list[int]]
    taken: int = 0  # inputs handed to a decode
    finished: int = 0
    tokens: int = 0


def pooling_of(model: Any) -> int:
    """The GGUF's own pooling type, or mean pooling when it names none (generative models)."""
    buf = ctypes.create_string_buffer(128)
    size = llama_cpp.llama_model_meta_val_str(model, b"general.architecture", buf, len(buf))
    arch = buf.value if size >= 0 else b""
    size = llama_cpp.llama_model_meta_val_str(model, arch + b".pooling_type", buf, len(buf))
    pooling = int(buf.value) if size > 0 and buf.value.strip().isdigit() else -1
    if pooling == llama_cpp.LLAMA_POOLING_TYPE_RANK:
        raise InvalidOptionsError("This model is a reranker: it scores pairs of texts and "
                                  "gives no embeddings; load an embedding or chat model.")
    if pooling in (-1, llama_cpp.LLAMA_POOLING_TYPE_NONE):
        return llama_cpp.LLAMA_POOLING_TYPE_MEAN
    return pooling


class Embedder:
    """The worker's embedding requests in flight; step() runs one llama_decode for them."""

    def __init__(self, model: Any, cparams: Any, limit: int, cancelled: Callable[[int], bool],
                 send: Callable[..., None]) -> None:
        """`cparams`: the load's threads, attention and KV types; `limit`: tokens per input."""
        self.limit = max(1, limit)
        cparams.n_ctx = cparams.n_batch = cparams.n_ubatch = self.limit
        cparams.n_seq_max = EMBED_SEQS
        cparams.kv_unified = True  # sequences of any length share the cells
        cparams.embeddings = True
        cparams.pooling_type = pooling_of(model)
        self.ctx = llama_cpp.llama_init_from_model(model, cparams)
        if not self.ctx:
            raise ModelLoadError("llama.cpp could not create the embeddings context (see the "
                                 "engine log); free some memory, or load the model with a "
                                 "smaller micro-batch (n_ubatch).")
        self.n_embd = int(llama_cpp.llama_model_n_embd_out(model))
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(model)))
        self.memory = llama_cpp.llama_get_memory(self.ctx)
        self.batch = llama_cpp.llama_batch_init(self.limit, 0, 1)
        self.cancelled = cancelled
        self.send = send
        self.jobs: deque[_Job] = deque()
        self._batch_rids: list[int] = []
        self._abort_cb = llama_cpp.ggml_abort_callback(
            lambda _data: all(self.cancelled(rid) for rid in self._batch_rids))
        llama_cpp.llama_set_abort_callback(self.ctx, self._abort_cb, None)

    def busy(self) -> bool:
        return bool(self.jobs)

    def close(self) -> None:
        self.jobs.clear()
        llama_cpp.llama_batch_free(self.batch)
        llama_cpp.llama_free(self.ctx)

    def submit(self, rid: int, inputs: Sequence[str | list[int]],
               tokenize: Callable[[str], list[int]]) -> None:
        """Check every input before any work: empty, unknown token ids, too long."""
        if not inputs:
            raise InvalidOptionsError("Give at least one input to embed.")
        tokens: list[list[int]] = []
        for i, item in enumerate(inputs):
            ids = tokenize(item) if isinstance(item, str) and item else (
                [] if isinstance(item, str) else [int(t) for t in item])
            if not ids:
                raise InvalidOptionsError(f"Input {i} is empty; give text or token ids to embed.")
            bad = next((t for t in ids if not 0 <= t < self.n_vocab), None)
            if bad is not None:
                raise InvalidOptionsError(f"Input {i} holds the token id {bad}, but this model's "
                                          f"ids run from 0 to {self.n_vocab - 1}.")
            if len(ids) > self.limit:
                raise PromptTooLongError(
                    f"Input {i} has {len(ids)} tokens but this model embeds at most "
                    f"{self.limit} tokens per input (one micro-batch of its load); shorten or "
                    "split it, or load the model with a larger micro-batch (n_ubatch).")
            tokens.append(ids)
        self.jobs.append(_Job(rid, tokens, tokens=sum(map(len, tokens))))

    def step(self, beside_chats: bool) -> None:
        """Decode the next inputs of the waiting requests (oldest first) in one batch; a
        failure ends the requests in flight, never the worker."""
        try:
            self._step(beside_chats)
        except ChannelClosed:
            raise
        except Exception as exc:  # noqa: BLE001 - reported to each request
            for job in self.jobs:
                self.send(job.rid, "error", type="EngineError",
                          message=f"The engine failed: {type(exc).__name__}: {exc}")
            self.jobs.clear()

    def _step(self, beside_chats: bool) -> None:
        for job in [job for job in self.jobs if self.cancelled(job.rid)]:
            self.jobs.remove(job)
            self.send(job.rid, "cancelled")  # nobody listens: it closes the worker's books
        budget = BESIDE_CHATS if beside_chats else self.limit
        seated: list[tuple[_Job, int]] = []  # (job, input index), sequence id = position
        n = 0
        for job in self.jobs:
            while job.taken < len(job.inputs) and len(seated) < EMBED_SEQS:
                ids = job.inputs[job.taken]
                if seated and n + len(ids) > budget:
                    break
                for pos, token in enumerate(ids):
                    self._put(n + pos, token, pos, len(seated))
                n += len(ids)
                seated.append((job, job.taken))
                job.taken += 1
            if job.taken < len(job.inputs):
                break
        if not seated:
            return
        self.batch.n_tokens = n
        self._batch_rids = list({job.rid for job, _i in seated})
        llama_cpp.llama_memory_clear(self.memory, True)
        rc = llama_cpp.llama_decode(self.ctx, self.batch)
        for job in {id(job): job for job, _i in seated}.values():
            if self.cancelled(job.rid):
                self.jobs.remove(job)
                self.send(job.rid, "cancelled")
            elif rc != 0:
                self.jobs.remove(job)
                self.send(job.rid, "error", type="EngineError",
                          message=f"llama_decode failed ({rc}) while embedding.")
        items: dict[int, list[tuple[int, str]]] = {}
        for seq, (job, index) in enumerate(seated):
            if job in self.jobs:
                items.setdefault(id(job), []).append((index, self._vector(seq)))
        for job in list(self.jobs):
            done = items.get(id(job))
            if done is None:
                continue
            job.finished += len(done)
            self.send(job.rid, "embedding", items=done)
            if job.finished == len(job.inputs):
                self.jobs.remove(job)
                self.send(job.rid, "embedded", prompt_tokens=job.tokens)

    def _put(self, i: int, token: int, pos: int, seq: int) -> None:
        batch = self.batch
        batch.token[i] = token
        batch.pos[i] = pos
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = seq
        batch.logits[i] = True

    def _vector(self, seq: int) -> str:
        """Sequence `seq`'s pooled vector, L2-normalized, as base64 of float32 (exact, small)."""
        pointer = llama_cpp.llama_get_embeddings_seq(self.ctx, seq)
        vector = np.ctypeslib.as_array(pointer, shape=(self.n_embd,)).astype(np.float64)
        norm = float(np.sqrt(np.dot(vector, vector)))
        unit = (vector / norm if norm > 0 else vector).astype("<f4")
        return base64.b64encode(unit.tobytes()).decode("ascii")
