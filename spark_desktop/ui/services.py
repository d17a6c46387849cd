"""What the pages share: settings, this machine, the library, downloads, the model host
and the history.

One instance per window. Every slow look-up (hardware probe, library scan) runs off
the GUI thread through bridges.run_async; results arrive as signals. History calls all
go through `history`, the one thread that reads and writes the database.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from spark_desktop import settings as settings_mod
from spark_desktop.ui.bridges import (
    DownloadsBridge,
    HistoryBridge,
    error_text,
    in_turn,
    run_async,
)
from spark_desktop.ui.collections_watch import CollectionsWatcher
from spark_desktop.ui.host_bridge import HostBridge


class Services(QObject):
    settings_changed = Signal(object)   # settings.Settings
    machine_ready = Signal(object)      # hardware.Machine
    library_changed = Signal(object)    # tuple of library models
    peers_probed = Signal(object)       # {endpoint: engine.peers.Peer or an error sentence}
    problem = Signal(str)          # a start-up look-up failed, in words
    tools_changed = Signal()       # the MCP servers' settings were saved

    def __init__(self, parent: QObject | None = None, host: HostBridge | None = None) -> None:
        """`host`: the model host to use (tests); by default the app attaches to the
        machine's running host, or holds its own."""
        super().__init__(parent)
        self.settings = settings_mod.load()
        self.machine: Any = None
        self.target: Any = None        # what estimates plan for (settings.target)
        self.local: Any = None         # this machine's pools, whatever the plan
        self.planned: Any = None       # the target before the cluster's peers join it
        self.peers: dict[str, Any] = {}  # the last probe of settings.load.rpc_peers
        self._probes = 0                 # probes started, so only the newest is shown
        self.models: tuple[Any, ...] = ()
        self.host = host or HostBridge(self, load_options=self.settings.load)
        self.host.problem.connect(self.problem)
        self.history = HistoryBridge(parent=self)
        self.downloads = DownloadsBridge(self)
        self.downloads.finished.connect(lambda _item: self.refresh_library())
        self._mcp: Any = None
        self._mcp_lock = threading.Lock()
        self.collections = CollectionsWatcher(
            self.history, self.host, lambda: self.settings.documents_embed_model, self)
        self._closed = False

    def start(self, then: Callable[[], None] | None = None) -> None:
        """Begin the slow look-ups, one after another: the hardware probe, the download queue
        (it brings the Hub's modules the welcome page's checks use), the library scan, the
        model host, the document collections (then kept indexed). The window is usable
        meanwhile; `then()` once each has answered.

        One at a time, each result shown before the next begins: a worker running Python
        beside the GUI thread makes every Qt call of a slot wait for the interpreter lock,
        so the welcome page, built when the scan finds no model, is built with none running.
        """
        in_turn((self._probe, self.downloads.start, self._scan, self.host.start,
                 self.collections.start), then, stopped=lambda: self._closed)

    def _probe(self, then: Callable[[], None]) -> None:
        target = self.settings.target

        def failed(exc: BaseException) -> None:
            self.problem.emit(error_text(exc))
            then()

        run_async(lambda: _probe(target), lambda r: (self._machine_probed(r), then()),
                  failed, parent=self)

    def _scan(self, then: Callable[[], None]) -> None:
        self.refresh_library(then)

    # -- machine --------------------------------------------------------------------
    def _machine_probed(self, result: tuple[Any, Any, Any]) -> None:
        self.machine, self.planned, self.local = result
        self.target = self.planned
        self.machine_ready.emit(self.machine)
        if self.settings.load.rpc_peers:
            self.probe_peers()

    # -- cluster --------------------------------------------------------------------
    def probe_peers(self) -> None:
        """Probe the cluster's peers off the GUI thread (each up to a few seconds); the
        planning target then becomes this machine plus the peers that answered."""
        endpoints = self.settings.load.rpc_peers
        self._probes += 1
        number = self._probes
        run_async(lambda: _probe_peers(endpoints),
                  lambda results: self._peers_probed(number, results), parent=self)

    def _peers_probed(self, number: int, results: dict[str, Any]) -> None:
        from spark_desktop.engine.peers import Peer
        from spark_desktop.hardware.targets import cluster_target

        if number != self._probes:  # an older probe, of an older list, finished late
            return

        current = self.settings.load.rpc_peers
        self.peers = {e: r for e, r in results.items() if e in current}
        if self.planned is not None:
            nodes = [(e, d.free) for e in current if isinstance(self.peers.get(e), Peer)
                     for d in self.peers[e].devices]
            self.target = cluster_target(self.planned, nodes)
        self.peers_probed.emit(dict(self.peers))

    @property
    def pool_bytes(self) -> int:
        """The planning target's memory, what fit estimates are checked against (0 until
        the probe has answered)."""
        return int(self.target.total_bytes) if self.target is not None else 0

    @property
    def local_pool_bytes(self) -> int:
        """The memory this machine offers a model, where the loaded model really runs
        (0 until the probe has answered)."""
        return int(self.local.total_bytes) if self.local is not None else 0

    @property
    def plans_elsewhere(self) -> bool:
        """True when estimates are made for another machine than this one (a Spark…)."""
        return self.target is not None and self.target.name != "this"

    # -- library --------------------------------------------------------------------
    def refresh_library(self, then: Callable[[], None] | None = None) -> None:
        """Scan the library again (`library_changed`); `then()` after the result is shown."""
        def scanned(models: tuple[Any, ...]) -> None:
            self._library_scanned(models)
            if then is not None:
                then()

        def failed(exc: BaseException) -> None:
            self.problem.emit(error_text(exc))
            if then is not None:
                then()

        run_async(_scan, scanned, failed, parent=self)

    def _library_scanned(self, models: tuple[Any, ...]) -> None:
        self.models = tuple(models)
        self.library_changed.emit(self.models)

    # -- settings -------------------------------------------------------------------
    def update_settings(self, new: settings_mod.Settings) -> None:
        """Keep and save new settings (a small JSON file: fast enough for the GUI thread)."""
        dirs_changed = new.extra_model_dirs != self.settings.extra_model_dirs
        peers_changed = new.load.rpc_peers != self.settings.load.rpc_peers
        self.settings = new
        settings_mod.save(new)
        self.settings_changed.emit(new)
        if dirs_changed:
            self.refresh_library()
        if peers_changed:
            self.probe_peers()

    # -- MCP servers ----------------------------------------------------------------
    @property
    def mcp(self) -> Any:
        """The window's MCP servers (spark_desktop.mcp.McpHub), made at first use (a chat
        with tools, or Settings): nothing connects at start-up. The first use imports
        asyncio and reads the file, and the hub's calls block: use it off the GUI thread."""
        with self._mcp_lock:
            if self._mcp is None:
                from spark_desktop.mcp.hub import McpHub

                self._mcp = McpHub.from_file()
                self._mcp.subscribe(lambda _config: self.tools_changed.emit())
            return self._mcp

    def offer_tools(self, to: Callable[[Any], None]) -> None:
        """Hand the MCP servers' tools (a chat.toolbox.ToolBox) to `to` on the GUI thread,
        the hub made off it; nothing connects until a chat lists or calls a tool."""
        def make() -> Any:
            from spark_desktop.mcp.toolbox import McpToolBox

            return McpToolBox(self.mcp)

        run_async(make, to, lambda exc: self.problem.emit(error_text(exc)), parent=self)

    def shutdown(self) -> None:
        self._closed = True
        with self._mcp_lock:
            if self._mcp is not None:
                self._mcp.close()  # ends the servers' subprocesses
        self.collections.stop()
        self.downloads.shutdown()
        self.host.shutdown()
        self.history.shutdown()


def _probe(target: str) -> tuple[Any, Any, Any]:
    """This machine, the target estimates are made for (settings.target, "this" by
    default), and this machine as a target (what the loaded model really uses)."""
    from spark_desktop import hardware

    machine = hardware.probe()
    local = hardware.resolve_target("this", machine)
    planned = local if target.strip().lower() == "this" else \
        hardware.resolve_target(target, machine)
    return machine, planned, local


def _probe_peers(endpoints: tuple[str, ...]) -> dict[str, Any]:
    """Each peer's Peer, or the sentence saying why it cannot be used (all at once)."""
    from concurrent.futures import ThreadPoolExecutor

    from spark_desktop.engine.peers import PeerError, probe_peer

    def one(endpoint: str) -> Any:
        try:
            return probe_peer(endpoint)
        except PeerError as exc:
            return str(exc)

    if not endpoints:
        return {}
    with ThreadPoolExecutor(max_workers=len(endpoints)) as pool:
        return dict(zip(endpoints, pool.map(one, endpoints)))


def _scan() -> tuple[Any, ...]:
    from spark_desktop import library

    return library.scan()
