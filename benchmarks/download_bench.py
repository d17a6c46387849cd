"""Download throughput of our downloader against curl, from the same local server, same run.

    python benchmarks/download_bench.py [--size-mb 1024] [--rounds 2]

A random file is served by the fake Hub (tests/fakehub.py, sendfile fast path) running
in a child process, through the same /resolve -> 302 -> blob path as the real Hub.
curl writes it with `curl -L -o`; ours goes through Downloads (sha256 computed while
writing, verified, atomic rename into the HF cache layout). Printed: MB/s of each
(best of the rounds), the ratio (target >= 0.9), CPU seconds of our downloader, and the
bytes fetched again when a download is paused half way and resumed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REPO = "bench/big-GGUF"
NAME = "big-Q8_0.gguf"

SERVER = """
import sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from tests.fakehub import start
hub, server = start()
hub.add_repo({repo!r}, {{{name!r}: Path({path!r})}})
print(hub.url, flush=True)
time.sleep(1e9)
"""


def _make_file(path: Path, size: int) -> str:
    h = hashlib.sha256()
    with path.open("wb") as f:
        left = size
        while left:
            block = os.urandom(min(left, 16 << 20))
            f.write(block)
            h.update(block)
            left -= len(block)
    return h.hexdigest()


def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _curl(url: str, out: Path) -> tuple[float, float, float]:
    """curl's time, its CPU, and its time including an fsync (ours fsyncs before the rename)."""
    cpu = _cpu_children()
    start = time.perf_counter()
    subprocess.run(["curl", "-s", "-f", "-L", "-o", str(out), url], check=True)
    elapsed = time.perf_counter() - start
    fd = os.open(out, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
    return elapsed, _cpu_children() - cpu, time.perf_counter() - start


def _ours(models: Path) -> tuple[float, float, bool]:
    from spark_desktop.hub import Downloads, State, choose, list_variants

    variant = choose(list_variants(REPO), None)
    downloads = Downloads(models_dir=models, disk_margin=0)
    cpu = _cpu_self()
    start = time.perf_counter()
    result = downloads.wait(downloads.add_variant(variant))
    elapsed = time.perf_counter() - start
    used = _cpu_self() - cpu
    downloads.close()
    assert result.state == State.DONE, result.error
    return elapsed, used, result.sha256_verified


def _resume_refetch(path: Path, work: Path) -> tuple[int, int]:
    """Pause half way, resume in a new queue, count the bytes the server sent again."""
    from spark_desktop.hub import Downloads, State, choose, list_variants
    from spark_desktop.hub.cache import partial_path
    from tests.fakehub import start

    hub, server = start()
    hub.add_repo(REPO, {NAME: path})
    os.environ["HF_ENDPOINT"] = hub.url
    size = path.stat().st_size
    hub.rate = 200e6  # slow path (throttled) so the pause lands half way
    try:
        variant = choose(list_variants(REPO), None)
        models = work / "resume-models"
        partial = partial_path(models, REPO, variant.files[0].blob)
        first = Downloads(models_dir=models, disk_margin=0, state_file=work / "q.json")
        job = first.add_variant(variant)
        while not partial.exists() or partial.stat().st_size < size // 2:
            time.sleep(0.01)
        first.pause(job)
        first.wait(job)
        first.close()
        hub.rate = None
        mark = hub.mark()
        kept = partial.stat().st_size
        sent_before = hub.bytes_served()
        second = Downloads(models_dir=models, disk_margin=0, state_file=work / "q.json")
        second.resume(job)
        assert second.wait(job).state == State.DONE
        second.close()
        refetched = hub.bytes_since(mark) - (size - kept)
        return refetched, sent_before + hub.bytes_since(mark) - size
    finally:
        server.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None,
                        help="scratch folder (default: tmp); /dev/shm takes the disk out")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dlbench-", dir=args.dir))
    os.environ["SPARK_DESKTOP_DATA_DIR"] = str(work / "data")
    os.environ["HF_HOME"] = str(work / "hf")
    try:
        source = work / "source.bin"
        size = args.size_mb << 20
        print(f"making {args.size_mb} MiB of random bytes ...", flush=True)
        digest = _make_file(source, size)
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER.format(root=str(ROOT), repo=REPO, name=NAME,
                                                 path=str(source))],
            stdout=subprocess.PIPE, text=True)
        url = server.stdout.readline().strip()  # type: ignore[union-attr]
        os.environ["HF_ENDPOINT"] = url
        file_url = f"{url}/{REPO}/resolve/main/{NAME}"
        best_curl = best_ours = best_durable = float("inf")
        ratios: list[float] = []
        ours_cpu = curl_cpu = 0.0
        try:
            for round_no in range(args.rounds):
                out = work / "curl.out"
                t, c, durable = _curl(file_url, out)
                out.unlink()
                round_curl = t
                best_durable = min(best_durable, durable)
                best_curl, curl_cpu = (t, c) if t < best_curl else (best_curl, curl_cpu)
                models = work / f"models-{round_no}"
                t, c, verified = _ours(models)
                blob = next((models / "models--bench--big-GGUF" / "blobs").iterdir())
                assert blob.name == digest and verified
                shutil.rmtree(models)
                best_ours, ours_cpu = (t, c) if t < best_ours else (best_ours, ours_cpu)
                ratios.append(round_curl / t)
                print(f"round {round_no + 1}: curl {size / 1e6 / round_curl:.0f} MB/s, "
                      f"ours {size / 1e6 / t:.0f} MB/s", flush=True)
        finally:
            server.terminate()
            server.wait()
        refetched, extra_sent = _resume_refetch(source, work)
        curl_mbs, ours_mbs = size / 1e6 / best_curl, size / 1e6 / best_ours
        print(f"file: {size / 1e6:.0f} MB, best of {args.rounds} rounds each")
        print(f"curl -L -o:         {curl_mbs:8.0f} MB/s  ({best_curl:.2f} s, "
              f"CPU {curl_cpu:.2f} s)")
        print(f"spark-desktop:      {ours_mbs:8.0f} MB/s  ({best_ours:.2f} s, "
              f"CPU {ours_cpu:.2f} s incl. sha256 while writing)")
        durable_mbs = size / 1e6 / best_durable
        print(f"curl -L -o + fsync: {durable_mbs:8.0f} MB/s  ({best_durable:.2f} s)")
        print(f"ratio ours/curl:    {ours_mbs / curl_mbs:8.2f}  (target >= 0.90; best vs best)")
        print(f"median of the per-round ratios: {statistics.median(ratios):.2f}")
        print(f"ratio ours/(curl + fsync): {ours_mbs / durable_mbs:.2f}  "
              "(ours fsyncs before the atomic rename; curl leaves dirty pages)")
        print(f"resume after pause at half: {refetched} bytes fetched again "
              f"(server sent {extra_sent} bytes beyond the file size, counting bytes "
              "already in flight when paused)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
