"""Saves a terminal conversation (`spark-desktop chat`, `generate --save`) as it happens.

The CLI keeps its own message list and drives the engine; this sink mirrors it into
the history with the same streaming writer the GUI uses, so a crash loses at most
the last flush interval of the reply.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spark_desktop.chat.turn import record_event
from spark_desktop.engine.events import ChatEvent, LoadedModel
from spark_desktop.history.store import HistoryStore
from spark_desktop.history.streaming import StreamWriter


class HistoryRecorder:
    """A ChatSink (see commands/engine.py) writing each turn into one conversation."""

    def __init__(self, store: HistoryStore, sampling: dict[str, Any] | None = None) -> None:
        self.store = store
        self._sampling = sampling or {}
        self._model: str | None = None
        self._system: str | None = None
        self._load: dict[str, Any] = {}
        self._writer: StreamWriter | None = None
        self.conversation_id: str | None = None

    def on_loaded(self, loaded: LoadedModel, system: str | None) -> None:
        self._model = Path(loaded.info.path).name
        self._system = system
        self._load = loaded.options.to_dict()

    def on_reset(self) -> None:
        """`/reset` in the terminal: the next message starts a new conversation."""
        self.close()
        self.conversation_id = None

    def on_user(self, text: str) -> None:
        self.close()
        if self.conversation_id is None:
            self.conversation_id = self.store.create_conversation(
                system_prompt=self._system, model=self._model, load_settings=self._load,
                sampling_settings=self._sampling).id
        self.store.add_message(self.conversation_id, "user", text)
        self._writer = self.store.begin_stream(self.conversation_id, model=self._model)

    def on_event(self, event: ChatEvent) -> None:
        if self._writer is not None and record_event(self._writer, event) is not None:
            self._writer = None

    def close(self) -> None:
        """A reply that ended without the engine's final event (the worker died, the
        terminal quit) keeps its text and is marked `error`."""
        if self._writer is not None:
            self._writer.finish("error")
            self._writer = None
