"""The HTTP API (Starlette on uvicorn): OpenAI, Anthropic and Ollama shapes in (chats,
completions, embeddings), host calls out; keys, limits and error shapes. No model logic
here."""

from spark_desktop.server.app import BindRefusedError, ServerConfig, build_app, check_bind
from spark_desktop.server.auth import KeyFileError, KeyRing, read_keys_file
from spark_desktop.server.run import ApiServer

__all__ = ["ApiServer", "BindRefusedError", "KeyFileError", "KeyRing", "ServerConfig",
           "build_app", "check_bind", "read_keys_file"]
