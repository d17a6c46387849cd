"""What went wrong with an MCP server, in a sentence a person (or the model) can act on,
and what a tool's answer says, as text.

The SDK reports failures as exceptions of several libraries, often wrapped in exception
groups by its task groups; a stdio server's own explanation is on its stderr (its last
lines, kept by transport.StderrTail).
"""

from __future__ import annotations

import json
from typing import Any

from spark_desktop.mcp.config import ServerConfig
from spark_desktop.mcp.transport import StderrTail

#: JSON-RPC error codes the SDK uses for a closed connection and a request that timed out.
CONNECTION_CLOSED = -32000
REQUEST_TIMEOUT = -32001


def leaf(exc: BaseException) -> BaseException:
    """The first real error inside (nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _said(stderr: StderrTail | None) -> str:
    text = stderr.text() if stderr is not None else ""
    return f" Its last words: {text}" if text else ""


def connect_failure(spec: ServerConfig, exc: BaseException, stderr: StderrTail | None,
                    timeout: float) -> str:
    """Why connecting `spec` failed."""
    err = leaf(exc)
    name = spec.name
    if isinstance(err, TimeoutError):
        return (f'The MCP server "{name}" did not get ready within {timeout:g} seconds.'
                f'{_said(stderr)}')
    if spec.command is not None:
        if isinstance(err, FileNotFoundError):
            return (f'The MCP server "{name}" could not start: the program "{spec.command}" '
                    'was not found. Install it, or give its full path in "command".')
        if isinstance(err, PermissionError):
            return (f'The MCP server "{name}" could not start: "{spec.command}" may not be '
                    'run (permission denied).')
        if isinstance(err, OSError):
            return f'The MCP server "{name}" could not start "{spec.command}": {err}.'
        if getattr(err, "code", None) == CONNECTION_CLOSED:
            return f'The MCP server "{name}" stopped before it was ready.{_said(stderr)}'
        return f'The MCP server "{name}" failed while starting: {_describe(err)}.{_said(stderr)}'
    kind = type(err).__name__
    if kind in ("ConnectError", "ConnectTimeout"):
        return (f'Cannot reach the MCP server "{name}" at {spec.url}: {err}. Is it running, '
                'and is the address right?')
    if hasattr(err, "code") and hasattr(err, "message"):
        return (f'The MCP server "{name}" at {spec.url} refused to connect: {err.message}. '
                'Check the "url" (it often ends in /mcp) and any "headers" it needs, such '
                'as a key.')
    return f'The MCP server "{name}" at {spec.url} failed to connect: {_describe(err)}.'


def call_failure(spec: ServerConfig, tool: str, exc: BaseException, timeout: float,
                 stderr: StderrTail | None) -> tuple[str, str]:
    """How a call failed: ("timeout" | "lost" | "error", the sentence). "lost": the
    session is gone (the server stopped or the connection broke); "error": the server
    answered with a protocol error, the session is fine."""
    err = leaf(exc)
    name = spec.name
    code = getattr(err, "code", None) if hasattr(err, "message") else None
    if code == REQUEST_TIMEOUT or isinstance(err, TimeoutError):
        return "timeout", (f'The tool "{tool}" of the MCP server "{name}" did not answer '
                           f'within {timeout:g} seconds.')
    if code == CONNECTION_CLOSED or code is None:
        return "lost", (f'The MCP server "{name}" stopped during the call of "{tool}" '
                        f'({_describe(err)}); it starts again at the next call.{_said(stderr)}')
    return "error", f'The MCP server "{name}" refused the call of "{tool}": {err.message}'


def _describe(err: BaseException) -> str:
    message = getattr(err, "message", None) or str(err)
    return f"{type(err).__name__}: {message}" if message else type(err).__name__


def result_text(result: Any) -> str:
    """A tool's answer as text for the model: its text blocks joined; other content
    described in a few words; structured content when it gave no text."""
    parts: list[str] = []
    for block in result.content or ():
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind in ("image", "audio"):
            parts.append(f"[{kind} ({block.mime_type}), not shown]")
        elif kind == "resource_link":
            parts.append(f"[resource link: {block.uri}]")
        elif kind == "resource":
            inner = block.resource
            text = getattr(inner, "text", None)
            parts.append(text if text is not None else
                         f"[resource {inner.uri} ({inner.mime_type or 'binary'}), not shown]")
        else:
            parts.append(f"[{kind or 'unknown'} content, not shown]")
    if not parts and result.structured_content is not None:
        parts.append(json.dumps(result.structured_content, ensure_ascii=False))
    return "\n".join(parts)
