"""One host per machine: the discovery file says where the running host listens, and a
per-user token (0600, in the data folder) lets this user's other processes reach it.

`connect()` is how a second process (the app, or a second `serve`) finds the running
host and attaches to it instead of loading models again.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from spark_desktop import paths
from spark_desktop.host.errors import HostError

if TYPE_CHECKING:
    from spark_desktop.host.remote import HostClient


#: Lock descriptors this process holds as the machine's host (see announce).
_held: list[int] = []


@dataclass(frozen=True)
class Running:
    """Where a running host listens."""

    host: str
    port: int
    pid: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def host_token() -> str:
    """This user's token for reaching the running host (made once, mode 0600)."""
    path = paths.host_token_path()
    try:
        token = path.read_text(encoding="ascii").strip()
        if token:
            return token
        path.unlink()
    except FileNotFoundError:
        pass
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(token + "\n")
    return token


def announce(host: str, port: int) -> Running:
    """Say that this process hosts the models, listening at host:port; a lock held until
    withdraw() makes sure two processes starting at once cannot both become the host."""
    lock = os.open(paths.host_discovery_path().with_suffix(".lock"), os.O_RDWR | os.O_CREAT,
                   0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(lock)
        other = _read()
        where = f" at {other.url} (process {other.pid})" if other else ""
        raise HostError(f"Another model host is starting or running on this machine{where}; "
                        "use it instead of starting a second one.") from None
    _held.append(lock)
    running = Running(host, port, os.getpid())
    path = paths.host_discovery_path()
    partial = path.with_name(path.name + f".{os.getpid()}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump({"host": host, "port": port, "pid": running.pid}, fh)
    partial.replace(path)
    return running


def host_locked() -> bool:
    """True while a process holds the host lock (a `serve` or the app's Server page is
    running or starting); the lock is tried, never kept."""
    path = paths.host_discovery_path().with_suffix(".lock")
    try:
        lock = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(lock)  # closing the descriptor releases a lock taken here
    return False


def withdraw() -> None:
    """Remove the discovery file if it is this process's."""
    found = _read()
    if found is not None and found.pid == os.getpid():
        paths.host_discovery_path().unlink(missing_ok=True)
    while _held:
        os.close(_held.pop())  # closing the descriptor releases the lock


def running() -> Running | None:
    """The host this machine runs, if its process is alive (a stale file is removed)."""
    found = _read()
    if found is None:
        return None
    if not _alive(found.pid):
        paths.host_discovery_path().unlink(missing_ok=True)
        return None
    return found


def connect(timeout: float = 5.0) -> HostClient | None:
    """A client of the running host, or None when no host runs (or it does not answer)."""
    from spark_desktop.host.errors import HostUnreachableError
    from spark_desktop.host.remote import HostClient

    found = running()
    if found is None:
        return None
    client = HostClient(found.url, host_token(), timeout=timeout)
    try:
        client.health()
    except HostUnreachableError:
        client.close()
        return None
    return client


def _read() -> Running | None:
    try:
        data = json.loads(paths.host_discovery_path().read_text(encoding="utf-8"))
        return Running(str(data["host"]), int(data["port"]), int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
