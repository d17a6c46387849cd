"""llama.cpp in a supervised worker process.

Only the worker's modules (worker, slots, reply, templates) and the dry run import
llama_cpp; everything else talks to the worker through engine.client.Client, which
survives the worker's death, streams up to n_seq replies at once (ChatStream) and computes
embeddings beside them (Client.embed, EmbeddingResult). How a
model loads and a reply is sampled are inference_settings.LoadSettings / SamplingSettings.
"""

from spark_desktop.engine.client import Client
from spark_desktop.engine.errors import (
    ChatTemplateError,
    EngineError,
    EngineTimeoutError,
    InvalidOptionsError,
    LoadCancelledError,
    ModelLoadError,
    NoModelLoadedError,
    PromptTooLongError,
    RequestCancelledError,
    ToolSchemaError,
    WorkerDiedError,
)
from spark_desktop.engine.events import (
    ChatDone,
    ChatEvent,
    EmbeddingResult,
    LoadedModel,
    ModelInfo,
    ReasoningDelta,
    TextDelta,
    ToolCall,
)
from spark_desktop.engine.stream import ChatStream
from spark_desktop.engine.tools import Tool, ToolSettings, tool_settings

__all__ = [
    "ChatDone", "ChatEvent", "ChatStream", "ChatTemplateError", "Client", "EmbeddingResult",
    "EngineError", "EngineTimeoutError", "InvalidOptionsError", "LoadCancelledError", "LoadedModel",
    "ModelInfo", "ModelLoadError", "NoModelLoadedError", "PromptTooLongError",
    "ReasoningDelta", "RequestCancelledError", "TextDelta", "Tool", "ToolCall",
    "ToolSchemaError", "ToolSettings", "WorkerDiedError", "tool_settings",
]
