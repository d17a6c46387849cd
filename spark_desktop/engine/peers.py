"""Cluster peers over llama.cpp's RPC backend, Qt-free and safe for the app's process.

Everything that touches ggml's RPC code runs in a child process (engine.rpc_probe,
engine.rpc_server): its client aborts the process on a refused connection and waits
forever on a peer that accepts and says nothing. Here are the values (Peer,
PeerDevice), the typed errors that name the peer, the probe with its timeout, and the
server launcher the CLI calls (it execs the server module, so the command's process
is the server). The RPC protocol has no authentication: a server binds
loopback unless another address is named, and then a warning says the link must be
private.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import spark_desktop
from spark_desktop.engine.errors import EngineError, WorkerDiedError

if TYPE_CHECKING:
    from spark_desktop.hardware.targets import Target

DEFAULT_PORT = 50052
PROBE_TIMEOUT_S = 10.0
LOOPBACK = ("127.0.0.1", "localhost", "::1")
PRIVATE_LINK_WARNING = (
    "WARNING: llama.cpp's RPC protocol has no authentication and no encryption: anyone "
    "who can reach {endpoint} can use this machine's memory and run code paths in it. "
    "Serve only on a private link (the direct ConnectX cable between two Sparks), never "
    "on a shared or public network.")


class PeerError(EngineError):
    """A cluster peer cannot be used; `endpoint` says which."""

    def __init__(self, message: str, endpoint: str) -> None:
        super().__init__(message)
        self.endpoint = endpoint


class PeerUnreachableError(PeerError):
    """Nothing answers at the peer's address (wrong host or port, server not running)."""


class PeerTimeoutError(PeerError):
    """The peer did not answer in time: off the network, busy serving another load, or
    a program that accepts connections and never speaks llama.cpp RPC."""


class PeerLostError(WorkerDiedError):
    """A peer stopped answering while a model was loaded across it: ggml's RPC client
    then ends the engine, so this is a WorkerDiedError (the partial reply is kept, a new
    load starts a fresh engine) that also names the peer."""

    def __init__(self, message: str, endpoint: str, log_tail: tuple[str, ...] = (),
                 exit_code: int | None = None) -> None:
        super().__init__(message, log_tail, exit_code)
        self.endpoint = endpoint


@dataclass(frozen=True)
class PeerDevice:
    """One device a peer offers, as its RPC server reports it."""

    name: str           # the name this process gives it, e.g. "RPC0"
    free: int
    total: int


@dataclass(frozen=True)
class Peer:
    """A probed peer: reachable, with its devices and their memory."""

    endpoint: str
    devices: tuple[PeerDevice, ...]

    @property
    def free(self) -> int:
        return sum(d.free for d in self.devices)

    @property
    def total(self) -> int:
        return sum(d.total for d in self.devices)


def parse_endpoint(text: str) -> str:
    """`host:port` checked and normalised (port 50052 when omitted); PeerError when it
    cannot be an address."""
    raw = text.strip()
    host, sep, port = raw.rpartition(":")
    if not sep:
        host, port = raw, str(DEFAULT_PORT)
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise PeerError(f"{text!r} is not a peer address; write it as HOST:PORT, e.g. "
                        f"192.168.100.2:{DEFAULT_PORT}.", text)
    return f"{host}:{int(port)}"


def parse_peer_list(text: str) -> tuple[str, ...]:
    """`--rpc HOST:PORT[,HOST:PORT...]` as a tuple of endpoints, each checked."""
    return tuple(parse_endpoint(part) for part in text.split(",") if part.strip())


def parse_split(text: str | None) -> tuple[float, ...]:
    """`--tensor-split 1,3` as shares (checked by LoadSettings); None or "" is ()."""
    from spark_desktop.inference_settings import SettingsError

    try:
        return tuple(float(x) for x in text.split(",")) if text else ()
    except ValueError:
        raise SettingsError(f"{text!r} is not a tensor split; give one number per device, "
                            "e.g. 1,3.") from None


def is_loopback(host: str) -> bool:
    return host in LOOPBACK or host.startswith("127.")


