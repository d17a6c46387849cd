"""Chat templates in the worker: the GGUF's Jinja template, an override, or one of
llama.cpp's built-in templates by name; never a guess. A Jinja template also receives
the request's tools (its `tools` variable); how it offers them is engine.tools' format."""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from typing import Any

import llama_cpp
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from spark_desktop.engine.context import RAW_ROLE
from spark_desktop.engine.errors import ChatTemplateError
from spark_desktop.engine.tools import template_format

# render(messages, tools=None): the prompt; tools are OpenAI's function list
Render = Callable[..., str]
# Architectures whose chat format is certain even when the GGUF carries no template.
ARCH_TEMPLATES = {"gemma": "gemma", "gemma2": "gemma", "gemma3": "gemma", "gemma3n": "gemma"}


def choose_template(model: Any, arch: str,
                    override: str | None) -> tuple[Render, str, str]:
    """The renderer of `_choose`, which passes a raw prompt through untouched."""
    inner, name, fmt = _choose(model, arch, override)

    def render(messages: list[dict[str, Any]], tools: Any = None) -> str:
        if len(messages) == 1 and messages[0].get("role") == RAW_ROLE:
            return str(messages[0].get("content") or "")
        return inner(messages, tools)
    return render, name, fmt


def _choose(model: Any, arch: str, override: str | None) -> tuple[Render, str, str]:
    """Override (a llama.cpp template name or Jinja text), else the GGUF's Jinja
    template, else the one llama.cpp knows for the architecture; with its name and
    its tool format (engine.tools.template_format)."""
    builtin = builtin_templates()
    if override and override.strip() in builtin:
        return builtin_renderer(override.strip()), override.strip(), "generic"
    if override:
        return jinja_renderer(model, override), "custom", template_format(override)
    embedded = llama_cpp.llama_model_chat_template(model, None)
    if embedded:
        text = embedded.decode("utf-8", errors="replace")
        return jinja_renderer(model, text), "gguf", template_format(text)
    name = ARCH_TEMPLATES.get(arch)
    if name is None:
        raise ChatTemplateError(
            f"This model ({arch or 'unknown architecture'}) carries no chat template and "
            "llama.cpp knows none for its architecture. Set a chat template in the load "
            f"settings: a llama.cpp name ({', '.join(sorted(builtin)[:8])}, ...) or a Jinja "
            "template from the model's page.")
    return builtin_renderer(name), name, "generic"


def jinja_renderer(model: Any, template: str) -> Render:
    vocab = llama_cpp.llama_model_get_vocab(model)
    bos_id, eos_id = llama_cpp.llama_vocab_bos(vocab), llama_cpp.llama_vocab_eos(vocab)
    bos = llama_cpp.llama_vocab_get_text(vocab, bos_id).decode() if bos_id >= 0 else ""
    eos = llama_cpp.llama_vocab_get_text(vocab, eos_id).decode() if eos_id >= 0 else ""
    return jinja_render(template, bos, eos, bool(llama_cpp.llama_vocab_get_add_bos(vocab)))


def jinja_render(template: str, bos: str, eos: str, adds_bos: bool) -> Render:
    """Render with a Jinja template as transformers does (messages, tools, bos/eos)."""
    try:
        formatter = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token=bos)
    except Exception as exc:
        raise ChatTemplateError(f"The chat template cannot be read: {exc}.") from exc

    def render(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> str:
        try:
            prompt = formatter(messages=messages, tools=tools).prompt
        except Exception as exc:
            raise ChatTemplateError(
                f"The chat template failed on this conversation: {exc}.") from exc
        # the tokenizer adds BOS itself; a template's own BOS would double it
        if adds_bos and bos and prompt.startswith(bos):
            prompt = prompt[len(bos):]
        return prompt

    return render


def builtin_templates() -> set[str]:
    count = llama_cpp.llama_chat_builtin_templates(None, 0)
    names = (ctypes.c_char_p * count)()
    llama_cpp.llama_chat_builtin_templates(names, count)
    return {n.decode() for n in names if n}


def builtin_renderer(name: str) -> Render:
    """Render with one of llama.cpp's own template implementations, by name."""

    def render(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> str:
        del tools  # llama.cpp's own templates know no tools: the generic format speaks
        encoded = [(m["role"].encode("utf-8"), str(m.get("content") or "").encode("utf-8"))
                   for m in messages]
        chat = (llama_cpp.llama_chat_message * len(encoded))(
            *(llama_cpp.llama_chat_message(role, content) for role, content in encoded))
        size = 2 * sum(len(r) + len(c) for r, c in encoded) + 256
        for _ in range(2):
            buf = ctypes.create_string_buffer(size)
            n = llama_cpp.llama_chat_apply_template(name.encode(), chat, len(encoded), True,
                                                    buf, size)
            if n < 0:
                raise ChatTemplateError(
                    f"llama.cpp's {name!r} template cannot render this conversation.")
            if n <= size:
                return buf.raw[:n].decode("utf-8", errors="replace")
            size = n + 1
        raise ChatTemplateError(f"llama.cpp's {name!r} template gave an inconsistent length.")

    return render
