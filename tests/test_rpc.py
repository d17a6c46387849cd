"""Two Sparks, one model, on one machine: real `spark-desktop rpc-server` processes on
loopback ports (CPU backends), the real worker loading the real test model across this
process and both peers, and the faults a person meets (a peer killed mid-reply, a peer
that never answers, a wrong port). Every address is 127.0.0.1."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psutil
import pytest

from spark_desktop.engine import ChatDone, Client, TextDelta
from spark_desktop.engine.peers import (
    Peer,
    PeerError,
    PeerLostError,
    PeerTimeoutError,
    PeerUnreachableError,
    is_loopback,
    parse_endpoint,
    parse_peer_list,
    parse_split,
    probe_peer,
    probe_peers,
)
from spark_desktop.fit import estimate
from spark_desktop.gguf import read_model
from spark_desktop.hardware.probe import probe
from spark_desktop.hardware.targets import cluster_target, resolve_target, target_for_machine
from spark_desktop.inference_settings import LoadSettings, SamplingSettings, SettingsError

pytestmark = pytest.mark.slow

HOST = "127.0.0.1"
PROMPT = [{"role": "user", "content": "Write a long story about a lighthouse keeper."}]
GREEDY = SamplingSettings(temperature=0, max_tokens=24, ignore_eos=True)
# 12 of the 19 "layers" offloaded: layers 0-6 stay on this process's CPU, 7-17 and the
# output are split over the peers, so all three nodes hold weights.
SPLIT = LoadSettings(n_ctx=512, n_batch=256, n_ubatch=256, flash_attn="off", threads=1,
                     use_mmap=False, n_gpu_layers=12, chat_template="gemma")


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_server(port: int, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    """`spark-desktop rpc-server` on 127.0.0.1:port, ready when its probe answers."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "spark_desktop", "rpc-server", "--port", str(port),
         "--threads", "1", *extra], stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return proc
        except OSError:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.2)
    proc.kill()
    raise AssertionError(f"the RPC server on port {port} did not start: {log.read_text()}")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
def peers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    logs = tmp_path_factory.mktemp("rpc")
    ports = (free_port(), free_port())
    procs = [start_server(p, logs / f"server-{p}.log") for p in ports]
    yield tuple(f"{HOST}:{p}" for p in ports)  # type: ignore[misc]
    for proc in procs:
        stop(proc)


def reply(client: Client) -> tuple[int, ...]:
    done = next(e for e in client.chat(PROMPT, GREEDY) if isinstance(e, ChatDone))
    assert done.error is None and done.completion_tokens == GREEDY.max_tokens
    return done.token_ids


def test_probe_reports_each_peer_and_its_memory(peers: tuple[str, str]) -> None:
    found = probe_peers(peers)
    assert [p.endpoint for p in found] == list(peers)
    total = psutil.virtual_memory().total
    for peer in found:
        assert len(peer.devices) == 1  # a CPU-only server offers its CPU
        assert abs(peer.total - total) <= 0.01 * total  # the CPU device: this machine's RAM
        assert 0 < peer.free <= peer.total


def test_split_load_is_token_identical_and_matches_the_estimate_per_node(
        peers: tuple[str, str], test_model: Path, tmp_path: Path) -> None:
    with Client(log_path=tmp_path / "local.log") as client:
        client.load(test_model, SPLIT)
        local = reply(client)
    found = probe_peers(peers)
    with Client(log_path=tmp_path / "split.log") as client:
        client.load(test_model, replace(SPLIT, rpc_peers=peers, n_ctx=256))
        # a reload over the same peers: the old worker lets go of them before the probe
        loaded = client.load(test_model, replace(SPLIT, rpc_peers=peers))
        split = reply(client)
    assert split == local

    devices = loaded.memory.devices
    assert set(devices) == {"CPU", *(f"RPC0[{p}]" for p in peers)}, devices
    target = cluster_target(target_for_machine(probe()),
                            [(p.endpoint, p.free) for p in found])
    planned = estimate(read_model(test_model), SPLIT, target)
    nodes = dict(zip(["CPU", *(f"RPC0[{p}]" for p in peers)], planned.pools))
    for name, pool in nodes.items():
        real = devices[name]
        assert real.weights > 0, name  # every node holds some of the model
        assert abs(pool.weights - real.weights) <= 0.01 * real.weights, (name, pool, real)
        assert abs(pool.kv_cache - real.kv_cache) <= 0.01 * real.kv_cache, (name, pool, real)
    # The node holding the output layer reserves the compute buffer the estimate plans for
    # every node (the logits of a batch); the others reserve much less (see the report).
    last = f"RPC0[{peers[-1]}]"
    assert abs(nodes[last].compute - devices[last].compute) <= 0.10 * devices[last].compute


