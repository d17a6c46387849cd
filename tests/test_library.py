"""The local model library: HF cache layout, extra folders, imports, header cache, remove."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from spark_desktop import paths, settings
from spark_desktop.library import (
    ModelNotFoundError,
    RemoveRefusedError,
    find,
    import_file,
    remove,
    reveal,
    scan,
)
from tests.fixtures.synthetic_models import write_llama


def _hf_layout(root: Path, repo: str, files: dict[str, Path], revision: str = "a" * 40) -> None:
    """Lay files out as huggingface_hub does: blobs + snapshot links + refs/main."""
    repo_dir = root / ("models--" + repo.replace("/", "--"))
    for rel, source in files.items():
        blob = repo_dir / "blobs" / f"{abs(hash(rel)):x}"
        blob.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, blob)
        link = repo_dir / "snapshots" / revision / rel
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    (repo_dir / "refs").mkdir(exist_ok=True)
    (repo_dir / "refs" / "main").write_text(revision)


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, ...]]:
    root = tmp_path_factory.mktemp("library-models")
    return {
        "single": write_llama(root / "a", name="solo-Q8_0", tensor_type="Q8_0").paths,
        "split": write_llama(root / "b", name="big-F16", split=3).paths,
        "proj": write_llama(root / "c", name="mmproj-x-F16").paths,
        "extra": write_llama(root / "d", name="extra-model-F16", context_length=4096).paths,
        "loose": write_llama(root / "e", name="loose-Q4_0", tensor_type="Q4_0").paths,
    }


def test_scan_finds_models_everywhere_and_joins_splits(made, tmp_path: Path) -> None:
    models_dir = paths.models_dir()
    _hf_layout(models_dir, "acme/solo-GGUF", {"solo-Q8_0.gguf": made["single"][0],
                                              "mmproj-x-F16.gguf": made["proj"][0]})
    _hf_layout(models_dir, "acme/big-GGUF",
               {f"F16/{p.name}": p for p in made["split"]})
    _hf_layout(paths.hf_cache_dir(), "other/cached-GGUF", {"solo-Q8_0.gguf": made["loose"][0]})
    extra = tmp_path / "extra"
    extra.mkdir()
    shutil.copyfile(made["extra"][0], extra / made["extra"][0].name)
    settings.save(settings.Settings(extra_model_dirs=(str(extra),)))

    models = {m.name: m for m in scan()}
    assert set(models) == {"solo-Q8_0", "big-F16", "extra-model-F16"}  # the HF cache copy of
    # solo-Q8_0 is a different file in another repo, so both appear once each:
    assert sorted(m.repo or "" for m in scan()) == ["", "acme/big-GGUF", "acme/solo-GGUF",
                                                    "other/cached-GGUF"]
    big = models["big-F16"]
    assert big.repo == "acme/big-GGUF" and big.quant == "F16" and len(big.parts) == 3
    assert big.size == sum(p.stat().st_size for p in made["split"])
    assert big.path.name == "big-F16-00001-of-00003.gguf"
    extra_model = models["extra-model-F16"]
    assert extra_model.source == "extra" and extra_model.context_length == 4096
    assert extra_model.architecture == "llama" and extra_model.parameters
    assert models["solo-Q8_0"].quant == "Q8_0" and models["solo-Q8_0"].problem is None
    assert reveal(big) == big.path.resolve().parent


def test_partial_downloads_and_incomplete_splits_are_not_models(made) -> None:
    models_dir = paths.models_dir()
    _hf_layout(models_dir, "acme/big-GGUF", {p.name: p for p in made["split"][:2]})
    blobs = models_dir / "models--acme--big-GGUF" / "blobs"
    (blobs / ("f" * 64 + ".incomplete")).write_bytes(b"GGUF partial")
    assert scan() == ()


def test_header_cache_is_used_until_the_file_changes(made) -> None:
    _hf_layout(paths.models_dir(), "acme/solo-GGUF", {"solo-Q8_0.gguf": made["single"][0]})
    (model,) = scan()
    cache_file = paths.data_dir() / "library-headers.json"
    cached = json.loads(cache_file.read_text())
    (entry,) = cached["files"].values()
    entry["facts"]["architecture"] = "from-the-cache"
    cache_file.write_text(json.dumps(cached))
    assert scan()[0].architecture == "from-the-cache"  # no header reread
    blob = model.path.resolve()
    os.utime(blob, ns=(blob.stat().st_atime_ns, blob.stat().st_mtime_ns + 10**9))
    assert scan()[0].architecture == "llama"  # the file changed: read again


def test_remove_frees_blobs_and_prunes_the_repo(made) -> None:
    models_dir = paths.models_dir()
    _hf_layout(models_dir, "acme/big-GGUF", {f"F16/{p.name}": p for p in made["split"]})
    _hf_layout(models_dir, "acme/solo-GGUF", {"solo-Q8_0.gguf": made["single"][0]})
    big = find("acme/big-GGUF")
    freed = remove(big)
    assert freed == big.size
    assert not (models_dir / "models--acme--big-GGUF").exists()
    assert [m.name for m in scan()] == ["solo-Q8_0"]
    with pytest.raises(ModelNotFoundError):
        find("acme/big-GGUF")


def test_import_links_a_file_and_remove_keeps_the_original(made, tmp_path: Path) -> None:
    original = tmp_path / made["loose"][0].name
    shutil.copyfile(made["loose"][0], original)
    model = import_file(original)
    assert model.source == "import" and model.quant == "Q4_0"
    assert find("loose-Q4_0") == model
    assert remove(model) == 0 and original.exists()
    assert scan() == ()
    copied = import_file(original, copy=True)
    assert not copied.path.is_symlink()
    assert remove(copied) == original.stat().st_size


def test_import_refuses_a_file_that_is_not_gguf(tmp_path: Path) -> None:
    from spark_desktop.errors import SparkError

    bad = tmp_path / "notes.gguf"
    bad.write_bytes(b"not a model at all")
    with pytest.raises(SparkError):
        import_file(bad)


def test_remove_refuses_paths_outside_known_folders(made, tmp_path: Path) -> None:
    import dataclasses

    _hf_layout(paths.models_dir(), "acme/solo-GGUF", {"solo-Q8_0.gguf": made["single"][0]})
    (model,) = scan()
    outside = tmp_path / "elsewhere.gguf"
    shutil.copyfile(made["single"][0], outside)
    forged = dataclasses.replace(model, path=outside, parts=(outside,))
    with pytest.raises(RemoveRefusedError):
        remove(forged)
    assert outside.exists()
