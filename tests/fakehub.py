"""A local fake of the Hugging Face Hub that the real huggingface_hub client talks to.

It answers the calls huggingface_hub and our downloader make: model search
(/api/models), model info with file sizes and LFS sha256 (/api/models/{repo}[/revision/{rev}]),
tree listing, and HEAD/GET /{repo}/resolve/{rev}/{file} with a 302 to a blob URL that
serves byte ranges, as the Hub's CDN does. It can misbehave on purpose (faults met
by blob GETs in order, from one shared list or a per-file script: reset, 5xx with a
Retry-After, stall, or a host down for good), serve a wrong byte, refuse a gated repo,
throttle, and it counts the bytes served per request so a test can prove a resume
fetched only what was missing.

Use the `fake_hub` fixture (import it into the test module); it points HF_ENDPOINT
(and huggingface_hub's import-time constants) at the server.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest

CHUNK = 64 * 1024


@dataclass
class FakeFile:
    source: bytes | Path
    sha256: str
    size: int

    @classmethod
    def of(cls, source: bytes | Path) -> FakeFile:
        if isinstance(source, Path):
            with source.open("rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            return cls(source, digest, source.stat().st_size)
        return cls(source, hashlib.sha256(source).hexdigest(), len(source))

    def read(self, start: int, length: int) -> bytes:
        if isinstance(self.source, bytes):
            return self.source[start:start + length]
        with self.source.open("rb") as f:
            f.seek(start)
            return f.read(length)


@dataclass
class FakeRepo:
    id: str
    files: dict[str, FakeFile]
    sha: str
    gated: bool = False
    downloads: int = 0
    likes: int = 0
    trending: float = 0.0
    tags: tuple[str, ...] = ("gguf",)
    last_modified: str = "2026-01-01T00:00:00.000Z"
    gguf: dict | None = None


@dataclass
class Fault:
    """One misbehaviour for the next blob GET: reset after N bytes (0: after the headers),
    a status (with Retry-After), or a stall; one that `stays` is never used up."""

    reset_after: int | None = None
    status: int | None = None
    stall_after: int | None = None
    stall_for: float = 0.0
    retry_after: int | None = None
    stays: bool = False


@dataclass
class Served:
    repo: str
    path: str
    start: int
    bytes: int
    status: int


@dataclass
class FakeHub:
    url: str = ""
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    scripts: dict[str, list[Fault]] = field(default_factory=dict)  # path -> its own faults
    corrupt: dict[str, int] = field(default_factory=dict)   # sha256 -> offset of a wrong byte
    rate: float | None = None                               # bytes per second per response
    served: list[Served] = field(default_factory=list)
    api_calls: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_repo(self, repo_id: str, files: dict[str, bytes | Path], **meta) -> FakeRepo:
        sha = hashlib.sha1(repo_id.encode()).hexdigest()
        repo = FakeRepo(repo_id, {p: FakeFile.of(s) for p, s in files.items()}, sha, **meta)
        self.repos[repo_id] = repo
        return repo

    def bytes_served(self, path: str | None = None) -> int:
        with self.lock:
            return sum(s.bytes for s in self.served if path is None or s.path == path)

    def mark(self) -> int:
        """A point in the request log; bytes_since(mark) counts only later requests."""
        with self.lock:
            return len(self.served)

    def bytes_since(self, mark: int) -> int:
        with self.lock:
            return sum(s.bytes for s in self.served[mark:])

    def _blob(self, sha256: str) -> tuple[FakeRepo, str, FakeFile] | None:
        for repo in self.repos.values():
            for path, f in repo.files.items():
                if f.sha256 == sha256:
                    return repo, path, f
        return None

    def requests_for(self, path: str) -> int:  # GETs of the file at `path` (any repository)
        with self.lock:
            return sum(s.path == path for s in self.served)

    def _next_fault(self, key: str, shared: bool = True) -> Fault | None:
        """The script of `key` (a file path, or an API path such as /api/models) first,
        then, for blob GETs, the shared one-shot list."""
        with self.lock:
            script = self.scripts.get(key)
            if script:
                return script[0] if script[0].stays else script.pop(0)
            return self.faults.pop(0) if shared and self.faults else None


def _model_json(repo: FakeRepo, blobs: bool) -> dict:
    siblings = [{"rfilename": path, **({} if not blobs else {
        "size": f.size, "blobId": hashlib.sha1(f.sha256.encode()).hexdigest(),
        "lfs": {"sha256": f.sha256, "size": f.size, "pointerSize": 134}})}
        for path, f in repo.files.items()]
    return {
        "_id": repo.sha[:24], "id": repo.id, "modelId": repo.id, "author": repo.id.split("/")[0],
        "sha": repo.sha, "lastModified": repo.last_modified, "private": False,
        "gated": "manual" if repo.gated else False, "disabled": False,
        "downloads": repo.downloads, "likes": repo.likes, "tags": list(repo.tags),
        "trendingScore": repo.trending, "library_name": "gguf", "siblings": siblings,
        "gguf": repo.gguf, "createdAt": "2025-01-01T00:00:00.000Z",
    }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hub: FakeHub

    def log_message(self, format: str, *args) -> None:  # keep test output quiet
        pass

    # -- helpers -----------------------------------------------------------------------

    def _json(self, value, status: int = 200, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(value).encode()
        self.send_response(status)
        for k, v in {"Content-Type": "application/json", "Content-Length": str(len(body)),
                     **(headers or {})}.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, code: str | None, message: str,
               extra: dict[str, str] | None = None) -> None:
        headers = {"X-Error-Message": message, **(extra or {})}
        if code:
            headers["X-Error-Code"] = code
        self._json({"error": message}, status, headers)

    def _fault_status(self, fault: Fault) -> None:
        extra = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
        self._error(fault.status or 503, None, "Service unavailable", extra)

    def _repo(self, repo_id: str) -> FakeRepo | None:
        repo = self.hub.repos.get(repo_id)
        if repo is None:
            self._error(401, "RepoNotFound", "Repository not found")
        return repo

    # -- routes ------------------------------------------------------------------------

    def do_HEAD(self) -> None:
        self._route()

    def do_GET(self) -> None:
        self._route()

    def _route(self) -> None:
        parts = urlsplit(self.path)
        segments = [unquote(s) for s in parts.path.strip("/").split("/")]
        query = parse_qs(parts.query)
        with self.hub.lock:
            self.hub.api_calls.append(f"{self.command} {parts.path}")
        try:
            fault = self.hub._next_fault(parts.path, shared=False)
            if fault and fault.status:  # a scripted API path: statuses only
                return self._fault_status(fault)
            if segments[:2] == ["api", "models"] and len(segments) == 2:
                return self._search(query)
            if segments[:2] == ["api", "models"] and len(segments) >= 4:
                return self._model_api(segments[2] + "/" + segments[3], segments[4:], query)
            if segments[0] == "cdn" and len(segments) == 2:
                return self._blob(segments[1])
            if len(segments) >= 5 and segments[2] == "resolve":
                return self._resolve(segments[0] + "/" + segments[1], segments[3],
                                     "/".join(segments[4:]))
            self._error(404, None, "Not found")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _search(self, query: dict[str, list[str]]) -> None:
        text = query.get("search", [""])[0].lower()
        repos = [r for r in self.hub.repos.values() if text in r.id.lower()
                 and all(tag in r.tags for tag in query.get("filter", []))]
        key = {"downloads": "downloads", "likes": "likes", "trendingScore": "trending",
               "lastModified": "last_modified"}.get(query.get("sort", ["downloads"])[0],
                                                    "downloads")
        repos.sort(key=lambda r: getattr(r, key), reverse=True)
        limit = int(query.get("limit", ["1000"])[0])
        cursor = int(query.get("cursor", ["0"])[0])
        page = repos[cursor:cursor + limit]
        headers = {}
        if cursor + limit < len(repos):
            params = "&".join(f"{k}={quote(v)}" for k, vs in query.items() if k != "cursor"
                              for v in vs)
            headers["Link"] = (f'<{self.hub.url}/api/models?{params}&cursor={cursor + limit}>; '
                               'rel="next"')
        items = [_model_json(r, blobs=False) for r in page]
        self._json([{k: v for k, v in i.items() if k != "siblings"} for i in items],
                   headers=headers)

    def _model_api(self, repo_id: str, rest: list[str], query: dict[str, list[str]]) -> None:
        repo = self._repo(repo_id)
        if repo is None:
            return
        if not rest or rest[0] == "revision":
            if rest and rest[1] not in ("main", repo.sha):
                return self._error(404, "RevisionNotFound", "Invalid rev id")
            return self._json(_model_json(repo, blobs="blobs" in query))
        if rest[0] == "tree":
            prefix = "/".join(rest[2:])
            recursive = query.get("recursive", ["false"])[0].lower() == "true"
            entries, folders = [], set()
            for path, f in sorted(repo.files.items()):
                if prefix and not path.startswith(prefix + "/"):
                    continue
                tail = path[len(prefix) + 1:] if prefix else path
                if "/" in tail and not recursive:
                    folders.add((prefix + "/" if prefix else "") + tail.split("/")[0])
                    continue
                entries.append({"type": "file", "path": path, "size": f.size,
                                "oid": hashlib.sha1(f.sha256.encode()).hexdigest(),
                                "lfs": {"oid": f.sha256, "size": f.size, "pointerSize": 134}})
            entries += [{"type": "directory", "path": d, "oid": "0" * 40, "size": 0}
                        for d in sorted(folders)]
            return self._json(entries)
        self._error(404, None, "Not found")

    def _resolve(self, repo_id: str, revision: str, path: str) -> None:
        repo = self._repo(repo_id)
        if repo is None:
            return
        if repo.gated:
            authorised = self.headers.get("Authorization")
            return self._error(403 if authorised else 401, "GatedRepo",
                               f"Access to model {repo_id} is restricted and you are not in "
                               "the authorized list.")
        f = repo.files.get(path)
        if f is None or revision not in ("main", repo.sha):
            return self._error(404, "EntryNotFound", "Entry not found")
        self.send_response(302)
        for name, value in {"Location": f"{self.hub.url}/cdn/{f.sha256}",
                            "X-Repo-Commit": repo.sha, "X-Linked-Etag": f'"{f.sha256}"',
                            "X-Linked-Size": str(f.size), "Content-Length": "0",
                            "ETag": f'"{hashlib.sha1(f.sha256.encode()).hexdigest()}"'}.items():
            self.send_header(name, value)
        self.end_headers()

    def _blob(self, sha256: str) -> None:
        found = self.hub._blob(sha256)
        if found is None:
            return self._error(404, None, "No such blob")
        repo, path, f = found
        fault = self.hub._next_fault(path) if self.command == "GET" else None
        if fault and fault.status:
            with self.hub.lock:
                self.hub.served.append(Served(repo.id, path, 0, 0, fault.status))
            return self._fault_status(fault)
        start, end = 0, f.size - 1
        range_header = self.headers.get("Range")
        status = 200
        if range_header and range_header.startswith("bytes="):
            first, _, last = range_header[6:].partition("-")
            start = int(first) if first else 0
            end = min(int(last), f.size - 1) if last else f.size - 1
            if start >= f.size:
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{f.size}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        length = end - start + 1
        self.send_response(status)
        self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", f'"{f.sha256}"')
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{f.size}")
        self.end_headers()
        if self.command == "HEAD":
            return
        record = Served(repo.id, path, start, 0, status)
        with self.hub.lock:
            self.hub.served.append(record)
        plain = (fault is None and self.hub.rate is None and sha256 not in self.hub.corrupt
                 and isinstance(f.source, Path))
        if plain:  # fast path for benchmarks: the kernel copies the file
            self.wfile.flush()
            with f.source.open("rb") as src:  # type: ignore[union-attr]
                offset, left = start, length
                while left:
                    sent = os.sendfile(self.connection.fileno(), src.fileno(), offset, left)
                    if sent == 0:
                        break
                    offset += sent
                    left -= sent
                    record.bytes += sent
            return
        self._send_slow(f, sha256, start, length, fault, record)

    def _send_slow(self, f: FakeFile, sha256: str, start: int, length: int,
                   fault: Fault | None, record: Served) -> None:
        pos, stop = start, start + length
        bad = self.hub.corrupt.get(sha256)
        while pos < stop:
            n = min(CHUNK, stop - pos)
            if fault and fault.reset_after is not None:
                n = min(n, start + fault.reset_after - pos)
            stalled = (fault is not None and fault.stall_after is not None
                       and pos - start >= fault.stall_after)
            if stalled:  # hang, then drop the connection as a dead peer would
                self.wfile.flush()
                time.sleep(fault.stall_for)  # type: ignore[union-attr]
            if n <= 0 or stalled:  # reset: abort the connection so the client sees a broken body
                self.wfile.flush()
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
                return
            data = bytearray(f.read(pos, n))
            if bad is not None and pos <= bad < pos + n:
                data[bad - pos] ^= 0xFF
            self.wfile.write(data)
            record.bytes += n
            pos += n
            if self.hub.rate:
                time.sleep(n / self.hub.rate)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request, client_address) -> None:
        """A client that hangs up mid-body (pause, cancel, kill) is normal here, not news."""
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def start(hub: FakeHub | None = None) -> tuple[FakeHub, _Server]:
    """Start a fake hub on 127.0.0.1 at a random port (for tests and benchmarks)."""
    hub = hub or FakeHub()
    handler = type("Handler", (_Handler,), {"hub": hub})
    server = _Server(("127.0.0.1", 0), handler)
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return hub, server


def point_client_at(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """HF_ENDPOINT for us and child processes; huggingface_hub's import-time constants too."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setattr(constants, "ENDPOINT", url)
    monkeypatch.setattr(constants, "HUGGINGFACE_CO_URL_TEMPLATE",
                        url + "/{repo_id}/resolve/{revision}/{filename}")


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    hub, server = start()
    point_client_at(hub.url, monkeypatch)
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def tiny_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real GGUF files for the fake repos: a 4 MB Q8_0, a 2-part F16 split, an mmproj."""
    from tests.fixtures.synthetic_models import write_llama

    root = tmp_path_factory.mktemp("fakehub-files")
    big = write_llama(root / "q8", name="tiny", n_embd=256, n_ff=1024, n_layer=4,
                      tensor_type="Q8_0")
    split = write_llama(root / "f16", name="tiny-F16", split=2)
    small = write_llama(root / "q4", name="tiny-Q4_0", tensor_type="Q4_0")
    proj = write_llama(root / "mmproj", name="mmproj-tiny-F16")
    return {"tiny-Q8_0.gguf": big.path, "F16/tiny-F16-00001-of-00002.gguf": split.paths[0],
            "F16/tiny-F16-00002-of-00002.gguf": split.paths[1],
            "Q4_0/tiny-Q4_0.gguf": small.path, "mmproj-tiny-F16.gguf": proj.path}


@pytest.fixture
def hub(fake_hub: FakeHub, tiny_files: dict[str, Path]) -> FakeHub:
    """The fake hub with acme/tiny-GGUF (variants), a gated repo and a few search hits."""
    fake_hub.add_repo("acme/tiny-GGUF", {**tiny_files, "README.md": b"# tiny\n"},
                      downloads=500, likes=7, trending=3.0,
                      tags=("gguf", "llama", "text-generation"),
                      gguf={"total": 4_400_000, "architecture": "llama", "context_length": 2048})
    fake_hub.add_repo("acme/gated-GGUF", {"gated-Q8_0.gguf": tiny_files["Q4_0/tiny-Q4_0.gguf"]},
                      gated=True, downloads=900, likes=1)
    fake_hub.add_repo("other/popular-GGUF", {"p-Q4_K_M.gguf": b"GGUF-not-really"},
                      downloads=10_000, likes=2, last_modified="2026-03-01T00:00:00.000Z")
    fake_hub.add_repo("other/safetensors-only", {"model.safetensors": b"x"},
                      tags=("transformers",), downloads=99_999)
    return fake_hub
