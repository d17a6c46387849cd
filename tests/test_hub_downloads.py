# ruff: noqa: F811  (fixtures imported from tests.fakehub are used as arguments)
"""Downloads against the fake Hub: interruptions, wrong bytes, kill + resume, full disk."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from spark_desktop import paths
from spark_desktop.hub import Downloads, RetryPolicy, State, choose, list_variants
from spark_desktop.hub.cache import partial_path, repo_dir
from tests.fakehub import FakeHub, Fault, fake_hub, hub, tiny_files  # noqa: F401  (fixtures)

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05, read_timeout=1.0)
REPO = "acme/tiny-GGUF"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _wait_until(condition: Callable[[], bool], what: str, downloads: Downloads | None = None,
                job: str = "", timeout: float = 30.0) -> None:
    """Poll `condition`; past `timeout` fail the test naming `what` and the job's state."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            state = f" (the job: {downloads.get(job)})" if downloads else ""
            pytest.fail(f"no {what} after {timeout:.0f} s{state}")
        time.sleep(0.02)


def _blobs(repo: str) -> list[Path]:
    folder = repo_dir(paths.models_dir(), repo) / "blobs"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_download_interrupted_several_times_completes_verified(hub: FakeHub) -> None:
    variant = choose(list_variants(REPO), "Q8_0")
    size = variant.size
    hub.faults = [Fault(reset_after=100_000), Fault(status=503), Fault(reset_after=700_000),
                  Fault(status=500), Fault(stall_after=300_000, stall_for=3.0),
                  Fault(reset_after=1)]
    downloads = Downloads(policy=FAST)
    seen: list = []
    downloads.subscribe(seen.append)
    result = downloads.wait(downloads.add_variant(variant), timeout=60)
    downloads.close()
    assert result.state == State.DONE, result.error
    assert result.sha256_verified and result.bytes == result.total == size
    path = Path(result.path)
    assert path.is_symlink() and "snapshots" in path.parts
    assert _sha(path) == variant.files[0].sha256
    assert not hub.faults  # every fault was met
    # every retry resumed where the partial file ended instead of starting over; the
    # server counts bytes it wrote, a little of which a reset drops in flight
    ranged = [s for s in hub.served if s.status == 206]
    assert len(ranged) == 5 and [s.start for s in ranged] == sorted(s.start for s in ranged)
    assert ranged[-1].start > 0 and ranged[-1].start + ranged[-1].bytes == size
    assert size <= hub.bytes_served("tiny-Q8_0.gguf") <= size + 4 * 256 * 1024
    assert [p for p in _blobs(REPO) if p.name.endswith(".incomplete")] == []
    assert {s.state for s in seen} >= {State.QUEUED, State.RUNNING, State.DONE}


def test_split_model_downloads_every_part(hub: FakeHub) -> None:
    variant = choose(list_variants(REPO), "F16")
    downloads = Downloads(policy=FAST)
    result = downloads.wait(downloads.add_variant(variant, with_companions=True), timeout=60)
    downloads.close()
    assert result.state == State.DONE and result.sha256_verified
    folder = Path(result.path).parent
    assert sorted(p.name for p in folder.iterdir()) == ["tiny-F16-00001-of-00002.gguf",
                                                        "tiny-F16-00002-of-00002.gguf"]
    snapshot = folder.parent
    assert (snapshot / "mmproj-tiny-F16.gguf").is_symlink()
    refs = repo_dir(paths.models_dir(), REPO) / "refs" / "main"
    assert refs.read_text() == variant.revision


def test_hf_scan_cache_dir_sees_our_download(hub: FakeHub) -> None:
    from huggingface_hub import scan_cache_dir

    downloads = Downloads(policy=FAST)
    variant = choose(list_variants(REPO), "Q4_0")
    assert downloads.wait(downloads.add_variant(variant), timeout=60).state == State.DONE
    downloads.close()
    info = scan_cache_dir(paths.models_dir())
    (repo,) = info.repos
    assert repo.repo_id == REPO and repo.size_on_disk == variant.size
    assert {f.file_name for r in repo.revisions for f in r.files} == {"tiny-Q4_0.gguf"}


def test_wrong_bytes_are_refused_and_nothing_enters_the_library(hub: FakeHub) -> None:
    from spark_desktop.library import scan

    variant = choose(list_variants(REPO), "Q8_0")
    hub.corrupt[variant.files[0].sha256] = 1_234_567
    downloads = Downloads(policy=FAST)
    result = downloads.wait(downloads.add_variant(variant), timeout=60)
    downloads.close()
    assert result.state == State.FAILED and "arrived damaged" in result.error
    assert _blobs(REPO) == []  # neither the blob nor the partial file is kept
    assert not (repo_dir(paths.models_dir(), REPO) / "snapshots").exists()
    assert [m for m in scan() if m.repo == REPO] == []


