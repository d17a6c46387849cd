"""A download queue that a person can forget about: a few at once, pause, resume, cancel.

Qt-free: progress arrives as frozen DownloadProgress values through callbacks (a GUI
bridge forwards them as queued signals). The queue is saved as JSON in the data
folder, so jobs carry on
after the app or the machine restarts, from the partial files kept as
blobs/<sha256>.incomplete in the models folder (see transfer.py for resume/hash).
A file enters the library only after its sha256 matched: it is renamed into blobs/
and linked from snapshots/<commit>/ as the Hugging Face cache does.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

from spark_desktop import paths
from spark_desktop.errors import SparkError
from spark_desktop.hub import cache, session, transfer
from spark_desktop.hub.names import check_blob, check_repo_id, check_repo_path, check_revision
from spark_desktop.hub.retry import RetryPolicy
from spark_desktop.hub.transfer import DISK_MARGIN, Stopped
from spark_desktop.hub.variants import HubFile, Variant

STATE_VERSION = 1
_EMIT_EVERY = 0.2  # seconds between progress events of one job


class State(str, Enum):
    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class DownloadProgress:
    id: str
    repo: str
    name: str
    state: State
    bytes: int
    total: int
    speed: float              # bytes per second, smoothed
    eta: float | None         # seconds left, None when unknown
    error: str | None = None
    path: str | None = None   # the (first) model file once done
    sha256_verified: bool = False


@dataclass
class _Job:
    id: str
    repo: str
    revision: str
    name: str
    files: tuple[HubFile, ...]
    state: State = State.QUEUED
    held: bool = False                      # restored but not to be started by this process
    error: str | None = None
    done: int = 0
    verified: bool = True
    path: str | None = None
    speed: float = 0.0
    stop: threading.Event = field(default_factory=threading.Event)
    cancel: bool = False
    requeue: bool = False                   # resumed while still stopping: go again
    thread: threading.Thread | None = None
    last_emit: float = 0.0
    window: tuple[float, int] = (0.0, 0)

    @property
    def total(self) -> int:
        return sum(f.size for f in self.files)

    def progress(self) -> DownloadProgress:
        left = self.total - self.done
        eta = left / self.speed if self.speed > 0 and self.state == State.RUNNING else None
        return DownloadProgress(
            id=self.id, repo=self.repo, name=self.name, state=self.state, bytes=self.done,
            total=self.total, speed=self.speed, eta=eta, error=self.error, path=self.path,
            sha256_verified=self.state == State.DONE and self.verified)


class Downloads:
    """The queue. `parallel` jobs run at once, each in its own thread."""

    def __init__(self, *, parallel: int = 2, policy: RetryPolicy | None = None,
                 disk_margin: int = DISK_MARGIN, state_file: Path | None = None,
                 models_dir: Path | None = None, resume_saved: bool = True) -> None:
        self.parallel = parallel
        self.policy = policy or RetryPolicy()
        self.disk_margin = disk_margin
        self.models_dir = models_dir or paths.models_dir()
        self.state_file = state_file or paths.downloads_state_path()
        self._callbacks: list[Callable[[DownloadProgress], None]] = []
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._jobs: dict[str, _Job] = {}
        self._closed = False
        self._restore(held=not resume_saved)
        self._schedule()

    # -- public API ---------------------------------------------------------------------

    def subscribe(self, callback: Callable[[DownloadProgress], None]) -> None:
        """Call `callback` (from a worker thread) on every progress or state change."""
        self._callbacks.append(callback)

    def add_variant(self, variant: Variant, with_companions: bool = False) -> str:
        files = variant.files + (variant.companions if with_companions else ())
        return self.add(variant.repo, variant.revision, files, variant.name)

    def add(self, repo: str, revision: str, files: Sequence[HubFile], name: str) -> str:
        """Queue files of one repository; an unfinished identical job is resumed instead."""
        check_repo_id(repo)
        check_revision(revision)
        for f in files:
            check_repo_path(f.path)
            check_blob(f.blob)
        with self._lock:
            for job in self._jobs.values():
                if (job.repo, job.revision, job.files) == (repo, revision, tuple(files)) \
                        and job.state not in (State.DONE, State.CANCELLED):
                    job.held = False
                    if job.state in (State.PAUSED, State.FAILED):
                        self._set(job, State.QUEUED)
                    self._schedule()
                    return job.id
            job = _Job(id=uuid.uuid4().hex[:12], repo=repo, revision=revision, name=name,
                       files=tuple(files))
            self._jobs[job.id] = job
            self._save()
            self._emit(job, force=True)
            self._schedule()
            return job.id

    def pause(self, job_id: str) -> None:
        with self._lock:
            job = self._jobs[job_id]
            if job.state == State.QUEUED:
                self._set(job, State.PAUSED)
            elif job.state == State.RUNNING:
                job.stop.set()

    def resume(self, job_id: str) -> None:
        with self._lock:
            job = self._jobs[job_id]
            job.held = False
            if job.state in (State.PAUSED, State.FAILED):
                job.error = None
                self._set(job, State.QUEUED)
            elif job.state == State.RUNNING and job.stop.is_set() and not job.cancel:
                job.requeue = True
            self._schedule()

    def cancel(self, job_id: str) -> None:
        """Stop and delete the partial files; finished files stay in the library."""
        with self._lock:
            job = self._jobs[job_id]
            if job.state in (State.DONE, State.CANCELLED):
                return
            job.cancel = True
            if job.state == State.RUNNING:
                job.stop.set()
                return
            self._drop_partials(job)
            self._set(job, State.CANCELLED)

    def get(self, job_id: str) -> DownloadProgress:
        with self._lock:
            return self._jobs[job_id].progress()

    def jobs(self) -> tuple[DownloadProgress, ...]:
        with self._lock:
            return tuple(j.progress() for j in self._jobs.values())

    def wait(self, job_id: str, timeout: float | None = None) -> DownloadProgress:
        """Block until the job is done, failed, cancelled or paused."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            job = self._jobs[job_id]
            while job.state in (State.QUEUED, State.RUNNING):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._changed.wait(left)
            return job.progress()

    def close(self) -> None:
        """Stop running jobs, saved as queued so the next start resumes them; wait for them."""
        with self._lock:
            self._closed = True
            threads = [j.thread for j in self._jobs.values() if j.thread]
            for job in self._jobs.values():
                job.stop.set()
        for thread in threads:
            thread.join()

    # -- internals ----------------------------------------------------------------------

    def _set(self, job: _Job, state: State) -> None:
        job.state = state
        self._save()
        self._emit(job, force=True)
        self._changed.notify_all()

    def _emit(self, job: _Job, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - job.last_emit < _EMIT_EVERY:
            return
        job.last_emit = now
        value = job.progress()
        for callback in list(self._callbacks):
            callback(value)

    def _schedule(self) -> None:
        with self._lock:
            if self._closed:
                return
            running = sum(j.state == State.RUNNING for j in self._jobs.values())
            for job in self._jobs.values():
                if running >= self.parallel:
                    break
                if job.state == State.QUEUED and not job.held:
                    job.stop.clear()
                    job.cancel = job.requeue = False
                    job.thread = threading.Thread(target=self._run, args=(job,),
                                                  name=f"download-{job.id}", daemon=True)
                    self._set(job, State.RUNNING)
                    job.thread.start()
                    running += 1

    def _on_bytes(self, job: _Job, n: int) -> None:
        with self._lock:
            job.done += n
            now = time.monotonic()
            start, at = job.window
            if now - start >= 1.0:
                rate = (job.done - at) / (now - start) if start else 0.0
                job.speed = rate if job.speed == 0 else 0.7 * job.speed + 0.3 * rate
                job.window = (now, job.done)
            self._emit(job)

    def _run(self, job: _Job) -> None:
        try:
            with session.hub_errors(job.repo), transfer.disk_errors(self.models_dir):
                self._download(job)
        except Stopped:
            with self._lock:
                if job.cancel:
                    self._drop_partials(job)
                    self._set(job, State.CANCELLED)
                elif self._closed or job.requeue:  # closing: carry on at the next start
                    job.requeue = False
                    self._set(job, State.QUEUED)
                else:
                    self._set(job, State.PAUSED)
        except SparkError as exc:
            with self._lock:
                job.error = str(exc)
                self._set(job, State.FAILED)
        except Exception as exc:  # noqa: BLE001  a bug or odd answer must not kill the queue
            with self._lock:
                job.error = f"The download stopped unexpectedly: {exc}"
                self._set(job, State.FAILED)
        else:
            with self._lock:
                self._set(job, State.DONE)
        finally:
            job.thread = None
            self._schedule()

    def _download(self, job: _Job) -> None:
        root = self.models_dir
        with self._lock:
            job.done, job.speed, job.window, job.verified = 0, 0.0, (0.0, 0), True
        pending = []
        for f in job.files:
            blob = cache.blob_path(root, job.repo, f.blob)
            if blob.exists() and blob.stat().st_size == f.size:
                cache.link_snapshot(root, job.repo, job.revision, f.path, f.blob)
                self._on_bytes(job, f.size)
            else:
                pending.append(f)
        kept = {f.blob: self._partial_size(job, f) for f in pending}
        transfer.check_space(cache.repo_dir(root, job.repo),
                             sum(f.size - kept[f.blob] for f in pending), self.disk_margin)
        for f in pending:
            self._on_bytes(job, self._partial_size(job, f))  # kept bytes count as done
            url = session.file_url(job.repo, f.path, job.revision)
            verified = transfer.fetch(url, f, cache.partial_path(root, job.repo, f.blob),
                                      lambda n: self._on_bytes(job, n), job.stop, self.policy)
            transfer.install(cache.partial_path(root, job.repo, f.blob),
                             cache.blob_path(root, job.repo, f.blob))
            cache.link_snapshot(root, job.repo, job.revision, f.path, f.blob)
            with self._lock:
                job.verified = job.verified and verified
        with self._lock:
            job.path = str(cache.snapshot_path(root, job.repo, job.revision, job.files[0].path))

    def _partial_size(self, job: _Job, f: HubFile) -> int:
        partial = cache.partial_path(self.models_dir, job.repo, f.blob)
        return min(partial.stat().st_size, f.size) if partial.exists() else 0

    def _drop_partials(self, job: _Job) -> None:
        for f in job.files:
            cache.partial_path(self.models_dir, job.repo, f.blob).unlink(missing_ok=True)

    def _save(self) -> None:
        jobs = [{"id": j.id, "repo": j.repo, "revision": j.revision, "name": j.name,
                 "state": j.state.value,
                 "files": [{"path": f.path, "size": f.size, "sha256": f.sha256,
                            "blob_id": f.blob_id} for f in j.files]}
                for j in self._jobs.values() if j.state not in (State.DONE, State.CANCELLED)]
        tmp = self.state_file.with_name(self.state_file.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"version": STATE_VERSION, "jobs": jobs}, indent=1))
        os.replace(tmp, self.state_file)

    def _restore(self, held: bool) -> None:
        try:
            raw = json.loads(self.state_file.read_text())
            saved = raw["jobs"] if raw.get("version") == STATE_VERSION else []
        except (OSError, ValueError, KeyError, AttributeError):
            return
        for item in saved:
            try:
                files = tuple(HubFile(path=check_repo_path(f["path"]), size=int(f["size"]),
                                      sha256=f.get("sha256"), blob_id=f.get("blob_id"))
                              for f in item["files"])
                state = State(item["state"])
                job = _Job(id=item["id"], repo=check_repo_id(item["repo"]),
                           revision=check_revision(item["revision"]), name=item["name"],
                           files=files, held=held,
                           state=State.QUEUED if state == State.RUNNING else state)
            except (KeyError, ValueError, TypeError, SparkError):
                continue
            self._jobs[job.id] = job
