"""Discover suggests small embedding models for documents; opening one lists its files from
the (fake) Hub with the suggested quantization selected, as any model opens."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from spark_desktop.ui.pages.discover import DiscoverPage
from spark_desktop.ui.recommended import EMBEDDING_MODELS
from spark_desktop.ui.services import Services
from tests.fakehub import FakeHub, fake_hub, tiny_files  # noqa: F401  (fixtures)


def test_discover_suggests_embedding_models(qtbot, fake_hub: FakeHub,  # noqa: F811
                                            tiny_files: dict[str, Path]) -> None:  # noqa: F811
    rec = next(r for r in EMBEDDING_MODELS if r.repo.startswith("nomic-ai/"))
    fake_hub.add_repo(rec.repo, {
        "nomic-embed-text-v1.5.Q4_0.gguf": tiny_files["Q4_0/tiny-Q4_0.gguf"],
        f"nomic-embed-text-v1.5.{rec.quant}.gguf": tiny_files["tiny-Q8_0.gguf"],
        "README.md": b"# nomic\n"})
    services = Services()
    page = DiscoverPage(services)
    qtbot.addWidget(page)
    page.show()
    assert not page.embedders.isVisible()
    qtbot.mouseClick(page.embedders_button, Qt.MouseButton.LeftButton)
    assert page.embedders.isVisible()
    rows = [page.embedders.item(i) for i in range(page.embedders.count())]
    assert [item.data(Qt.ItemDataRole.UserRole) for item in rows] == [
        (r.repo, r.quant) for r in EMBEDDING_MODELS]
    assert all(r.title in item.text() and r.why in item.text()
               for r, item in zip(EMBEDDING_MODELS, rows, strict=True))
    chosen = rows[EMBEDDING_MODELS.index(rec)]
    page.embedders.itemActivated.emit(chosen)
    view = page.repo_view
    assert page.stack.currentWidget() is view and view.title.text() == rec.repo
    qtbot.waitUntil(lambda: view.variants.rowCount() == 2, timeout=30_000)
    (selected,) = {index.row() for index in view.table.selectionModel().selectedRows()}
    assert view.variants.values()[selected].variant.quant == rec.quant
    services.shutdown()
