"""Check names that come from the Hub before they touch the disk.

A repository path is joined under the models folder; a hostile or odd name
(`..`, an absolute path, a backslash, control characters, odd characters) must
never let a file land outside it, so such names are refused, not cleaned.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from spark_desktop.hub.errors import UnsafeFileNameError

_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+\-=@()\[\] ]*")
_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._\-]*/[A-Za-z0-9][A-Za-z0-9._\-]*")
_REVISION = re.compile(r"[0-9a-f]{40}")
_BLOB = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def check_repo_id(repo: str) -> str:
    """`org/name` with safe characters only."""
    if not _REPO.fullmatch(repo) or ".." in repo:
        raise UnsafeFileNameError(f"{repo!r} is not a valid Hugging Face repository name "
                                  "(expected org/name).")
    return repo


def check_revision(revision: str) -> str:
    """A commit hash as the Hub sends it in X-Repo-Commit / model info."""
    if not _REVISION.fullmatch(revision):
        raise UnsafeFileNameError(f"The Hub sent an unexpected revision {revision!r}; "
                                  "refusing to use it as a folder name.")
    return revision


def check_blob(blob: str) -> str:
    """A blob name in the cache: the LFS sha256 (64 hex) or a git blob id (40 hex)."""
    if not _BLOB.fullmatch(blob):
        raise UnsafeFileNameError(f"The Hub sent an unexpected file hash {blob!r}; "
                                  "refusing to use it as a file name.")
    return blob


def check_repo_path(path: str) -> str:
    """A relative POSIX path of plain segments; anything else is refused."""
    problem = None
    if not path or len(path) > 1024:
        problem = "is empty or too long"
    elif "\\" in path or "\x00" in path or any(ord(c) < 32 or ord(c) == 127 for c in path):
        problem = "contains a backslash or control characters"
    elif path.startswith("/") or PurePosixPath(path).is_absolute():
        problem = "is an absolute path"
    else:
        for segment in path.split("/"):
            if segment in ("", ".", ".."):
                problem = "contains '..', '.' or an empty folder name"
                break
            if not _SEGMENT.fullmatch(segment) or segment.endswith(" "):
                problem = "contains characters we do not accept in file names"
                break
    if problem:
        raise UnsafeFileNameError(f"Refusing the file name {path!r} from the Hub: it {problem}.")
    return path


def safe_join(root: Path, path: str) -> Path:
    """root/path, only if the result stays inside root (the link itself, not its target)."""
    check_repo_path(path)
    base = Path(os.path.abspath(root))
    target = Path(os.path.abspath(base / path))
    if base not in target.parents:
        raise UnsafeFileNameError(f"Refusing the file name {path!r}: it would leave {root}.")
    return root / path
