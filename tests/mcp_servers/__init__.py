"""Small MCP servers the tests (and anyone trying the MCP settings) run for real.

`CALC` is the `mcpServers` entry that runs tests/mcp_servers/calc.py over stdio with this
interpreter, wherever pytest was started (the SDK gives a server only a few environment
variables, not PYTHONPATH, so the folder is given as its working directory).
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CALC = {"command": sys.executable, "args": ["-m", "tests.mcp_servers.calc"], "cwd": str(ROOT)}
