"""A comparison written out whole: JSON with every column's messages and the votes, or
Markdown that shows each turn's prompt followed by every model's answer and figures."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Final

from spark_desktop.history.exchange import conversation_to_dict, message_to_dict

if TYPE_CHECKING:
    from spark_desktop.history.store import HistoryStore

FORMAT: Final = "spark-desktop-comparisons"
FORMAT_VERSION: Final = 1


def comparison_to_dict(store: HistoryStore, comparison_id: str) -> dict[str, Any]:
    saved = store.comparisons.get(comparison_id)
    votes = store.comparisons.votes(comparison_id)
    return {
        "id": saved.id, "title": saved.title, "created_at": saved.created_at.isoformat(),
        "updated_at": saved.updated_at.isoformat(), "system_prompt": saved.system_prompt,
        "settings": dict(saved.settings), "models": list(saved.models),
        "columns": [conversation_to_dict(store.get_conversation(conv), store.all_messages(conv))
                    for conv in saved.conversation_ids],
        "votes": [{"turn": v.turn, "winner": v.winner,
                   "winner_model": None if v.winner is None else saved.models[v.winner],
                   "blind": v.blind, "created_at": v.created_at.isoformat()} for v in votes],
    }


def export_json(store: HistoryStore, comparison_ids: Iterable[str]) -> str:
    """The given comparisons as one JSON document."""
    document = {"format": FORMAT, "version": FORMAT_VERSION,
                "comparisons": [comparison_to_dict(store, cid) for cid in comparison_ids]}
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def export_markdown(store: HistoryStore, comparison_ids: Iterable[str]) -> str:
    """Each turn: the prompt once, then every column's answer under its model's name."""
    parts = []
    for cid in comparison_ids:
        saved = store.comparisons.get(cid)
        columns = store.comparisons.columns(cid)
        votes = {v.turn: v for v in store.comparisons.votes(cid)}
        made = f"{saved.created_at:%Y-%m-%d %H:%M} UTC"
        lines = [f"# {saved.title or 'Untitled comparison'}", "",
                 f"_Compared {', '.join(saved.models)} · created {made}_", ""]
        if saved.system_prompt:
            lines += ["> **System:** " + saved.system_prompt.replace("\n", "\n> "), ""]
        turns = [[m for m in col if m.role == "user"] for col in columns]
        answers = [[m for m in col if m.role == "assistant"] for col in columns]
        for turn, prompt in enumerate(turns[0]):
            lines += [f"## Prompt {turn + 1}", "", prompt.content, ""]
            for model, replies in zip(saved.models, answers, strict=True):
                if turn >= len(replies):
                    continue
                reply = message_to_dict(replies[turn])
                lines += [f"### {model}", "", f"_{_figures(reply)}_", "", reply["content"], ""]
            vote = votes.get(turn)
            if vote is not None:
                verdict = "a tie" if vote.winner is None else saved.models[vote.winner]
                lines += [f"**Vote:** {verdict}{' (blind)' if vote.blind else ''}", ""]
        parts.append("\n".join(lines))
    return "\n---\n\n".join(parts)


def _figures(reply: dict[str, Any]) -> str:
    facts = [str(reply["finish_reason"] or "unfinished")]
    if reply["completion_tokens"] is not None:
        facts.append(f"{reply['completion_tokens']} tokens")
    if reply["ttft_ms"] is not None:
        facts.append(f"first token {reply['ttft_ms']:.0f} ms")
    if reply["tokens_per_s"] is not None:
        facts.append(f"{reply['tokens_per_s']:.1f} tok/s")
    return " · ".join(facts)
