"""Continuous batching: up to n_seq replies share one llama_decode per step.

Each slot is one llama.cpp sequence (its own KV stream, kv_unified off) and
keeps the tokens its cache holds after a reply ends, so the chat's next turn, or
another chat with the same beginning, re-evaluates only what is new. A step puts
the next token of every generating reply and a bounded chunk of each new prompt
into one batch, so a prompt arriving mid-stream never stalls the running streams
for longer than one micro-batch. Requests beyond the slots wait in FIFO order.
"""

from __future__ import annotations

import ctypes
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import llama_cpp

from spark_desktop.engine.reply import Reply

MIN_PREFILL_CHUNK = 16  # prompt tokens per step even when many streams are decoding


class Slot:
    """One sequence of the context and what its KV cache holds."""

    def __init__(self, seq: int) -> None:
        self.seq = seq
        self.tokens: list[int] = []
        self.reply: Reply | None = None
        self.used = 0.0


def common_prefix(cached: list[int], prompt: list[int]) -> int:
    n = 0
    for old, new in zip(cached, prompt):
        if old != new:
            break
        n += 1
    return n


def _score(slot: Slot, prompt: list[int]) -> tuple[int, float]:
    """Rank a free slot for a prompt: shared prefix first (counted only when reuse keeps
    at least half of what the slot holds), then the least recently used."""
    shared = common_prefix(slot.tokens, prompt)
    return (shared if 2 * shared >= len(slot.tokens) else 0), -slot.used


