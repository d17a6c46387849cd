"""The short lists of models the app suggests: chat models on the first-run page, best
first within each size, and small embedding models for documents in Discover.

Each chat model is checked with the fit estimator on the planning target before it is shown;
`approx_size` (bytes of the file) only orders and pre-filters the list while the real headers
load.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QT_TRANSLATE_NOOP

GB = 1000 ** 3
MB = 1000 ** 2


@dataclass(frozen=True)
class Recommendation:
    repo: str
    quant: str
    title: str
    why: str  # English; shown through QCoreApplication.translate("Recommendation", why)
    approx_size: int




RECOMMENDED: tuple[Recommendation, ...] = (
    Recommendation("ggml-org/gpt-oss-120b-GGUF", "MXFP4", "gpt-oss 120B", QT_TRANSLATE_NOOP(
        "Recommendation", "OpenAI's open mixture-of-experts model: strong reasoning, fast "
        "because only 5B parameters work per token. Made for a 128 GB machine."), 63 * GB),
    Recommendation("unsloth/Qwen3-30B-A3B-Instruct-2507-GGUF", "Q4_K_M", "Qwen3 30B-A3B",
                   QT_TRANSLATE_NOOP("Recommendation", "A quick all-rounder (3B active "
                                     "parameters) with a long context."), 19 * GB),
    Recommendation("ggml-org/gpt-oss-20b-GGUF", "MXFP4", "gpt-oss 20B", QT_TRANSLATE_NOOP(
        "Recommendation", "A capable reasoning model that fits a 16 GB GPU."), 12 * GB),
    Recommendation("unsloth/gemma-3-12b-it-GGUF", "Q4_K_M", "Gemma 3 12B", QT_TRANSLATE_NOOP(
        "Recommendation", "Google's mid-size model: good writing and many languages."), 7 * GB),
    Recommendation("unsloth/Qwen3-4B-Instruct-2507-GGUF", "Q4_K_M", "Qwen3 4B", QT_TRANSLATE_NOOP(
        "Recommendation", "Small and fast; runs well even without a GPU."), int(2.5 * GB)),
    Recommendation("bartowski/Llama-3.2-3B-Instruct-GGUF", "Q4_K_M", "Llama 3.2 3B",
                   QT_TRANSLATE_NOOP("Recommendation",
                                     "Meta's small model: quick answers on any machine."), 2 * GB),
)

#: Embedding models for documents (Settings → Documents), smallest first: small enough to
#: sit beside a chat model, and better at finding passages than a chat model's own vectors.
EMBEDDING_MODELS: tuple[Recommendation, ...] = (
    Recommendation("CompendiumLabs/bge-small-en-v1.5-gguf", "Q8_0", "BGE small v1.5",
                   QT_TRANSLATE_NOOP("Recommendation", "Tiny and quick on any CPU; English "
                                     "text."), 36 * MB),
    Recommendation("nomic-ai/nomic-embed-text-v1.5-GGUF", "Q8_0", "Nomic Embed Text v1.5",
                   QT_TRANSLATE_NOOP("Recommendation", "A popular all-rounder for English "
                                     "documents, long passages included."), 146 * MB),
    Recommendation("ggml-org/embeddinggemma-300M-GGUF", "Q8_0", "EmbeddingGemma 300M",
                   QT_TRANSLATE_NOOP("Recommendation", "Google's small embedder: over 100 "
                                     "languages at a modest size."), 330 * MB),
    Recommendation("Qwen/Qwen3-Embedding-0.6B-GGUF", "Q8_0", "Qwen3 Embedding 0.6B",
                   QT_TRANSLATE_NOOP("Recommendation", "The strongest of these: many languages "
                                     "and code; larger and slower."), 640 * MB),
)
