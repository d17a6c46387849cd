"""The Hugging Face cache layout, so `hf` and other tools share our downloads.

models--org--name/blobs/<sha256>, snapshots/<commit>/<path> -> ../../blobs/<sha256>,
refs/main = <commit>. Partial downloads live next to the blob as
blobs/<sha256>.incomplete, the name huggingface_hub itself uses, so either tool can
resume the other's partial file.
"""

from __future__ import annotations

import os
from pathlib import Path

from huggingface_hub.file_download import repo_folder_name

from spark_desktop.hub.names import check_blob, check_repo_id, check_revision, safe_join


def repo_dir(models_dir: Path, repo: str) -> Path:
    return models_dir / repo_folder_name(repo_id=check_repo_id(repo), repo_type="model")


def blob_path(models_dir: Path, repo: str, blob: str) -> Path:
    return repo_dir(models_dir, repo) / "blobs" / check_blob(blob)


def partial_path(models_dir: Path, repo: str, blob: str) -> Path:
    return repo_dir(models_dir, repo) / "blobs" / (check_blob(blob) + ".incomplete")


def snapshot_path(models_dir: Path, repo: str, revision: str, path: str) -> Path:
    snapshots = repo_dir(models_dir, repo) / "snapshots" / check_revision(revision)
    return safe_join(snapshots, path)


def link_snapshot(models_dir: Path, repo: str, revision: str, path: str, blob: str,
                  ref: str = "main") -> Path:
    """Point snapshots/<rev>/<path> at the blob (relative symlink) and record refs/<ref>."""
    link = snapshot_path(models_dir, repo, revision, path)
    link.parent.mkdir(parents=True, exist_ok=True)
    target = os.path.relpath(blob_path(models_dir, repo, blob), link.parent)
    tmp = link.with_name(link.name + ".link-tmp")
    tmp.unlink(missing_ok=True)
    try:
        os.symlink(target, tmp)
    except OSError:  # filesystems without symlinks: hard link, as huggingface_hub falls back
        os.link(blob_path(models_dir, repo, blob), tmp)
    os.replace(tmp, link)
    refs = repo_dir(models_dir, repo) / "refs"
    refs.mkdir(parents=True, exist_ok=True)
    (refs / ref).write_text(revision)
    return link