def test_pause_resume_cancel_and_restart_from_saved_queue(hub: FakeHub) -> None:
    variant = choose(list_variants(REPO), "Q8_0")
    partial = partial_path(paths.models_dir(), REPO, variant.files[0].blob)
    hub.rate = 2_000_000  # slow enough to pause in the middle
    downloads = Downloads(policy=FAST)
    job = downloads.add_variant(variant)
    _wait_until(lambda: _size(partial) >= 300_000, "300 kB in the partial file", downloads, job)
    downloads.pause(job)
    paused = downloads.wait(job, timeout=30)
    assert paused.state == State.PAUSED and 0 < paused.bytes < paused.total
    downloads.close()
    saved = json.loads((paths.data_dir() / "downloads.json").read_text())
    assert [j["state"] for j in saved["jobs"]] == ["paused"]

    kept = partial.stat().st_size
    hub.rate = None
    before = hub.mark()
    again = Downloads(policy=FAST)  # a restart: the saved job is back, still paused
    assert [p.state for p in again.jobs()] == [State.PAUSED]
    again.resume(job)
    result = again.wait(job, timeout=60)
    again.close()
    assert result.state == State.DONE and result.sha256_verified
    assert hub.bytes_since(before) == variant.size - kept

    hub.rate = 2_000_000
    other = choose(list_variants(REPO), "F16")
    third = Downloads(policy=FAST)
    job2 = third.add_variant(other)
    third.cancel(job2)
    assert third.wait(job2, timeout=30).state == State.CANCELLED
    third.close()
    assert not any(p.name.endswith(".incomplete") for p in _blobs(REPO))


def test_closing_the_app_carries_on_at_the_next_start(hub: FakeHub) -> None:
    variant = choose(list_variants(REPO), "Q8_0")
    partial = partial_path(paths.models_dir(), REPO, variant.files[0].blob)
    hub.rate = 2_000_000
    downloads = Downloads(policy=FAST)
    job = downloads.add_variant(variant)
    _wait_until(lambda: _size(partial) >= 300_000, "300 kB in the partial file", downloads, job)
    downloads.close()
    saved = json.loads((paths.data_dir() / "downloads.json").read_text())
    assert [j["state"] for j in saved["jobs"]] == ["queued"]
    kept = partial.stat().st_size
    hub.rate = None
    before = hub.mark()
    restarted = Downloads(policy=FAST)  # starts the saved job by itself
    result = restarted.wait(job, timeout=60)
    restarted.close()
    assert result.state == State.DONE and result.sha256_verified
    assert hub.bytes_since(before) == variant.size - kept
    assert json.loads((paths.data_dir() / "downloads.json").read_text())["jobs"] == []


def test_hostile_hashes_and_paths_never_reach_the_disk(hub: FakeHub) -> None:
    from spark_desktop.hub import HubFile, UnsafeFileNameError

    downloads = Downloads(policy=FAST)
    revision = hub.repos[REPO].sha
    with pytest.raises(UnsafeFileNameError):
        downloads.add(REPO, revision, [HubFile("tiny-Q8_0.gguf", 1, "../../../../tmp/x")], "x")
    with pytest.raises(UnsafeFileNameError):
        downloads.add(REPO, revision, [HubFile("../x.gguf", 1, "a" * 64)], "x")
    with pytest.raises(UnsafeFileNameError):
        downloads.add(REPO, "../../etc", [HubFile("x.gguf", 1, "a" * 64)], "x")
    downloads.close()
    assert downloads.jobs() == ()


def test_killed_process_resumes_fetching_only_missing_bytes(hub: FakeHub) -> None:
    variant = choose(list_variants(REPO), "Q8_0")
    partial = partial_path(paths.models_dir(), REPO, variant.files[0].blob)
    env = dict(os.environ)
    command = [sys.executable, "-m", "spark_desktop", "pull", f"{REPO}:Q8_0", "--json"]
    hub.rate = 1_000_000
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_until(lambda: _size(partial) >= 1_000_000 or first.poll() is not None,
                "1 MB in the partial file of the first `pull`")
    first.send_signal(signal.SIGKILL)
    first.wait()
    kept = partial.stat().st_size
    assert 0 < kept < variant.size
    hub.rate = None
    before = hub.mark()
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    assert second.returncode == 0, second.stderr
    out = json.loads(second.stdout)
    assert out["repo"] == REPO and out["files"] == ["tiny-Q8_0.gguf"]
    assert out["bytes"] == variant.size and out["sha256_verified"] is True
    assert _sha(Path(out["path"])) == variant.files[0].sha256
    assert hub.bytes_since(before) == variant.size - kept  # only the missing bytes


def _tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, check=False)
    return done.returncode == 0


