"""Presets and structured output in the chat: the panel, the page's saved settings, a JSON
reply shown formatted (offscreen, real history), and a real model held to a schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from spark_desktop.chat import Turn, TurnFinished
from spark_desktop.engine import Client
from spark_desktop.history import HistoryStore
from spark_desktop.inference_settings import LoadSettings, SamplingSettings
from spark_desktop.presets import Preset, PresetStore
from spark_desktop.ui.bridges import HistoryBridge
from spark_desktop.ui.chat import ChatPage
from spark_desktop.ui.chat.message_model import MessageListModel
from spark_desktop.ui.chat.message_view import MessageView
from spark_desktop.ui.chat.preset_box import reload_model
from spark_desktop.ui.chat.settings_panel import SamplingPanel
from spark_desktop.ui.chat.structured_output import ANY_OBJECT, OBJECT, OFF, SCHEMA
from spark_desktop.ui.host_bridge import HostBridge
from tests.fixtures.real_model import smollm2_path

SCHEMA_TEXT = json.dumps({"type": "object", "properties": {
    "colour": {"type": "string", "enum": ["red", "green", "blue"]},
    "count": {"type": "integer"}}, "required": ["colour", "count"]})


def test_choosing_a_preset_fills_the_panel_and_waits_to_be_saved(qtbot: QtBot) -> None:
    panel = SamplingPanel(SamplingSettings())
    qtbot.addWidget(panel)
    names = [panel.presets.picker.itemText(i) for i in range(panel.presets.picker.count())]
    assert names[:3] == ["No preset", "Default", "Precise"] and "JSON extractor" in names
    with qtbot.waitSignal(panel.changed, timeout=1000):
        panel.presets.choose("Coder")
    assert panel.prompt() is not None and "programmer" in panel.prompt()
    assert panel.temperature.value() == pytest.approx(0.2)
    assert panel.structured.mode.currentIndex() == OFF
    assert panel.chosen_preset is not None and panel.take_preset().name == "Coder"
    assert panel.take_preset() is None  # once
    panel.presets.choose("JSON extractor")
    assert panel.structured.mode.currentIndex() == SCHEMA
    assert json.loads(panel.sampling()["json_schema"])["required"]
    assert json.loads(panel.structured.editor.toPlainText())["type"] == "object"
    assert panel.temperature.value() == 0.0
    # another conversation shown: its own values, no preset waiting
    panel.show_settings(None, {"temperature": 0.5}, "Precise")
    assert panel.presets.selected_name() == "Precise" and panel.take_preset() is None
    assert panel.sampling()["json_schema"] is None


def test_save_as_import_export_and_delete_from_the_panel(qtbot: QtBot, tmp_path: Path) -> None:
    panel = SamplingPanel(SamplingSettings())
    qtbot.addWidget(panel)
    panel.system_prompt.setPlainText("Be brief.")
    panel.temperature.setValue(0.4)
    panel.structured.mode.setCurrentIndex(OBJECT)
    assert panel.presets.save_current("Brief") is not None
    saved = PresetStore().get("Brief")
    assert saved.system_prompt == "Be brief." and saved.sampling["temperature"] == 0.4
    assert saved.sampling["json_schema"] == ANY_OBJECT
    assert panel.presets.selected_name() == "Brief" and panel.presets.delete_button.isEnabled()
    assert panel.presets.save_current("Precise") is None  # a built-in: refused in words
    assert "built-in" in panel.presets.message.text()
    out = tmp_path / "brief.json"
    assert panel.presets.export_to("Brief", str(out))
    assert panel.presets.delete("Brief") and panel.presets.picker.findData("Brief") < 0
    assert [p.name for p in panel.presets.import_from(str(out))] == ["Brief"]
    assert panel.presets.picker.findData("Brief") > 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "X", "sampling": {"top_p": 3}}')
    assert panel.presets.import_from(str(bad)) == ()
    assert "top_p is 3" in panel.presets.message.text()
    assert panel.presets.picker.findData("X") < 0


def test_a_preset_with_load_settings_offers_a_reload(qtbot: QtBot) -> None:
    PresetStore().save(Preset("Long", sampling={"temperature": 0.7}, load={"n_ctx": 8192}))
    panel = SamplingPanel(SamplingSettings())
    qtbot.addWidget(panel)
    panel.show()
    panel.presets.refresh()
    assert not panel.presets.reload_button.isVisible()
    panel.presets.choose("Long")
    assert panel.presets.reload_button.isVisible() and "8192" in panel.presets.load_note.text()
    with qtbot.waitSignal(panel.presets.reload_requested) as asked:
        panel.presets.reload_button.click()
    assert asked.args == [{"n_ctx": 8192}]
    assert LoadSettings.from_dict(asked.args[0]).n_ctx == 8192


def test_an_invalid_schema_is_shown_and_never_saved(qtbot: QtBot) -> None:
    panel = SamplingPanel(SamplingSettings())
    qtbot.addWidget(panel)
    panel.show()
    out = panel.structured
    out.mode.setCurrentIndex(SCHEMA)
    out.editor.setPlainText(SCHEMA_TEXT)
    assert out.check() and json.loads(panel.sampling()["json_schema"]) == json.loads(SCHEMA_TEXT)
    for bad, why in (('{"type": "object",', "not valid JSON"), ("[1, 2]", "JSON object"),
                     ("", "Write a JSON schema")):
        out.editor.setPlainText(bad)
        QApplication.sendEvent(out.editor, QFocusEvent(QEvent.Type.FocusOut))  # left it
        assert out.error.isVisible()
        assert why in out.error.text()
        assert json.loads(panel.sampling()["json_schema"]) == json.loads(SCHEMA_TEXT)
    out.mode.setCurrentIndex(OFF)
    assert panel.sampling()["json_schema"] is None and not out.error.isVisible()


def page_over(qtbot: QtBot, store: HistoryStore) -> ChatPage:
    page = ChatPage(HistoryBridge(store), HostBridge(host=None))
    qtbot.addWidget(page)
    return page


def test_a_preset_chosen_on_the_page_is_saved_with_the_conversation(
        qtbot: QtBot, store: HistoryStore) -> None:
    PresetStore().save(Preset("Docs", "", "Use the files.", {"temperature": 0.3},
                              tools={"enabled": True, "choice": "required"},
                              documents=("/d/a.md",), collection="notes"))
    conv = store.create_conversation("Old", extra={"keep": 1})
    page = page_over(qtbot, store)
    page.open_conversation(conv.id)
    qtbot.waitUntil(lambda: page.conversation is not None)
    page.panel.presets.refresh()
    page.panel.presets.choose("Docs")
    qtbot.waitUntil(lambda: store.get_conversation(conv.id).extra.get("preset") == "Docs")
    saved = store.get_conversation(conv.id)
    assert saved.system_prompt == "Use the files."
    assert saved.sampling_settings["temperature"] == 0.3
    assert saved.extra == {"keep": 1, "preset": "Docs", "documents": ["/d/a.md"],
                           "collection": "notes", "tools": {"enabled": True,
                                                            "choice": "required"}}
    # an edit after that saves the settings but does not write the preset's extra again
    store.update_conversation(conv.id, extra={**saved.extra, "documents": []})
    page.panel.temperature.setValue(0.9)
    page.panel.flush()
    qtbot.waitUntil(lambda: store.get_conversation(conv.id).sampling_settings["temperature"]
                    == 0.9)
    assert store.get_conversation(conv.id).extra["documents"] == []
    # opening it again shows its preset
    page.new_chat()
    assert page.panel.presets.selected_name() is None
    page.open_conversation(conv.id)
    qtbot.waitUntil(lambda: page.panel.presets.selected_name() == "Docs")
    # "No preset" forgets the name and keeps the settings
    page.panel.presets.picker.activated.emit(0)
    qtbot.waitUntil(lambda: "preset" not in store.get_conversation(conv.id).extra)
    assert store.get_conversation(conv.id).sampling_settings["temperature"] == 0.9


def test_a_json_reply_is_shown_indented_in_a_code_block(qtbot: QtBot,
                                                        store: HistoryStore) -> None:
    conv = store.create_conversation()
    question = store.add_message(conv.id, "user", "Colour?")
    raw = '{"colour":"red","count":3,"tags":["a","b"]}'
    flagged = store.add_message(conv.id, "assistant", raw, parent_id=question.id,
                                extra={"json": True})
    again = store.add_message(conv.id, "user", "Again, as text", parent_id=flagged.id)
    store.add_message(conv.id, "assistant", raw, parent_id=again.id)  # no schema: as written
    model = MessageListModel()
    model.set_page(store.messages_page(conv.id, limit=10))
    view = MessageView(model)
    qtbot.addWidget(view)
    view.resize(700, 900)
    view.show()
    qtbot.waitExposed(view)
    layout = view.message_delegate.layout_for(model.index(1, 0))
    pretty = json.dumps(json.loads(raw), indent=2)
    assert [(c.language, c.text) for c in layout.codes] == [("json", pretty)]
    assert any(h.action == "copy_code" and h.payload == pretty for h in layout.hits)
    shown = "".join(doc.toPlainText() for _pos, doc in layout.body)
    plain = view.message_delegate.layout_for(model.index(3, 0))
    assert plain.codes == [] and "".join(d.toPlainText() for _p, d in plain.body) == raw
    assert '  "colour": "red",' in shown and raw not in shown


@pytest.fixture(scope="module")
def smol(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    client = Client(log_path=tmp_path_factory.mktemp("engine") / "engine.log")
    client.load(smollm2_path(), LoadSettings(n_ctx=512, n_batch=256, n_ubatch=256,
                                             flash_attn="off", threads=1))
    yield client
    client.close()


@pytest.mark.slow
def test_a_schema_preset_turn_replies_with_json_that_follows_it(store: HistoryStore,
                                                                smol: Client) -> None:
    preset = Preset("Colour", system_prompt="Answer in JSON.",
                    sampling={"temperature": 0.0, "max_tokens": 40, "json_schema": SCHEMA_TEXT})
    conv = store.create_conversation(system_prompt=preset.system_prompt,
                                     sampling_settings=preset.sampling_settings().to_dict(),
                                     extra=preset.chat_extra({}))
    events = list(Turn.send(store, smol, conv.id, "Pick a colour and a number.").run())
    finished = events[-1]
    assert isinstance(finished, TurnFinished) and finished.error is None
    reply = store.get_message(finished.reply.id)
    value = json.loads(reply.content)
    assert set(value) == {"colour", "count"}
    assert value["colour"] in ("red", "green", "blue") and isinstance(value["count"], int)
    assert reply.extra == {"json": True} and finished.reply.extra == {"json": True}
    # without a schema the reply is not marked
    store.update_conversation(conv.id, sampling_settings={"temperature": 0.0, "max_tokens": 4})
    events = list(Turn.send(store, smol, conv.id, "Say hi.").run())
    assert store.get_message(events[-1].reply.id).extra == {}


@pytest.mark.slow
def test_a_new_chat_under_a_schema_preset_saves_it_and_shows_the_reply_as_json(
        qtbot: QtBot, store: HistoryStore, test_model: Path,
        tmp_path_factory: pytest.TempPathFactory) -> None:
    from tests.conftest import chat_options
    from tests.host_fixtures import GEMMA, gemma_host

    PresetStore().save(Preset("Colour", sampling={"temperature": 0.0, "max_tokens": 30,
                                                  "json_schema": SCHEMA_TEXT}))
    with gemma_host(test_model, tmp_path_factory.mktemp("host"), chat_options()) as host:
        page = ChatPage(HistoryBridge(store), HostBridge(host=host))
        qtbot.addWidget(page)
        qtbot.waitUntil(lambda: page.model_id == GEMMA)
        page.resize(1000, 700)
        page.show()
        page.panel.presets.refresh()
        page.panel.presets.choose("Colour")  # before the chat exists
        with qtbot.waitSignal(page.reply_finished, timeout=120_000) as done:
            page.send("Pick a colour.")
        qtbot.waitUntil(lambda: not page.busy)
        before = page.host.entry(GEMMA).n_ctx
        with qtbot.waitSignal(page.host.loaded, timeout=120_000):  # a preset's load settings
            reload_model(page.host, GEMMA, {"n_ctx": 512}, chat_options())
        assert before == 1024 and page.host.entry(GEMMA).n_ctx == 512
    reply = done.args[0]
    value = json.loads(reply.content)
    assert value["colour"] in ("red", "green", "blue") and isinstance(value["count"], int)
    assert reply.extra == {"json": True}
    qtbot.waitUntil(lambda: store.get_conversation(reply.conversation_id).extra.get("preset")
                    == "Colour")
    conv = store.get_conversation(reply.conversation_id)
    assert json.loads(conv.sampling_settings["json_schema"]) == json.loads(SCHEMA_TEXT)
    layout = page.view.message_delegate.layout_for(page.model.index(1, 0))
    assert [c.text for c in layout.codes] == [json.dumps(value, indent=2, ensure_ascii=False)]
