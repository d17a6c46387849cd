"""Pages on their own: offline Discover says so; a load that fails is shown in words; the
first-run page names the target the settings plan for."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from spark_desktop import settings
from spark_desktop.inference_settings import LoadSettings
from spark_desktop.ui.pages.discover import DiscoverPage
from spark_desktop.ui.pages.models import ModelsPage
from spark_desktop.ui.services import Services
from tests.fakehub import FakeHub, Fault, fake_hub, hub, tiny_files  # noqa: F401  (fixtures)


def test_discover_offline_says_so(qtbot) -> None:
    settings.save(dataclasses.replace(settings.Settings(), offline=True))
    services = Services()
    page = DiscoverPage(services)
    qtbot.addWidget(page)
    page.show()  # the first show searches
    qtbot.waitUntil(lambda: "offline" in page.status.text().lower(), timeout=15000)
    assert page.results.rowCount() == 0
    page.open_repo("org/model-GGUF")
    qtbot.waitUntil(lambda: "offline" in page.repo_view.status.text().lower(), timeout=15000)


def test_discover_badges_survive_a_flaky_hub_and_one_unreadable_header(
        qtbot, hub: FakeHub, monkeypatch) -> None:  # noqa: F811
    from PySide6.QtCore import Qt

    from spark_desktop.hub import RetryPolicy, retry
    from spark_desktop.ui.models.variants import FIT_COLUMN

    monkeypatch.setattr(retry, "HEADER_READS", RetryPolicy(attempts=5, base_delay=0.01,
                                                           max_delay=0.05, read_timeout=5.0))
    hub.scripts = {"tiny-Q8_0.gguf": [Fault(status=503)] + [Fault(reset_after=0)] * 3,
                   "F16/tiny-F16-00001-of-00002.gguf": [Fault(status=503, stays=True)]}
    services = Services()
    page = DiscoverPage(services)
    qtbot.addWidget(page)
    page.open_repo("acme/tiny-GGUF")
    rows = page.repo_view.variants
    qtbot.waitUntil(lambda: rows.rowCount() == 3 and all(
        r.estimate is not None or r.problem for r in rows.values()), timeout=30000)
    fit = {r.variant.quant: rows.data(rows.index(i, FIT_COLUMN)) for i, r in
           enumerate(rows.values())}
    assert fit["F16"] == "unknown" and "fits" in fit["Q8_0"] and "fits" in fit["Q4_0"]
    f16 = next(i for i, r in enumerate(rows.values()) if r.variant.quant == "F16")
    tip = rows.data(rows.index(f16, FIT_COLUMN), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("The Hugging Face Hub is busy: it answered 503")
    assert hub.scripts["tiny-Q8_0.gguf"] == []  # its faults were met and outlasted
    services.shutdown()


def test_a_load_that_fails_is_shown_in_words(qtbot, tmp_path: Path, test_model: Path) -> None:
    folder = tmp_path / "extra"
    folder.mkdir()
    broken = folder / "broken-Q4_K_M.gguf"
    with test_model.open("rb") as src:  # the real header, then far too little data
        broken.write_bytes(src.read(4 << 20))
    settings.save(dataclasses.replace(settings.Settings(), extra_model_dirs=(str(folder),)))
    services = Services()
    page = ModelsPage(services)
    qtbot.addWidget(page)
    services.refresh_library()
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=15000)
    model = page.model.value(0)
    page.start_load(model, LoadSettings(n_ctx=512))
    qtbot.waitUntil(lambda: not services.host.loading, timeout=120000)
    assert page.state.text().startswith(f"{model.name} did not load: ")
    assert services.host.entries == () and page.load_button.isEnabled() is False
    page.table.selectRow(0)
    assert page.load_button.isEnabled()
    services.shutdown()


def test_first_run_suggestion_fits_and_downloads_in_one_click(
        qtbot, fake_hub: FakeHub, tiny_files: dict[str, Path]) -> None:  # noqa: F811
    from spark_desktop.ui.pages.first_run import FirstRunPage
    from spark_desktop.ui.recommended import RECOMMENDED

    rec = RECOMMENDED[-1]
    fake_hub.add_repo(rec.repo, {f"model-{rec.quant}.gguf": tiny_files["tiny-Q8_0.gguf"]})
    services = Services()
    page = FirstRunPage(services)
    qtbot.addWidget(page)
    started: list[bool] = []
    page.download_started.connect(lambda: started.append(True))
    services.start()
    qtbot.waitUntil(lambda: any(c.rec == rec for c in page.cards), timeout=15000)
    card = next(c for c in page.cards if c.rec == rec)
    qtbot.waitUntil(card.button.isEnabled, timeout=30000)
    assert "fits" in card.badge.text() and "tok/s" in card.speed.text()
    assert page.machine.text().startswith(("DGX Spark", "Linux PC"))
    card.button.click()
    assert started == [True]
    qtbot.waitUntil(lambda: services.downloads.queue is not None
                    and [j.state.value for j in services.downloads.queue.jobs()] == ["done"],
                    timeout=30000)
    qtbot.waitUntil(lambda: len(services.models) == 1, timeout=15000)
    services.shutdown()


def test_first_run_planning_for_a_spark_names_the_spark(
        qtbot, fake_hub: FakeHub, tiny_files: dict[str, Path]) -> None:  # noqa: F811
    from spark_desktop.ui.pages.first_run import FirstRunPage
    from spark_desktop.ui.recommended import RECOMMENDED

    rec = RECOMMENDED[-1]
    fake_hub.add_repo(rec.repo, {f"model-{rec.quant}.gguf": tiny_files["tiny-Q8_0.gguf"]})
    settings.save(dataclasses.replace(settings.Settings(), target="spark"))
    services = Services()
    page = FirstRunPage(services)
    qtbot.addWidget(page)
    services.start()
    qtbot.waitUntil(lambda: any(c.rec == rec for c in page.cards), timeout=15000)
    assert page.machine.text() == "Planning for a DGX Spark — 115.7 GiB usable, 273 GB/s"
    assert page.machine.toolTip().startswith("This computer: ")
    assert "a DGX Spark" in page.intro.text() and "this machine" not in page.intro.text()
    card = next(c for c in page.cards if c.rec == rec)
    qtbot.waitUntil(card.button.isEnabled, timeout=30000)
    assert "tok/s on a DGX Spark." in card.speed.text()
    assert "this machine" not in card.speed.text()
    assert len(page.cards) == len(RECOMMENDED)  # a Spark takes even the 120B suggestion
    services.shutdown()
