"""Presets: built-ins, the user's file, import/export, validation and the CLI commands."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from spark_desktop import paths
from spark_desktop.cli import main
from spark_desktop.commands.options import (
    add_gpu_layers,
    add_preset_option,
    add_reply_options,
    apply_preset,
)
from spark_desktop.inference_settings import LoadSettings, SamplingSettings
from spark_desktop.presets import BUILTIN, FORMAT, Preset, PresetError, PresetStore

SCHEMA = {"type": "object", "properties": {"answer": {"type": "integer"}},
          "required": ["answer"]}
MINE = Preset("Terse", "one line answers", "Answer in one line.",
              {"temperature": 0.3, "max_tokens": 64, "stop": ["\n\n"],
               "json_schema": json.dumps(SCHEMA)},
              load={"n_ctx": 8192, "type_k": "q8_0"}, tools={"enabled": True, "choice": "auto"},
              documents=("/data/a.pdf",), collection="notes")


def test_builtins_are_listed_first_and_each_makes_valid_settings() -> None:
    names = [p.name for p in PresetStore().all()]
    assert names[:6] == ["Default", "Precise", "Creative", "Coder", "Summarizer",
                         "JSON extractor"]
    for preset in BUILTIN:
        assert preset.builtin
        sampling = preset.sampling_settings()
        assert isinstance(sampling, SamplingSettings)
    assert PresetStore().get("precise").sampling_settings().temperature < 0.5
    assert PresetStore().get("Creative").sampling_settings().temperature > 0.8
    schema = json.loads(PresetStore().get("JSON extractor").sampling["json_schema"])
    assert schema["type"] == "object" and schema["required"]


def test_save_load_replace_and_delete_a_user_preset() -> None:
    store = PresetStore()
    assert store.path == paths.presets_path() and not store.path.exists()
    store.save(MINE)
    again = PresetStore().get("terse")
    assert again == MINE and not again.builtin
    assert again.load_settings() == LoadSettings(n_ctx=8192, type_k="q8_0")
    assert again.sampling_settings().json_schema == json.dumps(SCHEMA)
    store.save(Preset("Terse", system_prompt="Shorter."))
    assert [p.system_prompt for p in store.user()] == ["Shorter."]
    store.delete("Terse")
    assert store.user() == []
    with pytest.raises(PresetError, match="no preset of yours"):
        store.delete("Terse")


def test_builtins_cannot_be_overwritten_or_deleted() -> None:
    store = PresetStore()
    with pytest.raises(PresetError, match="built-in preset and cannot be changed"):
        store.save(Preset("precise", system_prompt="mine"))
    with pytest.raises(PresetError, match="cannot be deleted"):
        store.delete("Coder")
    assert not store.path.exists()


def test_chat_extra_carries_name_tools_documents_and_keeps_other_keys() -> None:
    extra = MINE.chat_extra({"other": 1, "tools": {"enabled": False, "choice": "auto"}})
    assert extra == {"other": 1, "preset": "Terse", "tools": {"enabled": True, "choice": "auto"},
                     "documents": ["/data/a.pdf"], "collection": "notes"}
    assert BUILTIN[0].chat_extra({"documents": ["/x"]}) == {"documents": ["/x"],
                                                           "preset": "Default"}


def test_export_then_import_elsewhere_gives_the_same_presets(tmp_path: Path) -> None:
    PresetStore().save(MINE)
    out = tmp_path / "out.json"
    PresetStore().export(["Terse", "JSON extractor"], out)
    data = json.loads(out.read_text())
    assert data["format"] == FORMAT and data["version"] == 1
    assert data["presets"][0]["sampling"]["json_schema"] == SCHEMA  # an object, readable
    other = PresetStore(tmp_path / "other.json")
    result = other.import_file(out)
    assert [p.name for p in result.presets] == ["Terse"]
    assert any("already built in" in n for n in result.notes)
    assert other.get("Terse") == MINE


def test_import_of_a_changed_builtin_gets_a_new_name(tmp_path: Path) -> None:
    source = tmp_path / "p.json"
    source.write_text(json.dumps({"name": "Precise", "sampling": {"temperature": 0.05}}))
    result = PresetStore().import_file(source)
    assert [p.name for p in result.presets] == ["Precise (imported)"]
    assert PresetStore().get("Precise").sampling["temperature"] == 0.2  # built-in untouched
    assert PresetStore().get("Precise (imported)").sampling["temperature"] == 0.05


def test_a_single_object_or_a_list_imports_and_unknown_keys_are_noted(tmp_path: Path) -> None:
    source = tmp_path / "list.json"
    source.write_text(json.dumps([{"name": "A", "colour": "red"},
                                  {"name": "B", "sampling": {"mirostat": 2, "top_k": 5}}]))
    result = PresetStore().import_file(source)
    assert [p.name for p in result.presets] == ["A", "B"]
    assert any("'colour'" in n for n in result.notes)
    assert any("'mirostat'" in n for n in result.notes)
    assert PresetStore().get("B").sampling == {"top_k": 5}


@pytest.mark.parametrize(("content", "message"), [
    ("{not json", "not valid JSON"),
    ('{"name": "X", "sampling": {"temperature": "hot"}}',
     "sampling.temperature must be a number from 0 to 2, not a text"),
    ('{"name": "X", "sampling": {"temperature": 7}}', "sampling.temperature is 7"),
    ('{"name": "X", "sampling": {"top_k": true}}', "top_k must be a whole number"),
    ('{"name": "X", "sampling": {"json_schema": [1, 2]}}',
     "json_schema must be a JSON Schema object"),
    ('{"name": "X", "sampling": {"json_schema": "{oops"}}', "json_schema is not valid JSON"),
    ('{"name": "X", "load": {"n_ctx": 4}}', "Context length 4 is too small"),
    ('{"name": "X", "tools": {"enabled": "yes"}}', "tools must be an object"),
    ('{"name": "X", "documents": "/a.pdf"}', "documents must be a list of file paths"),
    ('{"sampling": {}}', "has no name"),
    ('[{"name": "X"}, {"name": "x"}]', "used twice"),
    ('{"format": "spark-desktop-preset", "version": 9, "presets": []}', "version 9"),
    ('{"format": "other", "presets": []}', "its format is 'other'"),
])
def test_a_bad_file_is_refused_with_a_clear_error_and_changes_nothing(
        tmp_path: Path, content: str, message: str) -> None:
    PresetStore().save(MINE)
    before = paths.presets_path().read_bytes()
    source = tmp_path / "bad.json"
    source.write_text(content)
    with pytest.raises(PresetError, match=message.replace("(", r"\(").replace("[", r"\[")):
        PresetStore().import_file(source)
    assert paths.presets_path().read_bytes() == before


def test_a_damaged_presets_file_is_reported_and_never_overwritten() -> None:
    paths.presets_path().write_text("{damaged")
    with pytest.raises(PresetError, match="presets.json is not valid JSON"):
        PresetStore().all()
    with pytest.raises(PresetError):
        PresetStore().save(MINE)
    assert paths.presets_path().read_text() == "{damaged"


def test_lm_studio_presets_of_both_layouts_import(tmp_path: Path) -> None:
    old = tmp_path / "old.preset.json"
    old.write_text(json.dumps({
        "name": "Translator", "load_params": {"n_ctx": 4000, "n_gpu_layers": 60, "seed": -1,
                                              "rope_freq_base": 0},
        "inference_params": {"temp": 0.9, "top_k": 40, "n_predict": -1, "antiprompt": ["###"],
                             "pre_prompt": "Translate to French.", "mirostat": 0}}))
    new = tmp_path / "new.preset.json"
    new.write_text(json.dumps({"identifier": "@local:coder", "name": "LMS coder",
                               "operation": {"fields": [
                                   {"key": "llm.prediction.systemPrompt", "value": "Code."},
                                   {"key": "llm.prediction.temperature", "value": 0.1},
                                   {"key": "llm.prediction.topKSampling",
                                    "value": {"checked": True, "value": 20}}]}}))
    store = PresetStore()
    notes = store.import_file(old).notes + store.import_file(new).notes
    translator = store.get("Translator")
    assert translator.system_prompt == "Translate to French."
    assert translator.sampling == {"temperature": 0.9, "top_k": 40, "max_tokens": None,
                                   "stop": ["###"]}
    assert translator.load == {"n_ctx": 4000, "n_gpu_layers": 60}
    assert any("'mirostat'" in n for n in notes) and any("'rope_freq_base'" in n for n in notes)
    coder = store.get("LMS coder")
    assert coder.system_prompt == "Code." and coder.sampling == {"temperature": 0.1, "top_k": 20}


def test_cli_list_show_export_import_delete(tmp_path: Path, capsys) -> None:
    source = tmp_path / "in.json"
    source.write_text(json.dumps({"format": FORMAT, "version": 1,
                                  "presets": [MINE.to_dict()]}))
    assert main(["preset", "import", str(source)]) == 0
    assert "Imported Terse." in capsys.readouterr().out
    assert main(["preset", "list"]) == 0
    out = capsys.readouterr().out
    assert "Precise" in out and "built-in" in out and "Terse" in out and "yours" in out
    assert main(["preset", "show", "terse"]) == 0
    assert json.loads(capsys.readouterr().out) == MINE.to_dict()
    exported = tmp_path / "out.json"
    assert main(["preset", "export", "Terse", "Coder", str(exported)]) == 0
    assert [p["name"] for p in json.loads(exported.read_text())["presets"]] == ["Terse",
                                                                              "Coder"]
    assert main(["preset", "delete", "Coder"]) == 2
    assert "built-in" in capsys.readouterr().err
    assert main(["preset", "delete", "Terse"]) == 0
    assert main(["preset", "show", "Terse"]) == 2
    assert "no preset named 'Terse'" in capsys.readouterr().err


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--system")
    add_reply_options(parser)
    add_gpu_layers(parser)
    add_preset_option(parser)
    return parser.parse_args(argv)


def test_preset_option_applies_the_preset_under_typed_options() -> None:
    PresetStore().save(MINE)
    args = _args("--preset", "Terse", "--temperature", "0.8", "--ctx", "2048")
    base_load = LoadSettings(n_ctx=args.ctx, n_gpu_layers=args.gpu_layers)
    load, sampling = apply_preset(args, base_load, SamplingSettings(temperature=0.8))
    assert sampling.temperature == 0.8  # typed, though it equals the default
    assert sampling.max_tokens == 64 and sampling.json_schema == json.dumps(SCHEMA)
    assert load.n_ctx == 2048 and load.type_k == "q8_0"
    assert args.system == "Answer in one line."
    plain = _args("--preset", "Terse", "--system", "Mine.")
    load, sampling = apply_preset(plain, LoadSettings(), SamplingSettings())
    assert sampling.temperature == 0.3 and load.n_ctx == 8192 and plain.system == "Mine."
    with pytest.raises(PresetError, match="no preset named 'Nope'"):
        apply_preset(_args("--preset", "Nope"), LoadSettings(), SamplingSettings())


@pytest.mark.slow
def test_generate_with_a_schema_preset_prints_json_that_follows_it(capsys) -> None:
    from tests.fixtures.real_model import smollm2_path

    PresetStore().save(Preset("Count", system_prompt="Reply in JSON.",
                              sampling={"temperature": 0.0, "max_tokens": 24,
                                        "json_schema": json.dumps(SCHEMA)},
                              load={"n_ctx": 512, "n_batch": 256}))
    assert main(["generate", str(smollm2_path()), "-p", "How many legs has a cat?",
                 "--preset", "Count", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert isinstance(json.loads(result["text"])["answer"], int)
    assert result["model"]["n_ctx"] == 512  # the preset's load settings were used
