"""The presets every installation has: read-only, always listed first."""

from __future__ import annotations

import json

from spark_desktop.presets.model import Preset

_EXTRACT_SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "people": {"type": "array", "items": {"type": "string"}},
        "places": {"type": "array", "items": {"type": "string"}},
        "dates": {"type": "array", "items": {"type": "string"}},
        "summary": {"type": "string"},
    },
    "required": ["title", "people", "places", "dates", "summary"],
}

BUILTIN: tuple[Preset, ...] = (
    Preset("Default", "llama.cpp's own sampling and no system prompt.", builtin=True),
    Preset("Precise", "Low temperature: the same question gets nearly the same, most "
           "likely answer. For facts and instructions.",
           "You are a careful assistant. Answer accurately and concisely; say so when you "
           "are not sure.",
           {"temperature": 0.2, "top_p": 0.9, "top_k": 40, "min_p": 0.05}, builtin=True),
    Preset("Creative", "High temperature: varied, surprising wording. For stories, "
           "brainstorming and names.",
           "You are an imaginative writer. Be vivid and original.",
           {"temperature": 1.1, "top_p": 0.98, "top_k": 100, "min_p": 0.02}, builtin=True),
    Preset("Coder", "For programming: a system prompt for code and a low temperature.",
           "You are an expert programmer. Answer with correct, idiomatic code in fenced "
           "code blocks naming their language, and explain briefly what it does. Ask when "
           "a requirement is unclear.",
           {"temperature": 0.2, "top_p": 0.95, "top_k": 40, "min_p": 0.05}, builtin=True),
    Preset("Summarizer", "Short, faithful summaries of the text you paste.",
           "Summarize the text the user gives you in a few bullet points. Keep names, "
           "numbers and dates exact; add nothing that is not in the text.",
           {"temperature": 0.3, "top_p": 0.9}, builtin=True),
    Preset("JSON extractor", "Replies are JSON that follows a schema (enforced while "
           "sampling): title, people, places, dates and a summary of the text you paste.",
           "Extract the requested fields from the user's text. Reply with JSON only.",
           {"temperature": 0.0, "json_schema": json.dumps(_EXTRACT_SCHEMA)}, builtin=True),
)
