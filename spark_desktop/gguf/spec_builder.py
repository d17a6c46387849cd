"""Turn parsed GGUF headers (one per split part) into a ModelSpec.

Defaults follow llama.cpp's llama_model_base::load_hparams, so the description
matches what llama.cpp will build: heads per layer from a scalar or an array,
KV heads defaulting to heads, head sizes defaulting to n_embd / n_head of layer 0.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import gguf

from spark_desktop.gguf.errors import GGUFError
from spark_desktop.gguf.reader import ArraySummary, GGUFHeader
from spark_desktop.gguf.recurrent import recurrent_layers
from spark_desktop.gguf.spec import ModelSpec, TensorInfo
from spark_desktop.gguf.swa import sliding_window

MAX_LAYERS = 512    # LLAMA_MAX_LAYERS
MAX_EXPERTS = 1024  # LLAMA_MAX_EXPERTS
_LAYER = re.compile(r"(?:^|\.)blk\.(\d+)\.")
_GUESSED = 1024     # LLAMA_FTYPE_GUESSED flag


def _uint(meta: dict[str, Any], key: str, default: int = 0) -> int:
    value = meta.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return default
    return value


def _per_layer(meta: dict[str, Any], key: str, n_layer: int, default: Sequence[int],
               name: str) -> tuple[int, ...]:
    value = meta.get(key)
    if value is None:
        return tuple(default)
    if isinstance(value, (tuple, ArraySummary)):
        length = value.length if isinstance(value, ArraySummary) else len(value)
        if length != n_layer or isinstance(value, ArraySummary):
            raise GGUFError(f"{name} has {length} values in {key} for {n_layer} layers; "
                            "llama.cpp would refuse to load it.")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value):
            raise GGUFError(f"{name} has a value in {key} that is not a count.")
        return tuple(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise GGUFError(f"{name} has {key} = {value!r}, which is not a count.")
    return (value,) * n_layer


def quantization_name(meta: dict[str, Any], tensors: Sequence[TensorInfo]) -> str:
    """The file type as people say it ("Q4_K_M"), or a guess from the weights' types."""
    ftype = meta.get("general.file_type")
    if isinstance(ftype, int) and not isinstance(ftype, bool):
        try:
            name = gguf.LlamaFileType(ftype & ~_GUESSED).name
        except ValueError:
            name = ""
        if name == "ALL_F32":
            return "F32"
        if name.startswith("MOSTLY_"):
            return name[len("MOSTLY_"):]
    weights: Counter[str] = Counter()
    for t in tensors:
        if len(t.shape) >= 2 and t.name not in ("token_embd.weight", "output.weight"):
            weights[t.type_name] += t.n_bytes
    if not weights:
        for t in tensors:
            weights[t.type_name] += t.n_bytes
    return weights.most_common(1)[0][0] if weights else "unknown"


def _layer_of(name: str) -> int | None:
    m = _LAYER.search(name)
    return int(m.group(1)) if m else None


def build_spec(headers: Sequence[GGUFHeader], model_name: str) -> ModelSpec:
    """A ModelSpec from the headers of every part (in order) of one model."""
    meta = headers[0].metadata
    first = headers[0].name
    arch = meta.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise GGUFError(f"{first} has no general.architecture, so it is not a model "
                        "llama.cpp can load.")

    tensors = tuple(
        TensorInfo(name=t.name, ggml_type=t.ggml_type, type_name=t.type_name, shape=t.shape,
                   n_bytes=t.n_bytes, layer=_layer_of(t.name), offset=t.offset, part=i)
        for i, h in enumerate(headers) for t in h.tensors)

    n_layer = _uint(meta, f"{arch}.block_count")
    if n_layer > MAX_LAYERS:
        raise GGUFError(
            f"{first} claims {n_layer} layers; llama.cpp supports at most {MAX_LAYERS}.")
    n_embd = _uint(meta, f"{arch}.embedding_length")
    n_head = _per_layer(meta, f"{arch}.attention.head_count", n_layer, (0,) * n_layer, first)
    n_head_kv = _per_layer(meta, f"{arch}.attention.head_count_kv", n_layer, n_head, first)
    head0 = n_head[0] if n_head else 0
    default_dim = n_embd // head0 if head0 else 0
    head_dim_k = _uint(meta, f"{arch}.attention.key_length", default_dim) if head0 else 0
    head_dim_v = _uint(meta, f"{arch}.attention.value_length", default_dim) if head0 else 0
    n_swa, swa_layers = sliding_window(arch, meta, n_layer, n_head_kv)
    n_ff = _per_layer(meta, f"{arch}.feed_forward_length", n_layer, (0,) * n_layer, first)

    n_expert = _uint(meta, f"{arch}.expert_count")
    used = meta.get(f"{arch}.expert_used_count", 0)
    if isinstance(used, tuple):
        used = max((u for u in used if isinstance(u, int)), default=0)
    valid = isinstance(used, int) and not isinstance(used, bool) and used >= 0
    n_expert_used = used if valid else 0
    if n_expert > MAX_EXPERTS or n_expert_used > n_expert:
        raise GGUFError(f"{first} has {n_expert} experts with {n_expert_used} used per token, "
                        "which llama.cpp would refuse.")

    tokens = meta.get("tokenizer.ggml.tokens")
    if isinstance(tokens, (tuple, ArraySummary)):
        vocab = tokens.length if isinstance(tokens, ArraySummary) else len(tokens)
    else:
        vocab = _uint(meta, f"{arch}.vocab_size")
        if not vocab:
            embd = next((t for t in tensors if t.name == "token_embd.weight"), None)
            vocab = embd.shape[1] if embd is not None and len(embd.shape) > 1 else 0

    template = meta.get("tokenizer.chat_template")
    license_ = meta.get("general.license")
    name = meta.get("general.name")
    return ModelSpec(
        architecture=arch,
        name=name if isinstance(name, str) and name else model_name,
        parameters=sum(_elements(t.shape) for t in tensors),
        n_layer=n_layer,
        n_embd=n_embd,
        n_head=n_head,
        n_head_kv=n_head_kv,
        head_dim_k=head_dim_k,
        head_dim_v=head_dim_v,
        n_swa=n_swa,
        swa_layers=swa_layers,
        n_expert=n_expert,
        n_expert_used=n_expert_used,
        context_length=_uint(meta, f"{arch}.context_length"),
        vocab_size=vocab,
        quantization=quantization_name(meta, tensors),
        chat_template=template if isinstance(template, str) and template else None,
        license=license_ if isinstance(license_, str) and license_ else None,
        file_size=sum(h.file_size for h in headers),
        split_count=len(headers),
        tensors=tensors,
        metadata=meta,
        recurrent_layers=recurrent_layers(arch, meta, n_layer, n_head_kv, n_ff),
        n_ff=n_ff,
    )


def _elements(shape: tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n
