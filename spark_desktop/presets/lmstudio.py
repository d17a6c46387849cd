"""LM Studio's preset files, read into ours (import only).

Two layouts exist: the older `{"name", "inference_params": {...}, "load_params": {...}}`
(llama.cpp's names: temp, top_k, n_predict, antiprompt, pre_prompt, n_ctx...) and the
newer `{"name", "operation": {"fields": [{"key": "llm.prediction.systemPrompt",
"value": ...}]}}`. What has no counterpart here (prompt prefixes, mirostat...) is left
out with a note.
"""

from __future__ import annotations

from typing import Any

from spark_desktop.presets.model import Preset, PresetError, parse_preset

# older layout: LM Studio's name -> (our section, our name)
_INFERENCE = {"temp": "temperature", "top_k": "top_k", "top_p": "top_p", "min_p": "min_p",
              "repeat_penalty": "repeat_penalty", "repeat_last_n": "repeat_last_n",
              "n_predict": "max_tokens", "antiprompt": "stop", "seed": "seed"}
_LOAD = {"n_ctx": "n_ctx", "n_batch": "n_batch", "n_gpu_layers": "n_gpu_layers",
         "use_mmap": "use_mmap", "seed": "seed"}
# newer layout: key -> our sampling name (values may be {"checked", "value"})
_FIELDS = {"llm.prediction.temperature": "temperature", "llm.prediction.topKSampling": "top_k",
           "llm.prediction.topPSampling": "top_p", "llm.prediction.minPSampling": "min_p",
           "llm.prediction.repeatPenalty": "repeat_penalty",
           "llm.prediction.maxPredictedTokens": "max_tokens",
           "llm.prediction.stopStrings": "stop"}
_SYSTEM = "llm.prediction.systemPrompt"


def is_lmstudio(data: dict[str, Any]) -> bool:
    return "inference_params" in data or "load_params" in data or \
        isinstance(data.get("operation"), dict)


def from_lmstudio(data: dict[str, Any]) -> tuple[Preset, list[str]]:
    """Our preset from an LM Studio preset object, and notes on what was left out."""
    name = data.get("name") or data.get("identifier")
    ours: dict[str, Any] = {"name": name if isinstance(name, str) else "",
                            "description": "Imported from LM Studio."}
    notes: list[str] = []
    sampling: dict[str, Any] = {}
    if isinstance(data.get("operation"), dict):
        for item in data["operation"].get("fields") or []:
            key, value = (item.get("key"), item.get("value")) if isinstance(item, dict) \
                else (None, None)
            if isinstance(value, dict) and "checked" in value:
                if not value["checked"]:
                    continue
                value = value.get("value")
            if key == _SYSTEM:
                ours["system_prompt"] = value
            elif key in _FIELDS:
                sampling[_FIELDS[key]] = value
            else:
                notes.append(f"LM Studio setting {key!r} has no counterpart here; ignored")
    inference = data.get("inference_params") or {}
    load = data.get("load_params") or {}
    if not isinstance(inference, dict) or not isinstance(load, dict):
        raise PresetError("its inference_params and load_params must be JSON objects.")
    for key, value in inference.items():
        if key == "pre_prompt":
            ours["system_prompt"] = value or None
        elif key in _INFERENCE:
            sampling[_INFERENCE[key]] = value
        else:
            notes.append(f"LM Studio setting {key!r} has no counterpart here; ignored")
    # LM Studio's "no limit" and "random" are -1; ours are null
    for key in ("max_tokens", "seed"):
        if sampling.get(key) == -1:
            sampling[key] = None
    ours["sampling"] = sampling
    ours_load = {_LOAD[k]: v for k, v in load.items() if k in _LOAD and v != -1}
    notes.extend(f"LM Studio load setting {k!r} has no counterpart here; ignored"
                 for k in load if k not in _LOAD)
    if ours_load:
        ours["load"] = ours_load
    preset, more = parse_preset(ours, "LM Studio preset")
    return preset, notes + more