def test_full_disk_is_refused_before_and_during_download(hub: FakeHub, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A real small tmpfs as the models folder: the 4 MB model cannot fit in 2 MB, and a
    disk that fills up while writing stops the download with the same error."""
    small = tmp_path / "small-disk"
    if not _tmpfs(small, "2m"):
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        monkeypatch.setenv(paths.MODELS_ENV, str(small))
        variant = choose(list_variants(REPO), "Q8_0")
        downloads = Downloads(policy=FAST, disk_margin=0)
        result = downloads.wait(downloads.add_variant(variant), timeout=30)
        assert result.state == State.FAILED and "Not enough disk space" in result.error
        assert hub.bytes_served() == 0  # refused before a byte was fetched

        # During writing: the 1.1 MB split part fits when checked, then something else
        # fills the disk and the write hits ENOSPC.
        split = choose(list_variants(REPO), "F16")
        hub.rate = 500_000
        filler = small / "filler"
        filled: list[bool] = []

        def fill(progress) -> None:
            if progress.state == State.RUNNING and progress.bytes > 0 and not filled:
                filled.append(True)
                with filler.open("wb") as f:
                    try:
                        f.write(b"\0" * (2 << 20))
                    except OSError:
                        pass

        downloads.subscribe(fill)
        result = downloads.wait(downloads.add_variant(split), timeout=60)
        downloads.close()
        assert filled and result.state == State.FAILED, result
        assert "is full" in result.error or "Not enough disk space" in result.error
        from spark_desktop.library import scan

        assert [m for m in scan() if m.repo == REPO] == []  # half a split model is no model
    finally:
        subprocess.run(["umount", str(small)], check=False)


def test_a_file_size_limit_stops_the_download_like_a_full_disk(hub: FakeHub) -> None:
    """Without privileges: RLIMIT_FSIZE in a child `pull` makes the real write fail with
    EFBIG (SIGXFSZ ignored, as a shell's ulimit -f leaves it), which must read as a full
    disk, keep the partial file for resume, and put nothing in the library."""
    from spark_desktop.library import scan

    variant = choose(list_variants(REPO), "Q8_0")
    partial = partial_path(paths.models_dir(), REPO, variant.files[0].blob)
    limit = 1_000_000
    child = ("import resource, signal, sys\n"
             "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
             f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))\n"
             "from spark_desktop.cli import main\n"
             f"sys.exit(main(['pull', '{REPO}:Q8_0']))\n")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run([sys.executable, "-c", child], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert f"The disk holding {partial.parent} is full" in done.stderr
    assert "what was already downloaded is kept" in done.stderr
    assert _size(partial) == limit  # every byte up to the limit, kept for resume
    assert [p.name for p in _blobs(REPO)] == [partial.name]
    assert not (repo_dir(paths.models_dir(), REPO) / "snapshots").exists()
    assert [m for m in scan() if m.repo == REPO] == []

    before = hub.mark()  # the limit lifted: the same job resumes where the write stopped
    downloads = Downloads(policy=FAST)
    result = downloads.wait(downloads.add_variant(variant), timeout=60)
    downloads.close()
    assert result.state == State.DONE and result.sha256_verified, result.error
    assert hub.bytes_since(before) == variant.size - limit


def test_no_space_left_is_a_full_disk_naming_the_folder(tmp_path: Path) -> None:
    """ENOSPC from the kernel itself (/dev/full), without mounting a small disk."""
    from spark_desktop.hub import DiskFullError
    from spark_desktop.hub.transfer import disk_errors

    if not os.path.exists("/dev/full"):
        pytest.skip("this system has no /dev/full")
    with pytest.raises(DiskFullError, match=f"The disk holding {tmp_path} is full\\. Free"), \
            disk_errors(tmp_path), open("/dev/full", "wb", buffering=0) as full:
        full.write(b"x")


def test_downloads_honour_retry_after_and_give_up_on_a_host_that_stays_down(
        hub: FakeHub) -> None:
    patient = RetryPolicy(attempts=4, base_delay=0.01, max_delay=5.0, read_timeout=1.0)
    q4 = choose(list_variants(REPO), "Q4_0")
    hub.scripts[q4.files[0].path] = [Fault(status=503, retry_after=1)]
    downloads = Downloads(policy=patient)
    started = time.monotonic()
    result = downloads.wait(downloads.add_variant(q4), timeout=60)
    assert result.state == State.DONE and time.monotonic() - started >= 1.0

    q8 = choose(list_variants(REPO), "Q8_0")
    hub.scripts[q8.files[0].path] = [Fault(status=503, stays=True)]
    result = downloads.wait(downloads.add_variant(q8), timeout=60)
    downloads.close()
    assert result.state == State.FAILED and "failed 4 times in a row" in result.error
    assert "The Hub is busy; resume in a few minutes" in result.error
    assert hub.requests_for(q8.files[0].path) == 4  # bounded, then the job says so
