"""The ASGI application: routes of every API shape, keys, limits, CORS and error shapes.

No model logic here: handlers parse, ask the host, and shape the answer.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from spark_desktop.errors import SparkError
from spark_desktop.host import ModelHost
from spark_desktop.server import anthropic_api, embeddings_api, host_api, ollama_api, openai_api
from spark_desktop.server.auth import KeyRing, presented_key
from spark_desktop.server.bridge import run_blocking
from spark_desktop.server.errors import ApiError, from_exception
from spark_desktop.server.recorder import ApiRecorder

DEFAULT_PORT = 8484
MAX_BODY_BYTES = 8 * 1024 * 1024
OPEN_PATHS = ("/health",)


class BindRefusedError(SparkError):
    """The server was asked to listen beyond this machine without any API key."""


@dataclass(frozen=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    keys: KeyRing = field(default_factory=KeyRing)
    max_body_bytes: int = MAX_BODY_BYTES
    cors_origins: tuple[str, ...] = ()
    recorder: ApiRecorder | None = None  # saves API conversations to history when set


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_bind(config: ServerConfig) -> None:
    """Refuse to listen on a non-loopback address unless a key is required."""
    if not is_loopback(config.host) and not config.keys.required:
        raise BindRefusedError(
            f"Refusing to listen on {config.host} without an API key: anyone on the network "
            "could use your models. Give --api-key KEY or --api-keys-file FILE, or listen on "
            "127.0.0.1.")


def error_response(path: str, error: ApiError) -> Response:
    if path.startswith("/api/"):
        body = error.ollama_body()
    elif path.startswith("/v1/messages"):
        body = error.anthropic_body()
    else:
        body = error.openai_body()
    return JSONResponse(body, status_code=error.status, headers=error.headers)


class KeyCheck:
    """Every path but /health needs a key when keys are set; /host/ needs the host token."""

    def __init__(self, app: ASGIApp, keys: KeyRing) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        request = Request(scope)
        key = presented_key(request.headers)
        if path.startswith("/host/"):
            allowed = self.keys.is_host(key)
        elif path in OPEN_PATHS or not self.keys.required:
            allowed = True
        else:
            allowed = self.keys.name_of(key) is not None
        if not allowed:
            error = ApiError(401, "A valid API key is required: send it as `Authorization: "
                                  "Bearer KEY` or `x-api-key: KEY`.", "authentication_error",
                             "invalid_api_key")
            await error_response(path, error)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def health(request: Request) -> Response:
    entries = await run_blocking(request.app.state.host.loaded)
    return JSONResponse({"status": "ok", "loaded": [e.id for e in entries]})


async def _api_error(request: Request, exc: Exception) -> Response:
    return error_response(request.url.path, from_exception(exc))


def build_app(host: ModelHost, config: ServerConfig | None = None) -> Starlette:
    config = config or ServerConfig()
    middleware = [Middleware(KeyCheck, keys=config.keys)]
    if config.cors_origins:
        middleware.insert(0, Middleware(
            CORSMiddleware, allow_origins=list(config.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["authorization", "content-type", "x-api-key",
                           "anthropic-version"]))
    handlers: dict[Any, Any] = {ApiError: _api_error, SparkError: _api_error}
    app = Starlette(
        routes=[Route("/health", health, methods=["GET"]), *openai_api.ROUTES,
                *embeddings_api.ROUTES, *anthropic_api.ROUTES, *ollama_api.ROUTES,
                *host_api.ROUTES],
        middleware=middleware, exception_handlers=handlers)
    app.state.host = host
    app.state.config = config
    return app
