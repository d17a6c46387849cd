"""Typed errors of the engine; each message says what a person can do next."""

from __future__ import annotations

from spark_desktop.errors import SparkError


class EngineError(SparkError):
    """Something went wrong in the model engine."""


class InvalidOptionsError(EngineError):
    """The request's settings cannot work (a JSON schema that has no grammar, say)."""


class ToolSchemaError(InvalidOptionsError):
    """A request's tools or tool_choice are malformed, or a tool's schema has no grammar."""


class ModelLoadError(EngineError):
    """llama.cpp refused the file (not a GGUF, truncated, unsupported, out of memory)."""


class LoadCancelledError(EngineError):
    """The person stopped a load before it finished."""


class ChatTemplateError(EngineError):
    """No chat template is known for the model, or the given one cannot be rendered."""


class PromptTooLongError(EngineError):
    """Even the newest message alone does not fit the context."""


class RequestCancelledError(EngineError):
    """The caller gave up on a request (its client left) before the answer came."""


class NoModelLoadedError(EngineError):
    """A chat was asked for before a model was loaded."""


class EngineTimeoutError(EngineError):
    """The worker went silent for longer than allowed and was stopped."""


class WorkerDiedError(EngineError):
    """The worker process ended unexpectedly (killed, crashed, aborted by llama.cpp)."""

    def __init__(self, message: str, log_tail: tuple[str, ...] = (),
                 exit_code: int | None = None) -> None:
        super().__init__(message)
        self.log_tail = log_tail
        self.exit_code = exit_code


# Errors the worker may report by name; anything else arrives as EngineError.
REMOTE_ERRORS: dict[str, type[EngineError]] = {
    cls.__name__: cls
    for cls in (EngineError, InvalidOptionsError, ToolSchemaError, ModelLoadError,
                LoadCancelledError, ChatTemplateError, PromptTooLongError, NoModelLoadedError)
}
