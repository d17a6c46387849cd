"""What an MCP tool costs a chat turn: the time to connect a server (once per app run, or
after it stopped) and the round trip of one tool call through the hub, over stdio and over
streamable HTTP, with the test server tests/mcp_servers/calc.py (its `add` does no work,
so the figures are the hub's, the SDK's and the transport's overhead). Target: a call's
round trip well under a model's time to first token (tens of ms, not hundreds).

Run: python benchmarks/mcp_bench.py [--calls 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from spark_desktop.mcp import McpHub
from spark_desktop.mcp.config import from_document
from tests.mcp_servers import CALC
from tests.mcp_servers.http import serve_calc


def measure(label: str, entry: dict[str, object], calls: int) -> None:
    hub = McpHub(from_document({"mcpServers": {"calc": entry}}))
    try:
        started = time.perf_counter()
        (status,) = hub.connect()
        connect_s = time.perf_counter() - started
        assert status.state == "ready", status.error
        times = []
        for i in range(calls):
            started = time.perf_counter()
            result = hub.call_tool("calc", "add", {"a": i, "b": 1})
            times.append(time.perf_counter() - started)
            assert result.text == str(i + 1), result
        times.sort()
        print(f"{label:6s} connect {connect_s * 1000:7.0f} ms   call median "
              f"{statistics.median(times) * 1000:6.1f} ms   p90 "
              f"{times[int(len(times) * 0.9) - 1] * 1000:6.1f} ms   ({calls} calls)")
    finally:
        hub.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    args = parser.parse_args()
    print(f"load average {' '.join(f'{x:.1f}' for x in psutil.getloadavg())}, "
          f"{psutil.cpu_count()} CPUs")
    measure("stdio", CALC, args.calls)
    with serve_calc() as url:
        measure("http", {"url": url}, args.calls)


if __name__ == "__main__":
    main()