class Scheduler:
    """The worker's replies in flight; step() runs one llama_decode for all of them."""

    def __init__(self, ctx: Any, vocab: Any, *, n_seq: int, n_batch: int, n_ubatch: int,
                 can_trim: bool, cancelled: Callable[[int], bool]) -> None:
        self.ctx = ctx
        self.vocab = vocab
        self.memory = llama_cpp.llama_get_memory(ctx)
        self.n_batch = n_batch
        self.n_ubatch = n_ubatch
        self.can_trim = can_trim
        self.cancelled = cancelled
        self.slots = [Slot(seq) for seq in range(n_seq)]
        self.waiting: deque[Reply] = deque()
        self.batch = llama_cpp.llama_batch_init(n_batch, 0, 1)
        self._piece = ctypes.create_string_buffer(256)
        self._batch_rids: list[int] = []
        # llama.cpp asks the abort callback after every graph node: worth it while a
        # prompt chunk runs for seconds, too costly per generated token (checked
        # between steps instead). It aborts only when every reply in the batch is cancelled.
        self._abort_cb = llama_cpp.ggml_abort_callback(lambda _data: self._all_cancelled())
        self._no_abort_cb = llama_cpp.ggml_abort_callback()  # NULL

    def busy(self) -> bool:
        return bool(self.waiting) or any(slot.reply for slot in self.slots)

    def submit(self, reply: Reply) -> None:
        self.waiting.append(reply)
        self._assign()

    def close(self) -> None:
        """Free the batch and the samplers, silently: the process is ending."""
        for reply in [*self.waiting, *(slot.reply for slot in self.slots if slot.reply)]:
            reply.free()
        self.waiting.clear()
        for slot in self.slots:
            slot.reply = None
        llama_cpp.llama_batch_free(self.batch)

    def finish_all(self, reason: str, error: str | None = None) -> None:
        while self.waiting:
            self.waiting.popleft().finish(reason, error)
        for slot in self.slots:
            if slot.reply is not None:
                self._finish(slot, reason, error)

    # -- slots ----------------------------------------------------------------

    def _assign(self) -> None:
        """Give waiting replies free slots: the longest reusable cached prefix, else
        the least recently used slot (so other chats' caches survive longest)."""
        while self.waiting:
            reply = self.waiting[0]
            if self.cancelled(reply.rid):
                self.waiting.popleft().finish("cancelled")
                continue
            free = [slot for slot in self.slots if slot.reply is None]
            if not free:
                return
            self.waiting.popleft()
            slot = max(free, key=lambda slot: _score(slot, reply.prompt))
            reply.cached = self._reuse(slot, reply.prompt)
            reply.stats.prefill_started()
            slot.reply = reply

    def _reuse(self, slot: Slot, prompt: list[int]) -> int:
        """Cut the slot's cache back to what the prompt shares; returns tokens kept."""
        keep = min(common_prefix(slot.tokens, prompt), len(prompt) - 1)
        if keep < len(slot.tokens) and not (
                self.can_trim and keep > 0
                and llama_cpp.llama_memory_seq_rm(self.memory, slot.seq, keep, -1)):
            llama_cpp.llama_memory_seq_rm(self.memory, slot.seq, -1, -1)
            keep = 0
        del slot.tokens[keep:]
        return keep

    def _finish(self, slot: Slot, reason: str, error: str | None = None,
                stop_hit: bool = False) -> None:
        reply, slot.reply = slot.reply, None
        assert reply is not None
        slot.used = time.monotonic()
        reply.finish(reason, error, stop_hit)

    def _all_cancelled(self) -> bool:
        return all(self.cancelled(rid) for rid in self._batch_rids)

    # -- one step -------------------------------------------------------------

    def step(self) -> None:
        """Drop cancelled replies, seat waiting ones, decode one batch, sample."""
        for slot in self.slots:
            if slot.reply is not None and self.cancelled(slot.reply.rid):
                self._finish(slot, "cancelled")
        self._assign()
        active = [slot for slot in self.slots if slot.reply is not None]
        for slot in active:  # a zero-token budget ends before any decode
            if slot.reply.limit <= 0 and slot.reply.pending is None:  # type: ignore[union-attr]
                self._finish(slot, "length")
        entries = self._fill([slot for slot in active if slot.reply is not None])
        if not entries:
            return
        prompt_chunk = any(out < 0 or len(tokens) > 1 for _slot, tokens, out in entries)
        if prompt_chunk:
            self._batch_rids = [slot.reply.rid for slot, _t, _o in entries]  # type: ignore[union-attr]
            llama_cpp.llama_set_abort_callback(self.ctx, self._abort_cb, None)
        rc = llama_cpp.llama_decode(self.ctx, self.batch)
        if prompt_chunk:
            llama_cpp.llama_set_abort_callback(self.ctx, self._no_abort_cb, None)
        if rc != 0:
            self._failed(entries, rc)
            return
        now = time.monotonic()
        for slot, tokens, out in entries:
            reply = slot.reply
            assert reply is not None
            slot.tokens.extend(tokens)
            slot.used = now
            if reply.pending is None:  # a prompt chunk
                reply.send("prefill", done=len(slot.tokens), total=len(reply.prompt))
                if out < 0:
                    continue
                reply.stats.prefill_done(len(reply.prompt) - reply.cached)
            reply.pending = None
            self._next_token(slot, reply, out)

    def _fill(self, active: list[Slot]) -> list[tuple[Slot, list[int], int]]:
        """Write this step's batch: (slot, its tokens, batch index of its logits or -1)."""
        batch = self.batch
        entries: list[tuple[Slot, list[int], int]] = []
        n = 0
        decoding = [slot for slot in active if slot.reply.pending is not None]  # type: ignore[union-attr]
        for slot in decoding:
            token = slot.reply.pending  # type: ignore[union-attr]
            self._put(n, token, len(slot.tokens), slot.seq, True)
            entries.append((slot, [token], n))  # type: ignore[list-item]
            n += 1
        # alone, a prompt takes whole n_batch chunks (as fast as a single sequence can
        # be); beside running streams, what fits one micro-batch with their tokens
        budget = self.n_batch if not decoding else min(
            max(self.n_ubatch - n, MIN_PREFILL_CHUNK), self.n_batch - n)
        prefilling = sorted((slot for slot in active if slot.reply.pending is None),  # type: ignore[union-attr]
                            key=lambda slot: slot.reply.rid)  # type: ignore[union-attr]
        for slot in prefilling:
            if budget <= 0:
                break
            prompt = slot.reply.prompt  # type: ignore[union-attr]
            start = len(slot.tokens)
            chunk = prompt[start:start + budget]
            last = start + len(chunk) == len(prompt)
            for i, token in enumerate(chunk):
                self._put(n + i, token, start + i, slot.seq, last and i == len(chunk) - 1)
            entries.append((slot, chunk, n + len(chunk) - 1 if last else -1))
            n += len(chunk)
            budget -= len(chunk)
        batch.n_tokens = n
        return entries

    def _put(self, i: int, token: int, pos: int, seq: int, logits: bool) -> None:
        batch = self.batch
        batch.token[i] = token
        batch.pos[i] = pos
        batch.n_seq_id[i] = 1
        batch.seq_id[i][0] = seq
        batch.logits[i] = logits

    def _next_token(self, slot: Slot, reply: Reply, out: int) -> None:
        """Sample the slot's next token from batch row `out` and stream it."""
        if self.cancelled(reply.rid):
            self._finish(slot, "cancelled")
            return
        token = llama_cpp.llama_sampler_sample(reply.sampler, self.ctx, out)
        if llama_cpp.llama_vocab_is_eog(self.vocab, token) and not reply.ignore_eos:
            self._finish(slot, "stop")
            return
        reply.generated.append(token)
        reply.stats.token()
        if reply.feed(self._token_bytes(token)):
            self._finish(slot, "stop", stop_hit=True)
        elif len(reply.generated) >= reply.limit:
            self._finish(slot, "length")
        else:
            reply.pending = token

    def _token_bytes(self, token: int) -> bytes:
        buf = self._piece
        n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, True)
        if n < 0:
            buf = ctypes.create_string_buffer(-n)
            n = llama_cpp.llama_token_to_piece(self.vocab, token, buf, len(buf), 0, True)
        return buf.raw[:n]

    def _failed(self, entries: list[tuple[Slot, list[int], int]], rc: int) -> None:
        """A failed or aborted decode may leave part of the batch in the cache: cut
        every sequence of the batch back to where this step began."""
        for slot, _tokens, _out in entries:
            if not llama_cpp.llama_memory_seq_rm(self.memory, slot.seq, len(slot.tokens), -1):
                llama_cpp.llama_memory_seq_rm(self.memory, slot.seq, -1, -1)
                slot.tokens.clear()
            reply = slot.reply
            assert reply is not None
            if self.cancelled(reply.rid):
                self._finish(slot, "cancelled")
            else:
                where = " on the prompt" if reply.pending is None else ""
                self._finish(slot, "error", f"llama_decode failed ({rc}){where}")
