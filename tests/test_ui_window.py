"""The window shell: sidebar switches pages, shortcuts reach the chat page, state is
remembered in the data folder, the status bar follows the model host (memory against this
machine, whatever target the estimates plan for), settings persist."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QApplication

from spark_desktop import paths, settings
from spark_desktop.ui.format import human_bytes
from spark_desktop.ui.main_window import PAGES
from tests.fixtures.windows import open_window


def test_sidebar_switches_pages(qtbot) -> None:
    window = open_window(qtbot)
    for row, name in enumerate(PAGES):
        window.sidebar.setCurrentRow(row)
        assert window.stack.currentWidget() is window.slots[name]
        assert window.current_page() == name
    window.show_page("welcome")
    assert window.stack.currentWidget() is window.slots["welcome"]
    assert window.current_page() == "welcome"


def test_first_run_page_when_no_models(qtbot) -> None:
    window = open_window(qtbot)
    qtbot.waitUntil(lambda: window.current_page() == "welcome", timeout=10000)
    qtbot.waitUntil(lambda: window.services.machine is not None, timeout=10000)
    text = window.page("welcome").machine.text()
    assert text.startswith(("DGX Spark", "Linux PC"))
    assert "GB" in text


def test_shortcuts_reach_the_chat_page(qtbot) -> None:
    window = open_window(qtbot)
    window.show_page("settings")
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    calls: list[str] = []
    for name in ("new_chat", "focus_search", "stop"):
        setattr(window.chat, name, lambda n=name: calls.append(n))
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.current_page() == "chat"
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    assert calls == ["new_chat", "focus_search", "stop"]


def test_geometry_and_page_restored_in_a_newopen_window(qtbot) -> None:
    first = open_window(qtbot)
    first.resize(first.minimumSizeHint().width(), 555)
    first.move(QPoint(40, 30))
    qtbot.waitUntil(lambda: first.size().height() == 555)
    first.show_page("downloads")
    first.close()
    ini = paths.data_dir() / "window.ini"
    assert ini.exists()
    assert QSettings(str(ini), QSettings.Format.IniFormat).value("page") == "downloads"
    second = open_window(qtbot)
    assert second.current_page() == "downloads"
    assert second.height() == 555  # (the width is clamped to the small offscreen screen)
    qtbot.wait(300)  # the library scan finds no models: an explicit last page still wins
    assert second.current_page() == "downloads"


def test_settings_page_persists_and_applies_theme(qtbot) -> None:
    from PySide6.QtGui import QPalette

    window = open_window(qtbot)
    page = window.page("settings")
    window.show_page("settings")
    page.n_ctx.setValue(16384)
    page.kv_type.setCurrentText("q8_0")
    page.temperature.setValue(0.3)
    page.offline.setChecked(True)
    page.theme.setCurrentIndex(2)  # dark
    saved = settings.load()
    assert (saved.load.n_ctx, saved.load.type_v, saved.sampling.temperature, saved.offline,
            saved.theme) == (16384, "q8_0", 0.3, True, "dark")
    assert window.chat.panel.temperature.value() == 0.3  # new chats start from the defaults
    window_colour = QApplication.instance().palette().color(QPalette.ColorRole.Window)
    assert window_colour.lightness() < 100
    page.add_model_dir("/tmp/more-models")
    assert settings.load().extra_model_dirs == ("/tmp/more-models",)
    page.extra_dirs.setCurrentRow(0)
    page.remove_dir_button.click()
    assert settings.load().extra_model_dirs == ()
    page.theme.setCurrentIndex(0)
    qtbot.waitUntil(lambda: page.checks.topLevelItemCount() > 0, timeout=30000)
    names = [page.checks.topLevelItem(i).text(0) for i in range(page.checks.topLevelItemCount())]
    assert any("Python" in n for n in names)
    assert "Hugging Face" in page.login_label.text()


def test_status_bar_follows_the_host(qtbot) -> None:
    window = open_window(qtbot)
    host = window.services.host
    host.load("no-such-model")  # a real load through the host, refused in words
    assert window.state_label.text() == "loading no-such-model"
    qtbot.waitUntil(lambda: not host.loading, timeout=30000)
    assert window.state_label.text() == "not loaded"
    assert window.model_label.text() == "No model loaded"


def test_status_bar_memory_is_this_machines_when_planning_for_a_spark(qtbot) -> None:
    import dataclasses

    settings.save(dataclasses.replace(settings.Settings(), target="spark"))
    window = open_window(qtbot)
    services = window.services
    qtbot.waitUntil(lambda: services.machine is not None, timeout=10000)
    assert services.target.name == "spark" and services.local.name == "this"
    local = services.local_pool_bytes
    assert local > 0 and local != services.pool_bytes
    qtbot.waitUntil(lambda: services.host.pool > 0, timeout=30000)
    assert window.memory_label.text() == f"0 B of {human_bytes(services.host.pool)} in use"
    assert window.plan_label.isVisibleTo(window)
    assert window.plan_label.text() == "Planning for a DGX Spark"
    qtbot.waitUntil(lambda: window.current_page() == "welcome", timeout=10000)
    assert window.page("welcome").machine.text().startswith("Planning for a DGX Spark")