def child_env() -> dict[str, str]:
    """The environment of a child that runs ggml RPC code: this source tree importable."""
    env = dict(os.environ)
    root = str(Path(spark_desktop.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    env["GGML_NO_BACKTRACE"] = "1"  # an abort here is expected: no gdb backtrace
    return env


def probe_peer(endpoint: str, timeout: float = PROBE_TIMEOUT_S,
               python: str = sys.executable) -> Peer:
    """Connect to the RPC server at `endpoint` (in a child process) and read its devices
    and their free memory. PeerUnreachableError when nothing listens there,
    PeerTimeoutError when it does not answer within `timeout` seconds."""
    endpoint = parse_endpoint(endpoint)
    try:
        done = subprocess.run([python, "-m", "spark_desktop.engine.rpc_probe", endpoint],
                              check=False, capture_output=True, text=True, timeout=timeout,
                              env=child_env(), stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise PeerTimeoutError(
            f"The peer {endpoint} did not answer within {timeout:g} s: the machine may be "
            "off the network, it may be serving a loaded model (llama.cpp's RPC server takes "
            "one client at a time, an app's own loaded model included), or another program "
            "holds that port and never speaks llama.cpp RPC; check that `spark-desktop "
            "rpc-server` runs there and no model is loaded on it.",
            endpoint) from exc
    if done.returncode != 0 or not done.stdout.strip():
        if "Failed to connect" in done.stderr:
            raise PeerUnreachableError(
                f"Nothing answers at {endpoint}: start `spark-desktop rpc-server --host ADDR "
                "--port PORT` on that machine, and check the address and port.", endpoint)
        last = next((ln for ln in reversed(done.stderr.splitlines()) if ln.strip()), "")
        raise PeerUnreachableError(
            f"The peer {endpoint} answered but could not be used ({last or 'no reason given'}); "
            "it may run a different llama.cpp version.", endpoint)
    data = json.loads(done.stdout.strip().splitlines()[-1])
    devices = tuple(PeerDevice(d["name"], int(d["free"]), int(d["total"]))
                    for d in data["devices"])
    if not devices:
        raise PeerUnreachableError(f"The peer {endpoint} offers no device.", endpoint)
    return Peer(endpoint, devices)


def probe_peers(endpoints: Sequence[str], timeout: float = PROBE_TIMEOUT_S) -> tuple[Peer, ...]:
    """Probe every peer at once; the first failure (in the given order) is raised."""
    if not endpoints:
        return ()
    with ThreadPoolExecutor(max_workers=len(endpoints)) as pool:
        futures = [pool.submit(probe_peer, e, timeout) for e in endpoints]
        return tuple(f.result() for f in futures)


def server_command(host: str, port: int, cache_dir: Path | None, threads: int,
                   mem: int | None = None, python: str = sys.executable) -> list[str]:
    """The child process that serves this machine's backend (engine.rpc_server); `mem`
    caps the bytes each served device reports."""
    endpoint = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    command = [python, "-m", "spark_desktop.engine.rpc_server", "--endpoint", endpoint,
               "--threads", str(threads)]
    if cache_dir is not None:
        command += ["--cache", str(cache_dir)]
    if mem is not None:
        command += ["--mem", str(mem)]
    return command


def run_server(host: str, port: int, cache_dir: Path | None, threads: int,
               mem: int | None = None) -> NoReturn:
    """Become the server (exec): Ctrl-C or a signal to this process stops it, and no
    server outlives the command that started it."""
    if not is_loopback(host):
        print(PRIVATE_LINK_WARNING.format(endpoint=f"{host}:{port}"), file=sys.stderr,
              flush=True)
    command = server_command(host, port, cache_dir, threads, mem)
    sys.stdout.flush()
    os.execve(command[0], command, child_env())


def _accepts(endpoint: str, timeout: float = 1.0) -> bool:
    """Whether something still listens at `endpoint` (a plain TCP connect, no RPC)."""
    host, _, port = endpoint.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            return True
    except OSError:
        return False


def name_lost_peer(died: WorkerDiedError, endpoints: Sequence[str]) -> WorkerDiedError:
    """After the engine died during a load across peers: a PeerLostError naming the first
    peer that no longer listens, or `died` itself when every peer still does."""
    gone = next((e for e in endpoints if not _accepts(e)), None)
    if gone is None:
        return died
    return PeerLostError(
        f"The peer {gone} stopped answering, which ended the model engine that used it. Any "
        "text received so far is kept; load the model again without that peer, or restart "
        "`spark-desktop rpc-server` there first.", gone, died.log_tail,
        died.exit_code)


def with_peers(target: Target, endpoints: Sequence[str]) -> Target:
    """`target` plus these RPC peers' devices with their free memory, probed now (an
    unreachable peer is its typed error), for `fit --rpc` and `serve --rpc`."""
    from spark_desktop.hardware.targets import cluster_target

    nodes = []
    for peer in probe_peers(endpoints):
        many = len(peer.devices) > 1
        nodes += [(f"{peer.endpoint}{f' {d.name}' if many else ''}", d.free)
                  for d in peer.devices]
    return cluster_target(target, nodes)