def test_peer_killed_mid_reply_keeps_the_text_and_names_the_peer(
        peers: tuple[str, str], test_model: Path, tmp_path: Path) -> None:
    port = free_port()
    victim = start_server(port, tmp_path / "victim.log")
    endpoint = f"{HOST}:{port}"
    text: list[str] = []
    with Client(log_path=tmp_path / "engine.log") as client:
        try:
            client.load(test_model, replace(SPLIT, rpc_peers=(peers[0], endpoint)))
            with pytest.raises(PeerLostError) as caught:
                for event in client.chat(PROMPT, replace(GREEDY, max_tokens=400)):
                    if isinstance(event, TextDelta):
                        text.append(event.text)
                        if victim.poll() is None:
                            victim.kill()
        finally:
            if victim.poll() is None:
                victim.kill()
            victim.wait(timeout=10)
        assert caught.value.endpoint == endpoint
        assert endpoint in str(caught.value)
        assert "".join(text).strip()  # the partial reply arrived and is the caller's
        assert client.loaded is None
        # the app stays up and can load the model on this machine alone
        client.load(test_model, replace(SPLIT, n_gpu_layers=0))
        assert reply(client)


@pytest.fixture
def silent_peer() -> Iterator[str]:
    """A port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind((HOST, 0))
    server.listen()
    held: list[socket.socket] = []
    closing = threading.Event()

    def accept() -> None:
        while not closing.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield f"{HOST}:{server.getsockname()[1]}"
    closing.set()
    server.close()
    for conn in held:
        conn.close()


def test_a_silent_peer_is_a_timeout_not_a_hang(silent_peer: str, test_model: Path,
                                               tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(PeerTimeoutError) as caught:
        probe_peer(silent_peer, timeout=3)
    assert time.monotonic() - started < 30
    assert caught.value.endpoint == silent_peer and silent_peer in str(caught.value)
    with Client(log_path=tmp_path / "engine.log") as client:
        with pytest.raises(PeerTimeoutError):
            client.load(test_model, replace(SPLIT, rpc_peers=(silent_peer,)))
        assert client.loaded is None and client.worker_pid is None  # nothing was loaded


def test_a_wrong_port_is_a_clear_error_naming_it(test_model: Path, tmp_path: Path) -> None:
    endpoint = f"{HOST}:{free_port()}"
    with pytest.raises(PeerUnreachableError) as caught:
        probe_peer(endpoint)
    assert caught.value.endpoint == endpoint and "Nothing answers" in str(caught.value)
    done = subprocess.run(
        [sys.executable, "-m", "spark_desktop", "generate", str(test_model), "-p", "hi",
         "--rpc", endpoint, "--max-tokens", "2", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2 and endpoint in done.stderr, done.stderr


def test_rpc_server_reports_a_port_it_cannot_take(peers: tuple[str, str],
                                                  tmp_path: Path) -> None:
    port = peers[0].rpartition(":")[2]
    done = subprocess.run(
        [sys.executable, "-m", "spark_desktop", "rpc-server", "--port", port, "--threads", "1",
         "--cache", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert f"could not listen on {HOST}:{port}" in done.stderr
    assert f"tensor cache: {tmp_path / 'rpc-cache'}" in done.stdout  # --cache, in the data dir
    assert "offers CPU" in done.stdout and "WARNING" not in done.stderr  # loopback: no warning


def test_fit_json_has_one_pool_per_node(peers: tuple[str, str], test_model: Path) -> None:
    import json

    done = subprocess.run(
        [sys.executable, "-m", "spark_desktop", "fit", str(test_model), "--rpc",
         ",".join(peers), "--gpu-layers", "12", "--json"],
        capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    pools = json.loads(done.stdout)["pools"]
    assert [p["name"] for p in pools][1:] == [f"RPC {p}" for p in peers]
    assert all(p["weights"] > 0 and p["available"] > 0 for p in pools)


def test_generate_with_a_set_split_holds_what_fit_planned(
        peers: tuple[str, str], test_model: Path, tmp_path: Path) -> None:
    """The CLI end to end: `fit --rpc --tensor-split 1,3 --json` plans each node's share,
    `generate` with the same options places exactly that on the peers."""
    import json

    options = ["--rpc", ",".join(peers), "--gpu-layers", "12", "--ctx", "512",
               "--tensor-split", "1,3"]
    done = subprocess.run(
        [sys.executable, "-m", "spark_desktop", "generate", str(test_model), "-p", "Hello",
         *options, "--temperature", "0", "--max-tokens", "4", "--chat-template", "gemma",
         "--json", "--data-dir", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    devices = result["memory"]["devices"]
    assert set(devices) == {"CPU", *(f"RPC0[{p}]" for p in peers)}
    assert result["completion_tokens"] == 4
    planned = subprocess.run(
        [sys.executable, "-m", "spark_desktop", "fit", str(test_model), *options, "--json"],
        capture_output=True, text=True, timeout=120, check=False)
    pools = {p["name"]: p for p in json.loads(planned.stdout)["pools"]}
    shares = []
    for peer in peers:
        real, plan = devices[f"RPC0[{peer}]"]["weights"], pools[f"RPC {peer}"]["weights"]
        assert abs(plan - real) <= 0.01 * real, (peer, plan, real)
        shares.append(real)
    assert shares[1] > 3 * shares[0]  # 3 of 4 offloaded layers, and the output, on the second


def test_mem_caps_what_a_peer_offers_and_receives(
        peers: tuple[str, str], test_model: Path, tmp_path: Path) -> None:
    """`rpc-server --mem` makes the device report the cap, so the probe, fit's pools and
    llama.cpp's own split by free memory all see it: the capped peer gets (almost) nothing
    beside an uncapped one, and never more than the cap."""
    import json

    cap = 128 * 1024 * 1024
    port = free_port()
    proc = start_server(port, tmp_path / "capped.log", "--mem", str(cap / 1024**3))
    try:
        capped = f"{HOST}:{port}"
        (found,) = probe_peers([capped])
        assert found.total == cap and 0 < found.free <= cap
        assert "capped at 128 MiB" in (tmp_path / "capped.log").read_text()
        options = ["--rpc", f"{peers[0]},{capped}", "--gpu-layers", "99", "--ctx", "512"]
        planned = subprocess.run(
            [sys.executable, "-m", "spark_desktop", "fit", str(test_model), *options, "--json"],
            capture_output=True, text=True, timeout=120, check=False)
        assert planned.returncode == 0, planned.stderr
        pools = {p["name"]: p for p in json.loads(planned.stdout)["pools"]}
        assert pools[f"RPC {capped}"]["available"] <= cap
        done = subprocess.run(
            [sys.executable, "-m", "spark_desktop", "generate", str(test_model), "-p", "Hi",
             *options, "--temperature", "0", "--max-tokens", "2", "--chat-template", "gemma",
             "--json", "--data-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        devices = json.loads(done.stdout)["memory"]["devices"]
        held = devices.get(f"RPC0[{capped}]", {}).get("weights", 0)
        assert held <= cap and held < 0.05 * devices[f"RPC0[{peers[0]}]"]["weights"]
    finally:
        stop(proc)
    bad = subprocess.run([sys.executable, "-m", "spark_desktop", "rpc-server", "--mem", "0"],
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2 and "--mem 0 is not a size" in bad.stderr


def test_peer_addresses_are_checked() -> None:
    assert parse_endpoint(" 127.0.0.1 ") == "127.0.0.1:50052"
    assert parse_peer_list("127.0.0.1:1,127.0.0.1:2") == ("127.0.0.1:1", "127.0.0.1:2")
    for bad in ("127.0.0.1:0", "127.0.0.1:http", ":50052", "127.0.0.1:70000"):
        with pytest.raises(PeerError):
            parse_endpoint(bad)
    assert is_loopback("127.0.0.1") and not is_loopback("192.168.100.2")
    assert Peer("a:1", ()).free == 0


def test_split_settings_are_checked_and_kept(test_model: Path) -> None:
    with pytest.raises(SettingsError):
        LoadSettings(tensor_split=(1.0, -1.0))
    with pytest.raises(SettingsError):
        parse_split("1,x")
    chosen = LoadSettings(rpc_peers=("127.0.0.1:1",), tensor_split=parse_split("1,3"))
    assert LoadSettings.from_dict(chosen.to_dict()) == chosen  # as the settings file keeps it
    # the estimate places the offloaded layers by the shares, not by free memory
    target = resolve_target("spark2")
    even = estimate(read_model(test_model), LoadSettings(), target).pools
    skewed = estimate(read_model(test_model), replace(chosen, rpc_peers=()), target).pools
    assert even[0].weights > skewed[0].weights and even[1].weights < skewed[1].weights
