"""The one place that talks to the Hub's HTTP endpoint: endpoint, token, headers, errors.

The endpoint is read from HF_ENDPOINT at call time (huggingface_hub freezes it at
import), so tests and mirrors can point us elsewhere without re-importing.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import httpx2
from huggingface_hub import HfApi, constants, hf_hub_url
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RemoteEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.utils import build_hf_headers, get_session

from spark_desktop.hub import retry
from spark_desktop.hub.errors import (
    HubAccessError,
    HubBusyError,
    OfflineError,
    RepoNotFoundError,
)

NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    httpx2.TransportError, ConnectionError, TimeoutError, socket.gaierror)
OFFLINE_MESSAGE = ("The Hugging Face Hub cannot be reached; check the internet connection. "
                   "Your models and chats still work.")


def endpoint() -> str:
    """The Hub's base URL (HF_ENDPOINT read now, not at import)."""
    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


def is_offline() -> bool:
    """True when HF_HUB_OFFLINE is set or the user chose offline in settings."""
    if os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}:
        return True
    from spark_desktop import settings

    return settings.load().offline


def require_network(offline_message: str | None = None, timeout: float = 3.0) -> None:
    """Fail fast with OfflineError when the Hub's host cannot be reached at all.

    huggingface_hub retries connection errors with backoff for many seconds; a person
    without network should hear "offline" at once instead.
    """
    message = offline_message or OFFLINE_MESSAGE
    if is_offline():
        raise OfflineError(message)
    url = urlsplit(endpoint())
    if getproxies().get(url.scheme) and not proxy_bypass(url.hostname or ""):
        return  # only the proxy can tell; let the request itself find out
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname or "", port), timeout=timeout).close()
    except OSError as exc:
        raise OfflineError(message) from exc


def unreachable_reason(timeout: float = 3.0) -> str | None:
    """None when the Hub's host accepts a connection, else why not in a few words."""
    try:
        require_network(timeout=timeout)
    except OfflineError as exc:
        return str(exc.__cause__ or exc)
    return None


def api() -> HfApi:
    return HfApi(endpoint=endpoint())


def headers() -> dict[str, str]:
    """Hub headers with the token from `hf auth login` or HF_TOKEN; no compression."""
    result = build_hf_headers()
    result["Accept-Encoding"] = "identity"
    return result


def file_url(repo: str, path: str, revision: str) -> str:
    return hf_hub_url(repo, path, revision=revision, endpoint=endpoint())


def client() -> httpx2.Client:
    """huggingface_hub's shared HTTP client (follows redirects, keeps connections)."""
    return get_session()


def access_message(repo: str) -> str:
    return (f"{repo} is gated or private: accept the licence at {endpoint()}/{repo} "
            "and log in with `hf auth login`.")


@contextmanager
def hub_errors(repo: str, offline_message: str | None = None) -> Iterator[None]:
    """Turn huggingface_hub and network errors into our typed errors with plain sentences."""
    try:
        yield
    except GatedRepoError as exc:
        raise HubAccessError(access_message(repo)) from exc
    except RepositoryNotFoundError as exc:
        raise RepoNotFoundError(
            f"{repo} was not found on the Hub. Check the name; if it is private, "
            "log in with `hf auth login`.") from exc
    except (RevisionNotFoundError, RemoteEntryNotFoundError) as exc:
        raise RepoNotFoundError(f"That file or revision is not in {repo}.") from exc
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else 0
        if status in (401, 403):
            raise HubAccessError(access_message(repo)) from exc
        if retry.transient(exc):
            raise HubBusyError(retry.busy_message(exc)) from exc
        raise
    except OfflineModeIsEnabled as exc:
        raise OfflineError(offline_message or OfflineError().args[0]) from exc
    except NETWORK_ERRORS as exc:
        if retry.unreachable(exc):  # the host is not there at all: offline
            raise OfflineError(offline_message or OFFLINE_MESSAGE) from exc
        raise HubBusyError(retry.busy_message(exc)) from exc  # it answered, then failed
