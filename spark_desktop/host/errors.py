"""Typed errors of the model host; each says what a person (or an API client) can do next."""

from __future__ import annotations

from spark_desktop.errors import SparkError


class HostError(SparkError):
    """Something the host cannot do as asked."""


class UnknownModelError(HostError):
    """The request names a model that is neither loaded nor on disk."""

    def __init__(self, model_id: str, known: tuple[str, ...], message: str | None = None) -> None:
        listed = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
        super().__init__(message or (
            f"There is no model {model_id!r} on this machine. Models available: "
            f"{listed or 'none (download one first)'}."))
        self.model_id = model_id


class DoesNotFitError(HostError):
    """Loading the model beside the ones already loaded would overrun the memory pool."""

    def __init__(self, model_id: str, needed: int, free: int, pool: int,
                 loaded: tuple[tuple[str, int], ...]) -> None:
        beside = ", ".join(f"{name} ({_gib(size)})" for name, size in loaded) or "nothing"
        super().__init__(
            f"{model_id} needs about {_gib(needed)} but only {_gib(free)} of the "
            f"{_gib(pool)} memory pool is free beside {beside}. Unload a model, or allow "
            "the host to unload the least recently used idle model.")
        self.model_id = model_id
        self.needed = needed
        self.free = free
        self.pool = pool
        self.loaded = loaded


class QueueFullError(HostError):
    """Every slot of the model is busy and its waiting line is full."""

    def __init__(self, model_id: str, waiting: int, retry_after: int,
                 message: str | None = None) -> None:
        super().__init__(message or (
            f"{model_id} is busy: {waiting} requests are already waiting. Try again in "
            f"about {retry_after} s."))
        self.model_id = model_id
        self.retry_after = retry_after


class ModelBusyError(HostError):
    """The model cannot be unloaded while a request uses it."""


class AbandonedError(HostError):
    """The caller gave up (its client disconnected) while waiting for a slot."""


class HostUnreachableError(HostError):
    """The running host did not answer, or answered with an error."""


def _gib(n: int) -> str:
    return f"{n / 1024 ** 3:.2f} GiB"
