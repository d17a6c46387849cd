"""When a failed Hub request is worth another try, how long to wait, and what to say after.

Downloads and header reads share this one policy, so a Hub that answers 503 or drops
a connection meets the same patience everywhere. For a header read a host that cannot
be reached at all (no DNS, connection refused) is "offline" at once, while a download
waits for it too (a laptop changing networks); a Hub that still fails after the
retries is "busy", which asks for a different action than checking the cable.
"""

from __future__ import annotations

import datetime
import email.utils
import errno
import http.client
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import httpx2
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

from spark_desktop.hub.errors import HubBusyError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 8             # consecutive failures without progress before giving up
    base_delay: float = 1.0       # seconds; doubles each failure
    max_delay: float = 60.0       # the longest single wait, a server's Retry-After included
    give_up_after: float = 900.0  # seconds of consecutive failures before giving up
    connect_timeout: float = 20.0
    read_timeout: float = 60.0    # a stalled connection is dropped and retried after this

    def delay(self, failures: int, retry_after: float | None = None) -> float:
        """Seconds to wait after the `failures`-th failure in a row; the server's
        Retry-After wins when it gave one, within max_delay."""
        if retry_after is not None:
            return min(self.max_delay, max(retry_after, 0.0))
        return min(self.max_delay, self.base_delay * 2 ** max(failures - 1, 0))

    def exhausted(self, failures: int, started: float, wait: float) -> bool:
        """True when another try would break the bound on count or on total time."""
        return (failures >= self.attempts
                or time.monotonic() - started + wait > self.give_up_after)


# Header reads answer a person who is looking at the screen: a few tries within ~30 s.
# Module-level so tests can shorten it (monkeypatch) without touching the HTTP.
HEADER_READS = RetryPolicy(attempts=5, base_delay=0.5, max_delay=8.0, give_up_after=30.0,
                           connect_timeout=10.0, read_timeout=30.0)


def transient_status(status: int) -> bool:
    """A status a busy server answers with and that may be gone in a moment."""
    return status in (408, 425, 429) or 500 <= status <= 599


def unreachable(exc: BaseException) -> bool:
    """No connection could be opened at all: DNS failed, refused, no route, offline mode."""
    if isinstance(exc, (httpx2.ConnectError, socket.gaierror, ConnectionRefusedError,
                        OfflineModeIsEnabled)):
        return True
    return isinstance(exc, OSError) and exc.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH)


def transient(exc: BaseException, unreachable_too: bool = False) -> bool:
    """A failure worth another try: a dropped or stalled connection, 5xx, 429; a host
    that cannot be reached only when `unreachable_too` (downloads wait for it)."""
    if isinstance(exc, HfHubHTTPError):
        return exc.response is not None and transient_status(exc.response.status_code)
    if unreachable(exc):
        return unreachable_too
    return isinstance(exc, (httpx2.TransportError, http.client.HTTPException, OSError))


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """The server's Retry-After in seconds (a number or an HTTP date), None when absent
    or unreadable."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), "")
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - time.time())


def retry_after_of(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    return retry_after(response.headers) if response is not None else None


def what_failed(exc: BaseException) -> str:
    """The failure in a few words, for the busy sentence."""
    response = getattr(exc, "response", None)
    if isinstance(exc, HfHubHTTPError) and response is not None:
        return f"it answered {response.status_code} {response.reason_phrase}".rstrip()
    if isinstance(exc, TimeoutError | httpx2.TimeoutException):
        return "it did not answer in time"
    return "the connection was dropped"


def busy_message(exc: BaseException, failures: int = 1) -> str:
    times = f" ({failures} times in a row)" if failures > 1 else ""
    return (f"The Hugging Face Hub is busy: {what_failed(exc)}{times}. "
            "Try again in a few minutes; your models and chats still work.")


def call(request: Callable[[], T], policy: RetryPolicy | None = None) -> T:
    """`request()` until it succeeds, waiting between transient failures.

    Raises HubBusyError when the transient failures outlast the policy's bounds; any
    other error (an unreachable host among them: no point in waiting) is raised
    unchanged, for session.hub_errors to put into words.
    """
    policy = policy or HEADER_READS
    failures, started = 0, time.monotonic()
    while True:
        try:
            return request()
        except Exception as exc:
            if not transient(exc):
                raise
            failures += 1
            wait = policy.delay(failures, retry_after_of(exc))
            if policy.exhausted(failures, started, wait):
                raise HubBusyError(busy_message(exc, failures)) from exc
            time.sleep(wait)
