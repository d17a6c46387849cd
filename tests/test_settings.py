"""User settings: typed round trip, keys from a newer app kept, a damaged file set aside."""

from __future__ import annotations

import dataclasses
import json

from spark_desktop import paths, settings


def test_round_trip_and_defaults() -> None:
    assert settings.load() == settings.Settings()
    changed = dataclasses.replace(
        settings.Settings(), target="spark", theme="dark", extra_model_dirs=("/models",),
        load=settings.LoadDefaults(n_ctx=32768, kv_type="q8_0"))
    settings.save(changed)
    assert settings.load() == changed
    assert settings.load().load.kv_type == "q8_0"


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
