"""Fetch one Hub file into the cache: resume, retry, hash while writing, verify, rename.

On resume the bytes already in the partial file are read once to rebuild the
sha256 state (hashlib cannot persist its state); that is a read of what is on
disk, not a second download and not a second pass over the finished file. New
bytes are hashed as they are written, and the blob is renamed into place only
after the hash matches the Hub's LFS sha256.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import http.client
import os
import queue
import shutil
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import getproxies, proxy_bypass

import certifi

from spark_desktop.hub import retry, session
from spark_desktop.hub.errors import ChecksumError, DiskFullError, DownloadError
from spark_desktop.hub.retry import RetryPolicy
from spark_desktop.hub.variants import HubFile

CHUNK = 1 << 20
DISK_MARGIN = 64 << 20


class Stopped(Exception):
    """The transfer was paused or cancelled; the partial file is kept."""


class _Transient(Exception):
    """A failure worth retrying (retry.transient, retry.transient_status); `busy` when
    the Hub answered with a status (not a network failure), with its Retry-After."""

    def __init__(self, reason: str, busy: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.busy = busy
        self.retry_after = retry_after


def _gib(n: int) -> str:
    return f"{n / (1 << 30):.2f} GiB"


def check_space(folder: Path, needed: int, margin: int = DISK_MARGIN) -> None:
    """Refuse to start when the disk cannot hold the remaining bytes plus a margin."""
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if needed + margin > free:
        raise DiskFullError(
            f"Not enough disk space in {folder}: the download needs {_gib(needed)} more "
            f"(plus {_gib(margin)} to spare) but only {_gib(free)} is free. Free some space "
            "or choose another models folder, then resume.")


def _disk_full(folder: Path, too_big: bool = False) -> DiskFullError:
    why = (" for a file this large (a file-size limit or the file system refuses it)"
           if too_big else "")
    return DiskFullError(f"The disk holding {folder} is full{why}. Free some space or choose "
                         "another models folder, then resume the download; what was already "
                         "downloaded is kept.")


@contextmanager
def disk_errors(folder: Path) -> Iterator[None]:
    """A full disk anywhere in a block becomes DiskFullError: no space (ENOSPC), a quota
    (EDQUOT), or a file larger than a size limit allows (EFBIG, RLIMIT_FSIZE)."""
    try:
        yield
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
            raise _disk_full(folder, too_big=exc.errno == errno.EFBIG) from exc
        raise


class _Hasher:
    """sha256 on its own thread, so hashing overlaps receiving and writing (hashlib
    releases the GIL); chunks are handed over in order through a bounded queue."""

    _RESET = object()

    def __init__(self) -> None:
        self._hash = hashlib.sha256()
        self._queue: queue.Queue[object] = queue.Queue(maxsize=64)
        self._thread = threading.Thread(target=self._run, name="sha256", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if chunk is self._RESET:
                self._hash = hashlib.sha256()
            else:
                self._hash.update(chunk)  # type: ignore[arg-type]

    def update(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def reset(self) -> None:
        self._queue.put(self._RESET)

    def hexdigest(self) -> str:
        self.close()
        return self._hash.hexdigest()

    def close(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()


class _Sink:
    """The partial file plus its running sha256."""

    def __init__(self, partial: Path, size: int) -> None:
        self.path = partial
        fd = os.open(partial, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DownloadError(f"{partial.name} is being downloaded by another program "
                                "right now; wait for it to finish.") from None
        self.file = os.fdopen(fd, "r+b", buffering=0)
        self.hasher = _Hasher()
        self.done = os.fstat(fd).st_size
        if self.done > size:
            self.restart()
        while chunk := self.file.read(CHUNK):  # rebuild the hash state of the kept bytes
            self.hasher.update(chunk)

    def restart(self) -> None:
        self.file.seek(0)
        self.file.truncate()
        self.hasher.reset()
        self.done = 0

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        with disk_errors(self.path.parent):
            while view:
                written = self.file.write(view)
                view = view[written:]
        self.hasher.update(data)
        self.done += len(data)

    def close(self) -> None:
        self.hasher.close()
        self.file.close()


def _connect(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """A connection for `url` (through the environment's proxy, if any) and the request target."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    host, port = parts.hostname or "", parts.port or (443 if https else 80)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    context = ssl.create_default_context(cafile=certifi.where()) if https else None
    proxy = None if proxy_bypass(host) else getproxies().get(parts.scheme)
    if proxy:
        via = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
        if not https:
            return http.client.HTTPConnection(via.hostname or "", via.port or 80,
                                              timeout=timeout), url
        conn = http.client.HTTPSConnection(via.hostname or "", via.port or 80,
                                           timeout=timeout, context=context)
        conn.set_tunnel(host, port)
        return conn, target
    if https:
        return http.client.HTTPSConnection(host, port, timeout=timeout, context=context), target
    return http.client.HTTPConnection(host, port, timeout=timeout), target


def _open(url: str, start: int, policy: RetryPolicy) -> tuple[http.client.HTTPConnection,
                                                              http.client.HTTPResponse]:
    """GET from `start`, following the Hub's redirect to its CDN; the token goes only to the Hub."""
    hub_host = urlsplit(session.endpoint()).hostname
    headers = session.headers()
    headers["Range"] = f"bytes={start}-"
    for _ in range(10):
        conn, target = _connect(url, policy.read_timeout)
        sent = dict(headers)
        if urlsplit(url).hostname != hub_host:
            sent.pop("authorization", None)  # CDN URLs are signed; never leak the token
        conn.request("GET", target, headers=sent)
        response = conn.getresponse()
        if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
            response.read()
            conn.close()
            url = urljoin(url, response.getheader("Location", ""))
            continue
        return conn, response
    raise DownloadError("The Hub redirected the download too many times; try again later.")


def _raise_for_hub_error(url: str, status: int) -> None:
    """Ask again through huggingface_hub so its typed errors (gated, not found) apply."""
    from huggingface_hub.utils import hf_raise_for_status

    response = session.client().get(url, headers=session.headers(), follow_redirects=True)
    hf_raise_for_status(response)
    raise DownloadError(f"The Hub answered {status} for this download.")


def _get(url: str, sink: _Sink, size: int, on_bytes: Callable[[int], None],
         stop: threading.Event, policy: RetryPolicy) -> None:
    """One request: append what the server sends to the partial file, hashing as it goes.

    Streaming uses http.client with reads of up to 1 MiB: several times faster than
    reading the body through httpx in 64 KiB pieces, which matters at multi-GB sizes.
    """
    try:
        conn, response = _open(url, sink.done, policy)
    except (OSError, http.client.HTTPException) as exc:
        if not retry.transient(exc, unreachable_too=True):
            raise
        raise _Transient(f"network error: {exc.__class__.__name__}") from exc
    with closing(conn):
        status = response.status
        if status == 416 and sink.done == size:
            return
        if retry.transient_status(status):
            raise _Transient(f"the Hub answered {status}", busy=True,
                             retry_after=retry.retry_after(dict(response.getheaders())))
        if status >= 400:
            _raise_for_hub_error(url, status)
        content_range = response.getheader("Content-Range", "")
        if status == 200 or not content_range.startswith(f"bytes {sink.done}-"):
            lost = sink.done  # the server ignored or changed our range: start over cleanly
            sink.restart()
            on_bytes(-lost)
        while sink.done < size and not stop.is_set():
            try:  # read1: what has arrived (up to 1 MiB), so a reset loses no received byte
                data = response.read1(min(CHUNK, size - sink.done))
            except (OSError, http.client.HTTPException) as exc:
                if not retry.transient(exc, unreachable_too=True):
                    raise
                raise _Transient(f"network error: {exc.__class__.__name__}") from exc
            if not data:
                return
            sink.write(data)
            on_bytes(len(data))


def fetch(url: str, file: HubFile, partial: Path, on_bytes: Callable[[int], None],
          stop: threading.Event, policy: RetryPolicy | None = None) -> bool:
    """Bring `partial` to the full, verified file; True when the sha256 was checked.

    `on_bytes(n)` reports n new bytes (negative when the partial had to start over).
    Raises Stopped when `stop` is set, ChecksumError (partial deleted), DiskFullError,
    DownloadError after `policy.attempts` consecutive failures without progress.
    """
    policy = policy or RetryPolicy()
    partial.parent.mkdir(parents=True, exist_ok=True)
    sink = _Sink(partial, file.size)
    try:
        failures, since = 0, time.monotonic()
        while sink.done < file.size:
            if stop.is_set():
                raise Stopped()
            before = sink.done
            try:
                _get(url, sink, file.size, on_bytes, stop, policy)
                if sink.done < file.size and not stop.is_set() and sink.done == before:
                    raise _Transient("the connection ended early")
            except _Transient as exc:
                if sink.done > before:  # progress: a fresh run of failures starts here
                    failures, since = 0, time.monotonic()
                else:
                    failures += 1
                delay = policy.delay(failures, exc.retry_after)
                if policy.exhausted(failures, since, delay):
                    advice = ("The Hub is busy; resume in a few minutes" if exc.busy
                              else "Check the connection and resume")
                    raise DownloadError(
                        f"Downloading {file.path} failed {failures} times in a row ({exc}). "
                        f"{advice}; what was downloaded is kept.") from exc
                stop.wait(delay)
        digest = sink.hasher.hexdigest()
        if file.sha256 and digest != file.sha256.lower():
            sink.close()
            partial.unlink(missing_ok=True)
            raise ChecksumError(
                f"{file.path} arrived damaged (sha256 {digest[:12]}… instead of "
                f"{file.sha256[:12]}…); it was deleted. Download it again.")
        os.fsync(sink.file.fileno())
        return bool(file.sha256)
    finally:
        if not sink.file.closed:
            sink.close()


def install(partial: Path, blob: Path) -> None:
    """Atomically move a verified partial into the cache's blobs."""
    os.replace(partial, blob)
    blob.chmod(0o644)

