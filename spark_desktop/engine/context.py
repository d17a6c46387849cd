"""Fit a conversation into the context window by dropping its oldest turns.

Pure: the caller supplies how a list of messages becomes prompt tokens.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Message = dict[str, Any]


def reply_budget(n_ctx: int, max_tokens: int | None) -> int:
    """Tokens kept free for the reply when deciding what to drop: the asked-for
    maximum, else a quarter of the context, never more than half of it."""
    wanted = max_tokens if max_tokens is not None else n_ctx // 4
    return max(1, min(wanted, n_ctx // 2))


RAW_ROLE = "raw"  # a message list [{"role": RAW_ROLE, "content": text}]: text as it is


def raw_prompt(text: str) -> list[dict[str, str]]:
    """The message list that asks for `text` itself as the prompt, no template around it
    (a text completion, as /v1/completions means it)."""
    return [{"role": RAW_ROLE, "content": text}]


def fit_messages(messages: Sequence[Message], tokenize: Callable[[list[Message]], list[int]],
                 limit: int) -> tuple[list[Message], int, list[int]]:
    """Keep the leading system messages and the newest turns whose prompt fits `limit`.

    Turns are dropped whole from the oldest end so the kept part starts with a user
    message. Returns (kept messages, number dropped, prompt tokens). When nothing
    fits, returns the smallest conversation (system + newest user turn) and its
    tokens, and the caller decides whether that is still usable.
    """
    messages = list(messages)
    head = 0
    while head < len(messages) and messages[head].get("role") == "system":
        head += 1
    system, rest = messages[:head], messages[head:]
    cuts = [0] + [k for k in range(1, len(rest)) if rest[k].get("role") == "user"]
    if len(rest) > 1 and rest[-1].get("role") != "user":
        cuts = [k for k in cuts if k < len(rest) - 1] or [0]

    def attempt(k: int) -> tuple[list[Message], list[int]]:
        kept = system + rest[cuts[k]:]
        return kept, tokenize(kept)

    kept, tokens = attempt(0)
    if len(tokens) <= limit:
        return kept, 0, tokens
    lo, hi = 1, len(cuts) - 1
    best = (len(cuts) - 1, *attempt(len(cuts) - 1)) if len(cuts) > 1 else (0, kept, tokens)
    while lo <= hi and len(cuts) > 1:
        mid = (lo + hi) // 2
        kept, tokens = attempt(mid)
        if len(tokens) <= limit:
            best = (mid, kept, tokens)
            hi = mid - 1
        else:
            lo = mid + 1
    index, kept, tokens = best
    return kept, cuts[index], tokens
