"""'Delete all my data': the history (with its WAL, key file and keyring entry), logs,
caches and settings; downloaded models only when the user ticks them too.

Qt-free so the GUI's Settings → Privacy and any later command share it. Run it with the
history closed; the GUI quits right after, so nothing is written back.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from spark_desktop import paths


def _gguf_repos(cache: Path) -> list[Path]:
    """Repositories in a Hugging Face cache that hold GGUF files (the ones we download);
    other tools' models in a shared cache are left alone."""
    if not cache.is_dir():
        return []
    return [repo for repo in sorted(cache.glob("models--*"))
            if repo.is_dir() and next(repo.rglob("*.gguf"), None) is not None]


def delete_all_data(include_models: bool = False) -> list[Path]:
    """Delete the data folder and the history's keyring entries (and, if asked, the GGUF
    models in the models folder); return what was removed."""
    from spark_desktop.history import keys

    data = paths.data_dir()
    database = paths.database_path()
    removed: list[Path] = []
    try:
        records = keys.read_records(database)
    except Exception:  # noqa: BLE001 - a damaged key file is deleted with the rest
        records = []
    keys.KeySource().forget(records)
    kept = paths.imports_dir() if not include_models else None
    for entry in sorted(data.iterdir()):
        if entry == kept:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
        removed.append(entry)
    if include_models:
        for repo in _gguf_repos(paths.models_dir()):
            shutil.rmtree(repo)
            removed.append(repo)
    return removed
