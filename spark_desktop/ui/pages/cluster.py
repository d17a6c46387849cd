"""Settings → Cluster: the llama.cpp RPC peers a load spans, each probed and shown with
its memory, so the fit target becomes this machine plus the peers that answer."""

from __future__ import annotations

import dataclasses
from typing import Any

from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from spark_desktop.engine.peers import (
    DEFAULT_PORT,
    Peer,
    PeerError,
    parse_endpoint,
    parse_split,
)
from spark_desktop.inference_settings import SettingsError
from spark_desktop.ui import fitview
from spark_desktop.ui.format import human_bytes
from spark_desktop.ui.services import Services
from spark_desktop.ui.widgets import MemoryBar, Segment


class ClusterBox(QGroupBox):
    """Peers by host:port, their probe results and a memory bar each."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Cluster (llama.cpp RPC)"))
        self.services = services
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("Split a model over this machine and other machines running "
                               "<code>spark-desktop rpc-server</code>. The link must be "
                               "private (the ConnectX cable between two Sparks): llama.cpp's "
                               "RPC has no password."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.peers_list = QListWidget()
        self.peers_list.setMaximumHeight(90)
        layout.addWidget(self.peers_list)
        self.bars = QVBoxLayout()
        layout.addLayout(self.bars)
        row = QHBoxLayout()
        self.peer_edit = QLineEdit(placeholderText=f"192.168.100.2:{DEFAULT_PORT}")
        self.add_button = QPushButton(self.tr("Add peer"))
        self.remove_button = QPushButton(self.tr("Remove"))
        self.probe_button = QPushButton(self.tr("Probe again"))
        for w in (self.peer_edit, self.add_button, self.remove_button, self.probe_button):
            row.addWidget(w)
        layout.addLayout(row)
        split_row = QHBoxLayout()
        split_row.addWidget(QLabel(self.tr("Split of the offloaded layers:")))
        self.split_edit = QLineEdit(placeholderText=self.tr(
            "by free memory (or shares: this machine's GPU, then each peer, e.g. 1,3)"))
        split_row.addWidget(self.split_edit, 1)
        layout.addLayout(split_row)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.add_button.clicked.connect(self.add_peer)
        self.peer_edit.returnPressed.connect(self.add_peer)
        self.remove_button.clicked.connect(self._remove)
        self.probe_button.clicked.connect(self._probe)
        self.split_edit.editingFinished.connect(self.set_split)
        services.peers_probed.connect(self._show)
        # a method, not a lambda: the connection ends with the box (a new language rebuilds it)
        services.settings_changed.connect(self._settings_changed)
        self._show(services.peers)

    def _settings_changed(self, _settings: object) -> None:
        self._show(self.services.peers)

    def add_peer(self) -> None:
        """Add the typed host:port (checked) to the load settings; it is then probed."""
        try:
            endpoint = parse_endpoint(self.peer_edit.text())
        except PeerError as exc:
            self.message.setText(str(exc))
            return
        load = self.services.settings.load
        self.peer_edit.clear()
        if endpoint in load.rpc_peers:
            self.message.setText(self.tr("{peer} is already a peer.").format(peer=endpoint))
            return
        self.message.setText(self.tr("Probing {peer}…").format(peer=endpoint))
        self._set_peers((*load.rpc_peers, endpoint))

    def set_split(self) -> None:
        """Keep the typed shares (empty: llama.cpp's split by free memory)."""
        try:
            split = parse_split(self.split_edit.text().strip())
            load = dataclasses.replace(self.services.settings.load, tensor_split=split)
        except SettingsError as exc:
            self.message.setText(str(exc))
            return
        self.message.setText("")
        self.services.update_settings(dataclasses.replace(self.services.settings, load=load))

    def _remove(self) -> None:
        row = self.peers_list.currentRow()
        peers = self.services.settings.load.rpc_peers
        if 0 <= row < len(peers):
            self._set_peers(peers[:row] + peers[row + 1:])

    def _probe(self) -> None:
        self.message.setText(self.tr("Probing…"))
        self.services.probe_peers()

    def _set_peers(self, peers: tuple[str, ...]) -> None:
        s = self.services.settings
        self.services.update_settings(
            dataclasses.replace(s, load=dataclasses.replace(s.load, rpc_peers=peers)))

    def _show(self, results: dict[str, Any]) -> None:
        """One line and one memory bar per peer: free of total, or why it cannot be used."""
        self.peers_list.clear()
        while self.bars.count():
            item = self.bars.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        split = self.services.settings.load.tensor_split
        if not self.split_edit.hasFocus():
            self.split_edit.setText(",".join(f"{x:g}" for x in split))
        for endpoint in self.services.settings.load.rpc_peers:
            found = results.get(endpoint)
            if isinstance(found, Peer):
                text = self.tr("{peer} — reachable, {free} free of {size}").format(
                    peer=endpoint, free=human_bytes(found.free), size=human_bytes(found.total))
                bar = MemoryBar()
                bar.set_usage([Segment(self.tr("in use"), found.total - found.free, fitview.OTHER)],
                              found.total)
                self.bars.addWidget(QLabel(f"{endpoint}:"))
                self.bars.addWidget(bar)
            elif isinstance(found, str):
                text = f"{endpoint} — {found}"
            else:
                text = self.tr("{peer} — not probed yet").format(peer=endpoint)
            self.peers_list.addItem(text)
        if results:
            self.message.setText("")
