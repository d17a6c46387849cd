"""API errors: one typed value for every way a request fails, and the host/engine
errors mapped onto it (404 unknown model, 400 bad input, 429 queue full, ...)."""

from __future__ import annotations

from spark_desktop.engine import (
    ChatTemplateError,
    EngineError,
    InvalidOptionsError,
    ModelLoadError,
    PromptTooLongError,
    RequestCancelledError,
    ToolSchemaError,
    WorkerDiedError,
)
from spark_desktop.errors import SparkError
from spark_desktop.host.errors import (
    AbandonedError,
    DoesNotFitError,
    ModelBusyError,
    QueueFullError,
    UnknownModelError,
)


class ApiError(Exception):
    """An error the API reports with an HTTP status, an OpenAI error type and a code."""

    def __init__(self, status: int, message: str, type_: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type_
        self.code = code
        self.param = param
        self.headers = headers or {}

    def openai_body(self) -> dict[str, object]:
        return {"error": {"message": self.message, "type": self.type, "param": self.param,
                          "code": self.code}}

    def anthropic_body(self) -> dict[str, object]:
        kinds = {400: "invalid_request_error", 401: "authentication_error",
                 404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error"}
        return {"type": "error",
                "error": {"type": kinds.get(self.status, "api_error"), "message": self.message}}

    def ollama_body(self) -> dict[str, object]:
        return {"error": self.message}


def bad_request(message: str, param: str | None = None) -> ApiError:
    return ApiError(400, message, param=param)


def unsupported(what: str, param: str) -> ApiError:
    return ApiError(400, f"{what} is not supported by this server yet.", param=param,
                    code="unsupported")


def from_exception(exc: BaseException) -> ApiError:
    """The API error for a host or engine error (anything else is a 500)."""
    if isinstance(exc, ApiError):
        return exc
    text = str(exc)
    if isinstance(exc, UnknownModelError):
        return ApiError(404, text, code="model_not_found", param="model")
    if isinstance(exc, QueueFullError):
        return ApiError(429, text, "rate_limit_error", "queue_full",
                        headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, DoesNotFitError):
        return ApiError(503, text, "server_error", "model_does_not_fit")
    if isinstance(exc, ModelBusyError):
        return ApiError(409, text, code="model_busy")
    if isinstance(exc, (AbandonedError, RequestCancelledError)):
        return ApiError(499, text, code="client_closed_request")
    if isinstance(exc, PromptTooLongError):
        return ApiError(400, text, code="context_length_exceeded", param="messages")
    if isinstance(exc, ToolSchemaError):
        return ApiError(400, text, param="tools")
    if isinstance(exc, (InvalidOptionsError, ChatTemplateError)):
        return ApiError(400, text)
    if isinstance(exc, (ModelLoadError, WorkerDiedError)):
        return ApiError(500, text, "server_error", "engine_failed")
    if isinstance(exc, (EngineError, SparkError)):
        return ApiError(500, text, "server_error")
    return ApiError(500, f"Internal error: {type(exc).__name__}: {exc}", "server_error")
