"""Settings → Cluster with a real `spark-desktop rpc-server` on 127.0.0.1: a peer added by
host:port is saved, probed off the GUI thread and shown with its memory; the planning
target becomes this machine plus the peer, and the load dialog draws a bar per node."""

from __future__ import annotations

from pathlib import Path

import pytest

from spark_desktop import settings
from spark_desktop.gguf import read_model
from spark_desktop.hardware.targets import GIB, cluster_target, resolve_target
from spark_desktop.inference_settings import LoadSettings
from spark_desktop.ui.pages.cluster import ClusterBox
from spark_desktop.ui.pages.load_dialog import LoadDialog
from spark_desktop.ui.services import Services
from tests.test_rpc import HOST, free_port, start_server, stop

pytestmark = pytest.mark.slow


def test_a_peer_is_added_probed_and_joins_the_target(qtbot, tmp_path: Path) -> None:
    port = free_port()
    server = start_server(port, tmp_path / "server.log")
    services = Services()
    try:
        services.start()
        qtbot.waitUntil(lambda: services.target is not None, timeout=30000)
        box = ClusterBox(services)
        qtbot.addWidget(box)
        box.peer_edit.setText("not an address:x")
        box.add_button.click()
        assert "HOST:PORT" in box.message.text()
        assert settings.load().load.rpc_peers == ()

        endpoint, silent = f"{HOST}:{port}", f"{HOST}:{free_port()}"
        for peer in (endpoint, silent):
            box.peer_edit.setText(peer)
            box.add_button.click()
        assert settings.load().load.rpc_peers == (endpoint, silent)  # saved at once
        qtbot.waitUntil(lambda: len(services.peers) == 2, timeout=60000)
        rows = [box.peers_list.item(i).text() for i in range(box.peers_list.count())]
        assert rows[0].startswith(f"{endpoint} — reachable") and "free of" in rows[0]
        assert rows[1].startswith(silent) and "Nothing answers" in rows[1]
        assert box.bars.count() == 2  # the reachable peer's label and memory bar
        names = [p.name for p in services.target.pools]
        assert names[-1] == f"RPC {endpoint}" and services.target.linked
        assert services.target.label == "this machine and 1 RPC peer"
        assert all(silent not in n for n in names)  # a peer that cannot serve plans nothing

        box.split_edit.setText("1,x")
        box.set_split()
        assert "not a tensor split" in box.message.text()
        box.split_edit.setText("1,3")
        box.set_split()
        assert settings.load().load.tensor_split == (1.0, 3.0)

        box.peers_list.setCurrentRow(0)
        box.remove_button.click()
        assert settings.load().load.rpc_peers == (silent,)
        qtbot.waitUntil(lambda: endpoint not in services.peers, timeout=60000)
        assert not services.target.linked  # back to this machine alone
    finally:
        stop(server)


def test_load_dialog_draws_a_bar_per_node(qtbot, test_model: Path) -> None:
    target = cluster_target(resolve_target("spark"), [(f"{HOST}:50052", 100 * GIB)])
    dialog = LoadDialog("gemma", read_model(test_model), target, LoadSettings(n_gpu_layers=-1),
                        None)
    qtbot.addWidget(dialog)
    assert "a DGX Spark and 1 RPC peer" in dialog.pool_label.text()
    assert [label.text().split(":")[0] for label, _ in dialog.node_bars] == \
        ["DGX Spark", f"RPC {HOST}"]
    for (_, bar), use in zip(dialog.node_bars, dialog.estimate.pools, strict=True):
        assert bar.pool == use.available and bar.used == use.total
    assert all(bar.used > 0 for _, bar in dialog.node_bars)  # both nodes hold layers
