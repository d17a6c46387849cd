"""Shared fixtures: every test runs with private data, models and HF folders.

The real test model (Gemma 3 270M Q4_K_M) comes from tests/fixtures/real_model.py.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.fixtures.real_model import real_model_path

if TYPE_CHECKING:
    from spark_desktop.engine import Client
    from spark_desktop.history import HistoryStore
    from spark_desktop.inference_settings import LoadSettings


os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test touches the real home: data, models and the HF cache live in tmp."""
    monkeypatch.setenv("SPARK_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SPARK_DESKTOP_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    # New histories are encrypted; their keys go to a file keyring inside tmp.
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "keyring"))
    monkeypatch.setenv("SPARK_DESKTOP_PASSPHRASE_FILE", "")  # recorded, so restored after
    monkeypatch.delenv("SPARK_DESKTOP_PASSPHRASE_FILE")
    return tmp_path


@pytest.fixture(autouse=True)
def background_calls_end() -> Iterator[None]:
    """A test's background calls (the GUI's thread pool) end with it. A window's start-up
    work still running after the window closed made the next test's window crash in
    QApplication.setStyleSheet, about one run in two of tests/test_ui_window.py (the app
    itself has one window, whose close ends the process)."""
    yield
    if "PySide6.QtCore" in sys.modules:
        from PySide6.QtCore import QThreadPool

        QThreadPool.globalInstance().waitForDone(10_000)
        gc.collect()  # on the main thread, as the app's GUI-thread collector does


@pytest.fixture(scope="session")
def qapp(qapp: Any) -> Any:
    """pytest-qt's application, with the app's guard: garbage is collected on the GUI
    thread only (spark_desktop/ui/gc_guard.py), as in the app."""
    from spark_desktop.ui.gc_guard import collect_on_gui_thread

    collect_on_gui_thread()
    return qapp


@pytest.fixture(scope="session")
def test_model() -> Path:
    """Path of the real Gemma 3 270M Q4_K_M GGUF, assembled once from its PyPI chunks."""
    return real_model_path()


def chat_options() -> LoadSettings:
    """Small, quick load settings for chat tests with the real model."""
    from spark_desktop.inference_settings import LoadSettings

    return LoadSettings(n_ctx=1024, n_batch=256, n_ubatch=256, flash_attn="off", threads=2)


@pytest.fixture(scope="module")
def engine(test_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    """A real worker with the test model loaded, shared by one module's tests."""
    from spark_desktop.engine import Client

    client = Client(log_path=tmp_path_factory.mktemp("engine") / "engine.log")
    client.load(test_model, chat_options())
    yield client
    client.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    """A real history database in this test's folder."""
    from spark_desktop.history import HistoryStore

    with HistoryStore.open(tmp_path / "history.sqlite3") as s:
        yield s
