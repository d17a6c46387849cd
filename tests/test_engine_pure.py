"""Pure parts of the engine: reasoning split, stop strings, context fitting, options."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spark_desktop.engine.context import fit_messages, reply_budget
from spark_desktop.engine.reasoning import ReasoningSplitter, prompt_opens_thinking
from spark_desktop.engine.stops import StopMatcher
from spark_desktop.inference_settings import LoadSettings, SamplingSettings, SettingsError


def split(chunks: list[str], start_in_reasoning: bool = False) -> dict[str, str]:
    splitter = ReasoningSplitter(start_in_reasoning)
    pieces = [p for c in chunks for p in splitter.feed(c)] + splitter.flush()
    out = {"text": "", "reasoning": ""}
    for kind, text in pieces:
        out[kind] += text
    return out


QWEN = "<think>\nThe user greets me.\n</think>\n\nHello! How can I help?"
HARMONY = ("<|channel|>analysis<|message|>User says hi. Reply briefly.<|end|>"
           "<|start|>assistant<|channel|>final<|message|>Hi there!")


@pytest.mark.parametrize("text, expected", [
    (QWEN, {"text": "Hello! How can I help?", "reasoning": "The user greets me.\n"}),
    (HARMONY, {"text": "Hi there!", "reasoning": "User says hi. Reply briefly."}),
    ("Plain answer, a < b and <b>bold</b>.", {"text": "Plain answer, a < b and <b>bold</b>.",
                                              "reasoning": ""}),
])
def test_split_whole_and_per_character(text: str, expected: dict[str, str]) -> None:
    assert split([text]) == expected
    assert split(list(text)) == expected  # tags cut across every possible token boundary


@given(st.lists(st.integers(min_value=1, max_value=len(HARMONY)), max_size=12))
def test_split_is_independent_of_chunking(cuts: list[int]) -> None:
    for text in (QWEN, HARMONY):
        points = sorted({c % len(text) for c in cuts} | {0, len(text)})
        chunks = [text[a:b] for a, b in itertools.pairwise(points)]
        assert split(chunks) == split([text])


def test_deepseek_prompt_opens_thinking() -> None:
    prompt = "<｜User｜>Hi<｜Assistant｜><think>\n"
    assert prompt_opens_thinking(prompt)
    assert split(["Let me think.", "</th", "ink>\n\nAnswer."], start_in_reasoning=True) == {
        "text": "Answer.", "reasoning": "Let me think."}
    assert not prompt_opens_thinking("<think>\n\n</think>\n\n")


def test_unfinished_tag_prefix_is_text_at_the_end() -> None:
    assert split(["Use <thi"]) == {"text": "Use <thi", "reasoning": ""}


def test_stop_strings_hold_back_only_possible_prefixes() -> None:
    matcher = StopMatcher(["\nUser:", "###"])
    assert matcher.feed("Hello\nUs") == ("Hello", False)
    assert matcher.feed("ually fine #") == ("\nUsually fine ", False)
    assert matcher.feed("## more") == ("", True)
    assert StopMatcher([]).feed("abc") == ("abc", False)
    tail = StopMatcher(["END"])
    assert tail.feed("the EN") == ("the ", False)
    assert tail.flush() == "EN"


def _turns(n: int) -> list[dict[str, str]]:
    msgs = [{"role": "system", "content": "s" * 10}]
    for i in range(n):
        msgs += [{"role": "user", "content": f"u{i}" + "x" * 8},
                 {"role": "assistant", "content": f"a{i}" + "y" * 8}]
    return msgs + [{"role": "user", "content": "q" * 10}]


def _tokens(messages: list[dict[str, str]]) -> list[int]:
    return [0] * sum(len(m["content"]) for m in messages)


def test_fit_keeps_everything_that_fits() -> None:
    kept, dropped, tokens = fit_messages(_turns(3), _tokens, 1000)
    assert (len(kept), dropped, len(tokens)) == (8, 0, 80)


def test_fit_drops_oldest_whole_turns_after_the_system_prompt() -> None:
    kept, dropped, tokens = fit_messages(_turns(5), _tokens, 65)
    assert dropped == 6 and len(tokens) <= 65
    assert kept[0]["role"] == "system" and kept[1]["content"].startswith("u3")
    assert kept[-1]["content"] == "q" * 10


def test_fit_falls_back_to_the_newest_message() -> None:
    kept, dropped, tokens = fit_messages(_turns(5), _tokens, 5)
    assert [m["role"] for m in kept] == ["system", "user"] and dropped == 10
    assert len(tokens) == 20  # the caller decides whether this still fits the context


def test_reply_budget() -> None:
    assert reply_budget(4096, None) == 1024
    assert reply_budget(4096, 100) == 100
    assert reply_budget(512, 4000) == 256


def test_settings_are_checked_and_resolved_before_a_worker_starts() -> None:
    # a quantized V cache needs flash attention: the engine turns it on, as the estimate does
    assert LoadSettings(type_v="q8_0", flash_attn="off").resolved().flash_attn == "on"
    assert LoadSettings(type_v="q8_0").resolved().flash_attn == "auto"
    with pytest.raises(SettingsError):
        LoadSettings(type_k="q5_1")  # type: ignore[arg-type]
    with pytest.raises(SettingsError, match="too small"):
        LoadSettings(n_ctx=8)
    with pytest.raises(SettingsError, match="LoRA"):
        LoadSettings(lora_paths=("/nonexistent.gguf",)).resolved()
    resolved = LoadSettings(n_ctx=256, n_batch=2048).resolved()
    assert resolved.n_batch == 256 and resolved.threads and resolved.use_mmap is not None
    assert LoadSettings.from_dict(resolved.to_dict()) == resolved
    sampling = SamplingSettings(stop=("a",), max_tokens=3)
    assert SamplingSettings.from_dict(sampling.to_dict()) == sampling
    assert SamplingSettings.from_dict({"top_k": 5, "from_a_newer_app": 1}).top_k == 5
