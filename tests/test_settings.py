"""User settings: typed round trip, keys from a newer app kept, a damaged file set aside."""

from __future__ import annotations

import dataclasses
import json

from spark_desktop import paths, settings
from spark_desktop.inference_settings import LoadSettings, SamplingSettings


def test_round_trip_and_defaults() -> None:
    assert settings.load() == settings.Settings()
    changed = dataclasses.replace(
        settings.Settings(), target="spark", theme="dark", extra_model_dirs=("/models",),
        load=LoadSettings(n_ctx=32768, type_k="q8_0", type_v="q8_0"))
    settings.save(changed)
    assert settings.load() == changed
    assert settings.load().load.type_v == "q8_0"


def test_keys_from_a_newer_app_survive_a_save() -> None:
    path = paths.settings_path()
    path.write_text(json.dumps({"version": 9, "theme": "light", "future_option": [1, 2],
                                "load": {"n_ctx": 2048, "future_load_key": True}}))
    loaded = settings.load()
    assert loaded.theme == "light" and loaded.load.n_ctx == 2048
    settings.save(dataclasses.replace(loaded, theme="dark"))
    raw = json.loads(path.read_text())
    assert raw["future_option"] == [1, 2] and raw["theme"] == "dark"


def test_a_damaged_file_is_set_aside_not_lost() -> None:
    path = paths.settings_path()
    path.write_text("{ not json")
    assert settings.load() == settings.Settings()
    aside = path.with_suffix(".damaged.json")
    assert aside.read_text() == "{ not json" and not path.exists()


def test_a_version_1_file_is_read_in_todays_names() -> None:
    path = paths.settings_path()
    path.write_text(json.dumps({
        "version": 1, "theme": "dark",
        "load": {"n_ctx": 8192, "kv_type": "q8_0", "gpu_layers": 20, "flash_attn": False},
        "sampling": {"temperature": 0.7, "top_p": 0.95, "top_k": 40, "min_p": 0.05,
                     "repeat_penalty": 1.1, "max_tokens": 2048}}))
    loaded = settings.load()
    assert loaded.load == LoadSettings(n_ctx=8192, type_k="q8_0", type_v="q8_0",
                                       n_gpu_layers=20, flash_attn="off")
    assert loaded.sampling == SamplingSettings(temperature=0.7, repeat_penalty=1.1,
                                               max_tokens=2048)
    assert loaded.theme == "dark" and loaded.version == settings.SETTINGS_VERSION
    settings.save(loaded)
    assert settings.load() == loaded and json.loads(path.read_text())["version"] == 2


def test_a_setting_llama_cpp_would_refuse_sets_the_file_aside() -> None:
    path = paths.settings_path()
    path.write_text(json.dumps({"load": {"type_k": "q5_1"}}))
    assert settings.load() == settings.Settings()
    assert path.with_suffix(".damaged.json").exists()
