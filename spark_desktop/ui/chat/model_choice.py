"""Which loaded model a chat page talks to: the header's picker over the model host's
loaded models, the banner when that model is gone, Reload, and the context meter.

A mixin of ChatPage (ui/chat/page.py), apart from the conversation and turn logic; it
uses the page's `host` (HostBridge), `model_id`, `banner`, `model_picker`, `reload_button`,
`context_meter`, `model` (MessageListModel) and its `model_selected` signal.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication


class ModelChoice:
    """The chat page's choice of model among those the host has loaded."""

    host: Any
    model_id: str | None
    banner: Any
    model_picker: Any
    reload_button: Any
    context_meter: Any
    model: Any
    model_selected: Any

    def choose_model(self, model_id: str) -> None:
        """Talk to the loaded model `model_id` from the next turn on."""
        if model_id != self.model_id:
            self.model_id = model_id
            self.banner.hide()  # what it said was about the model before
            self.model_selected.emit(model_id)
        self._host_state()

    def _host_state(self, _entries: object = None) -> None:
        """Offer the loaded models; keep the chosen one (even while it is not loaded: the
        banner says what became of it), or take one when none was chosen yet."""
        ids = [e.id for e in self.host.entries]
        self.model_picker.set_models(ids)
        if self.model_id is None and ids:
            self.choose_model(ids[0])
            return
        self.model_picker.select(self.model_id)
        if self.model_id in ids and self.reload_button.isVisibleTo(self.banner):
            self.banner.hide()  # the model it offered to reload is back
        self._update_meter()

    def _no_model(self) -> None:
        if self.model_id is None:
            self.banner.show_text(QCoreApplication.translate(  # ChatPage's texts
                "ChatPage", "No model is loaded. Load one in My Models, then send again."),
                reload=False)
        else:
            self.banner.show_text(QCoreApplication.translate(
                "ChatPage", "{0} is not loaded any more (it was unloaded, or sat unused for an "
                "hour). Reload it, or pick another in the header.").format(self.model_id),
                reload=True)

    def _model_loaded(self, entry: Any) -> None:
        """A model finished loading (My Models, or Reload): a page without a model talks to it."""
        if self.host.entry(self.model_id) is None:
            self.choose_model(entry.id)

    def _load_failed(self, model_id: str, reason: str) -> None:
        if model_id == self.model_id:
            self.banner.show_text(reason, reload=True)

    def _reload_clicked(self) -> None:
        """Load the chat's model again (its worker died, or it was unloaded)."""
        self.banner.hide()
        if self.model_id is not None:
            self.host.load(self.model_id)

    def _update_meter(self, used: int | None = None, dropped: int = 0) -> None:
        entry = self.host.entry(self.model_id)
        if used is None:
            last = next((m for m in reversed(self.model.messages()) if m.role == "assistant"),
                        None)
            if last is not None and last.prompt_tokens is not None:
                used = last.prompt_tokens + (last.completion_tokens or 0)
        self.context_meter.set_usage(used, entry.n_ctx if entry is not None else None, dropped)
