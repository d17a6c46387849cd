"""A real check of the llama.cpp backend: a one-layer model written here, loaded and run
by the engine worker (a child process), so `doctor` reports what this machine really
does — a library that does not load, a kernel that dies of SIGILL, a GPU that fails —
instead of reading build flags. No download: the model is a few hundred kilobytes.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np

from spark_desktop.engine.client import Client
from spark_desktop.engine.errors import EngineError
from spark_desktop.engine.events import ChatDone
from spark_desktop.inference_settings import LoadSettings, SamplingSettings

SMOKE_TOKENS = 4
_N_EMBD, _N_HEAD, _N_HEAD_KV, _N_FF = 64, 4, 2, 128


@dataclass(frozen=True)
class SmokeResult:
    """What the check saw: whether tokens came out, in words, and any engine notes."""

    ok: bool
    detail: str
    seconds: float
    notes: tuple[str, ...] = ()


def _vocabulary() -> tuple[list[str], list[float], list[int]]:
    """SentencePiece-style: <unk> <s> </s>, the 256 byte tokens, a few word pieces."""
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    tokens += ["\u2581", "\u2581a", "a", "\u2581hi", "hi"]
    types = [gguf.TokenType.UNKNOWN] + [gguf.TokenType.CONTROL] * 2
    types += [gguf.TokenType.BYTE] * 256 + [gguf.TokenType.NORMAL] * 5
    scores = [0.0] * 259 + [-float(k) for k in range(1, 6)]
    return tokens, scores, [int(t) for t in types]


def add_llama_tokenizer(w: gguf.GGUFWriter, tokens: list[str], scores: list[float],
                        types: list[int]) -> None:
    """A SentencePiece ("llama") tokenizer with BOS 1 and EOS 2, as llama.cpp reads it."""
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)


def write_smoke_model(path: Path) -> Path:
    """A one-layer `llama` model with small random F32 weights that llama.cpp loads."""
    tokens, scores, types = _vocabulary()
    n_vocab, head_dim = len(tokens), _N_EMBD // _N_HEAD
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("spark-desktop smoke test")
    w.add_context_length(256)
    w.add_embedding_length(_N_EMBD)
    w.add_block_count(1)
    w.add_feed_forward_length(_N_FF)
    w.add_head_count(_N_HEAD)
    w.add_head_count_kv(_N_HEAD_KV)
    w.add_rope_dimension_count(head_dim)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_vocab_size(n_vocab)
    add_llama_tokenizer(w, tokens, scores, types)
    rng = np.random.default_rng(0)
    shapes = {  # numpy order: (rows, columns) = (ne1, ne0)
        "token_embd.weight": (n_vocab, _N_EMBD), "output.weight": (n_vocab, _N_EMBD),
        "output_norm.weight": (_N_EMBD,), "blk.0.attn_norm.weight": (_N_EMBD,),
        "blk.0.attn_q.weight": (_N_EMBD, _N_EMBD),
        "blk.0.attn_k.weight": (head_dim * _N_HEAD_KV, _N_EMBD),
        "blk.0.attn_v.weight": (head_dim * _N_HEAD_KV, _N_EMBD),
        "blk.0.attn_output.weight": (_N_EMBD, _N_EMBD), "blk.0.ffn_norm.weight": (_N_EMBD,),
        "blk.0.ffn_gate.weight": (_N_FF, _N_EMBD), "blk.0.ffn_up.weight": (_N_FF, _N_EMBD),
        "blk.0.ffn_down.weight": (_N_EMBD, _N_FF),
    }
    for name, shape in shapes.items():
        data = (np.ones(shape) if len(shape) == 1 else rng.standard_normal(shape) * 0.02)
        w.add_tensor(name, data.astype(np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


def run_smoke(timeout: float = 120.0) -> SmokeResult:
    """Load the smoke model in a fresh worker and generate SMOKE_TOKENS tokens, greedy."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="spark-desktop-smoke-") as tmp:
        model = write_smoke_model(Path(tmp) / "smoke.gguf")
        client = Client(log_path=Path(tmp) / "engine.log", start_timeout=timeout,
                        load_timeout=timeout, stall_timeout=timeout)
        try:
            loaded = client.load(model, LoadSettings(n_ctx=64, n_batch=64, n_ubatch=64,
                                                    chat_template="chatml"))
            sampling = SamplingSettings(temperature=0, max_tokens=SMOKE_TOKENS, ignore_eos=True)
            done = [e for e in client.chat([{"role": "user", "content": "hi"}], sampling)
                    if isinstance(e, ChatDone)]
        except EngineError as exc:
            return SmokeResult(False, str(exc), time.monotonic() - started)
        finally:
            client.close()
    seconds = time.monotonic() - started
    if not done or done[0].completion_tokens != SMOKE_TOKENS:
        why = done[0].error if done and done[0].error else "no tokens came back"
        return SmokeResult(False, f"the engine loaded a test model but {why}", seconds)
    return SmokeResult(True, f"loaded a one-layer test model and generated {SMOKE_TOKENS} "
                       f"tokens in {seconds:.1f} s", seconds, loaded.notes)
