"""API keys: named keys from the command line or a file (one `name key` per line),
compared in constant time; editing the file revokes or adds keys without a restart."""

from __future__ import annotations

import hmac
import os
import re
import secrets
import threading
from pathlib import Path

from spark_desktop.errors import SparkError

HOST_KEY_NAME = "host"


class KeyFileError(SparkError):
    """The API keys file cannot be read."""


def read_keys_file(path: Path) -> dict[str, str]:
    """{key: name} from lines `name key` (blank lines and # comments skipped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise KeyFileError(f"Cannot read the API keys file {path}: {exc.strerror}.") from exc
    keys: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise KeyFileError(f"{path} line {number}: write one `name key` pair per line.")
        name, key = parts
        if len(key) < 8:
            raise KeyFileError(f"{path} line {number}: the key of {name} is shorter than 8 "
                               "characters; use a long random key.")
        keys[key] = name
    return keys


def new_key() -> str:
    """A long random key to hand a teammate or a tool."""
    return "sk-spark-" + secrets.token_urlsafe(24)


def write_keys_file(path: Path, keys: dict[str, str]) -> None:
    """Write {key: name} as `name key` lines, atomically and readable by this user only
    (a running server picks the change up at its next request)."""
    for key, name in keys.items():
        if not re.fullmatch(r"\S+", name) or not re.fullmatch(r"\S{8,}", key):
            raise KeyFileError(f"A key's name is one word and its key 8 or more characters "
                               f"without spaces ({name!r} is not).")
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("# name key (one per line); written by Spark Desktop\n")
        fh.writelines(f"{name} {key}\n" for key, name in keys.items())
    partial.replace(path)


class KeyRing:
    """The keys a server accepts. `required` is False only when no user key is set."""

    def __init__(self, keys: dict[str, str] | None = None, keys_file: Path | None = None,
                 host_key: str | None = None) -> None:
        self._static = dict(keys or {})
        self._file = keys_file
        self._file_state: tuple[float, int] | None = None
        self._from_file: dict[str, str] = {}
        self._host_key = host_key
        self._lock = threading.Lock()
        if keys_file is not None:
            self._reload()

    @property
    def required(self) -> bool:
        return bool(self._static) or self._file is not None

    def _reload(self) -> None:
        assert self._file is not None
        try:
            st = self._file.stat()
        except OSError:
            self._from_file = {}  # a deleted file revokes every key in it
            return
        state = (st.st_mtime, st.st_size)
        if state != self._file_state:
            self._from_file = read_keys_file(self._file)
            self._file_state = state

    def name_of(self, presented: str | None) -> str | None:
        """The name of the key presented, or None; every key is compared in full."""
        if not presented:
            return None
        with self._lock:
            if self._file is not None:
                self._reload()
            candidates = {**self._static, **self._from_file}
        if self._host_key:
            candidates[self._host_key] = HOST_KEY_NAME
        found = None
        given = presented.encode()
        for key, name in candidates.items():
            if hmac.compare_digest(key.encode(), given):
                found = name
        return found

    def is_host(self, presented: str | None) -> bool:
        return bool(self._host_key and presented
                    and hmac.compare_digest(self._host_key.encode(), presented.encode()))


def presented_key(headers: dict[str, str] | object) -> str | None:
    """The key as each API's clients send it: `Authorization: Bearer` or `x-api-key`."""
    get = headers.get  # type: ignore[attr-defined]
    auth = get("authorization") or ""
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return get("x-api-key")
