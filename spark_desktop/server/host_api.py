"""The host's own routes (/host/...), used by HostClient when a second process attaches:
every model with its load state and memory, load, unload. Only the host token opens them."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from spark_desktop.host import ModelEntry
from spark_desktop.server import params
from spark_desktop.server.bridge import run_blocking


def entry_json(entry: ModelEntry) -> dict[str, Any]:
    return {"id": entry.id, "path": str(entry.path), "size": entry.size, "quant": entry.quant,
            "repo": entry.repo, "loaded": entry.loaded, "memory": entry.memory,
            "n_ctx": entry.n_ctx, "busy": entry.busy}


async def models(request: Request) -> Response:
    host = request.app.state.host
    entries = await run_blocking(host.models)
    return JSONResponse({"models": [entry_json(e) for e in entries],
                         "pool": host.ledger.pool, "used": host.ledger.used})


async def load(request: Request) -> Response:
    body = await params.read_json(request, request.app.state.config.max_body_bytes)
    entry = await run_blocking(request.app.state.host.load, params.model_name(body))
    return JSONResponse(entry_json(entry))


async def unload(request: Request) -> Response:
    body = await params.read_json(request, request.app.state.config.max_body_bytes)
    await run_blocking(request.app.state.host.unload, params.model_name(body))
    return JSONResponse({"unloaded": body["model"]})


ROUTES = [
    Route("/host/models", models, methods=["GET"]),
    Route("/host/load", load, methods=["POST"]),
    Route("/host/unload", unload, methods=["POST"]),
]
