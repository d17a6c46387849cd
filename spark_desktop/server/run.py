"""Run the API on uvicorn: in this thread (the `serve` command) or in a background
thread (tests, benchmarks, and later the app), on a socket bound before starting so
an ephemeral port is known at once."""

from __future__ import annotations

import socket
import threading
from typing import Self

import uvicorn

from spark_desktop.host import ModelHost, discovery
from spark_desktop.server.app import ServerConfig, build_app, check_bind


class ApiServer:
    """One uvicorn server over a host; `announce` makes it the machine's host."""

    def __init__(self, host: ModelHost, config: ServerConfig, announce: bool = False) -> None:
        check_bind(config)
        self.host = host
        self.config = config
        self._announce = announce
        family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((config.host, config.port))
        self.port = self._socket.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(
            build_app(host, config), log_level="warning", lifespan="off",
            timeout_graceful_shutdown=2))
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.config.host}]" if ":" in self.config.host else self.config.host
        return f"http://{host}:{self.port}"

    def serve(self) -> None:
        """Serve until stopped (Ctrl-C in the main thread stops it)."""
        if self._announce:
            discovery.announce(self.config.host, self.port)
        try:
            self._server.run(sockets=[self._socket])
        finally:
            if self._announce:
                discovery.withdraw()
            self._socket.close()

    def start(self) -> ApiServer:
        """Serve from a background thread; returns once the server accepts requests."""
        self._thread = threading.Thread(target=self.serve, name="api-server", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError("The API server stopped while starting.")
            self._thread.join(0.02)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
