"""The chat page: a view of a chat.ChatSession with conversations, messages and settings.

The session decides (what a send, an edit, a regenerate or a stop means; what a turn
saves); the page shows its state and forwards the person's intent. Nothing here waits:
history calls go through the app's HistoryBridge (one thread, in order), a turn runs on
the page's own thread with a lease of the conversation's model from the model host (so
two pages can talk to two models at once), and results come back as queued signals.
Streamed text reaches the view through MessageListModel, which repaints at most every
~40 ms.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from spark_desktop import settings as settings_mod
from spark_desktop.chat import (
    ChatSession,
    ConversationCreated,
    TurnFinished,
    TurnRequest,
    TurnStarted,
)
from spark_desktop.chat.documents import DocumentProgress
from spark_desktop.engine.errors import WorkerDiedError
from spark_desktop.engine.events import ReasoningDelta, TextDelta
from spark_desktop.history.records import Conversation, MessagePage
from spark_desktop.ui.bridges import EventRelay, HistoryBridge, error_text, run_async, serial_pool
from spark_desktop.ui.chat import citations
from spark_desktop.ui.chat.attachments import Attachments
from spark_desktop.ui.chat.branches import Branches
from spark_desktop.ui.chat.composer import Composer
from spark_desktop.ui.chat.conversation_list import ConversationList
from spark_desktop.ui.chat.header import Banner, ChatHeader
from spark_desktop.ui.chat.message_model import MessageListModel
from spark_desktop.ui.chat.message_view import MessageView
from spark_desktop.ui.chat.model_choice import ModelChoice
from spark_desktop.ui.chat.passage_view import PassageView
from spark_desktop.ui.chat.preset_box import reload_model
from spark_desktop.ui.chat.settings_panel import SamplingPanel
from spark_desktop.ui.chat.tools_bar import ChatTools
from spark_desktop.ui.host_bridge import HostBridge

PAGE_SIZE = 60


class ChatPage(ModelChoice, Branches, QWidget):
    """The Chat page over the app's history and the model host.

    Signals: `model_selected(id)` — the loaded model this page's chats talk to changed;
    `conversation_opened(id)` ("" for a new chat); `reply_finished(Message)` — a reply
    ended and is saved (any finish reason); `busy_changed(bool)`.
    """

    model_selected = Signal(str)
    conversation_opened = Signal(str)
    reply_finished = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, history: HistoryBridge, host: HostBridge,
                 parent: QWidget | None = None, pieces: bool = False) -> None:
        """`pieces`: build the rest at each `build_piece()` (the window, a piece per turn of
        its event loop, so that it never stalls); by default the page is complete at once."""
        super().__init__(parent)
        self.setObjectName("chatPage")
        self.history = history
        self.host = host
        self.model_id: str | None = None   # the loaded model the next turn talks to
        self._lease: Any = None            # the running turn's hold on its model
        self._threads = serial_pool(self)  # this page's turns, one at a time
        self._closed = False               # shut down: late turn events are dropped
        self.session = ChatSession(history.runner)
        self._relay = EventRelay(self)
        self._relay.event.connect(self._on_turn_event)
        self._unshown_siblings: set[str] = set()
        self._siblings_timer = QTimer(self, singleShot=True, interval=30)
        self._open_seq = 0
        self._pieces = self._build()
        while self.build_piece() and not pieces:
            pass

    # -- construction -------------------------------------------------------------------
    def build_piece(self) -> bool:
        """Build the next piece of the page; False once it is complete."""
        return next(self._pieces, self) is not self

    def _build(self) -> Iterator[None]:
        """A piece per `yield`; containers first (a widget moved is restyled with its children)."""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.splitter = QSplitter()
        layout.addWidget(self.splitter)
        self.conversations = ConversationList(self.history)
        self.conversations.setMinimumWidth(200)
        center = QWidget()
        for widget in (self.conversations, center):
            self.splitter.addWidget(widget)
        column = QVBoxLayout(center)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        yield
        self.header = ChatHeader()
        self.title, self.context_meter = self.header.title, self.header.context_meter
        self.model_picker, self.settings_button = (self.header.model_picker,
                                                   self.header.settings_button)
        self.banner = Banner()
        self.banner_text, self.reload_button = self.banner.text, self.banner.reload_button
        self.empty_hint = QLabel(self.tr("Start a conversation: type below and press Enter."))
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setProperty("role", "muted")
        for widget in (self.header, self.banner, self.empty_hint):
            column.addWidget(widget)
        yield
        self.model = MessageListModel(self)
        self.view = MessageView(self.model)
        self.view.setAccessibleName(self.tr("Messages"))
        self.edit_note = QLabel(self.tr(
            "Editing a message: Enter sends it as a new branch, Esc cancels."))
        self.edit_note.setProperty("role", "muted")
        self.edit_note.setContentsMargins(14, 0, 14, 0)
        self.edit_note.hide()
        self.composer = Composer()
        self.attachments = Attachments(self)  # documents: chips, drops, the turn's hook
        self.passage_view: PassageView | None = None  # the last citation opened
        self.tools = ChatTools(self)  # its bar and approval card sit above the composer
        for widget, stretch in ((self.view, 1), (self.edit_note, 0), (self.tools.card, 0),
                                (self.tools.bar, 0), (self.attachments.bar, 0),
                                (self.composer, 0)):
            column.addWidget(widget, stretch)
        yield
        self.panel = SamplingPanel(settings_mod.load().sampling)  # a small JSON file
        self.panel.hide()
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([240, 700, 240])
        self._show_empty_hint()
        yield
        self._connect()
        self._host_state()
        self.refresh_conversations()

    def _connect(self) -> None:
        self.composer.send_requested.connect(self.send)
        self.composer.stop_requested.connect(self.stop)
        self.view.citation_clicked.connect(self.open_citation)
        self.conversations.new_requested.connect(self.new_chat)
        self.conversations.open_requested.connect(self.open_conversation)
        self.conversations.delete_requested.connect(self.delete_conversation)
        self.conversations.saved.connect(self._conversation_saved)
        self.conversations.failed.connect(lambda text: self.banner.show_text(text, False))
        self.model.older_requested.connect(self._load_older)
        self.view.message_action.connect(self._message_action)
        self.view.message_delegate.first_shown.connect(self._message_shown)
        self._siblings_timer.timeout.connect(self._look_up_siblings)
        self.panel.changed.connect(self._save_settings)
        self.panel.presets.reload_requested.connect(lambda load: reload_model(
            self.host, self.model_id, load, settings_mod.load().load))
        self.settings_button.toggled.connect(self.panel.setVisible)
        self.reload_button.clicked.connect(self._reload_clicked)
        self.model_picker.model_selected.connect(self.choose_model)
        self.host.models_changed.connect(self._host_state)
        self.host.loaded.connect(self._model_loaded)
        self.host.load_failed.connect(self._load_failed)
        self.model.rowsInserted.connect(lambda *_: self._show_empty_hint())
        self.model.modelReset.connect(self._show_empty_hint)

    # -- public API (keyboard shortcuts of the window call these) -----------------------
    @property
    def busy(self) -> bool:
        """True while a reply is being generated."""
        return self.session.busy

    @property
    def conversation(self) -> Conversation | None:
        """The conversation shown (None for a new chat)."""
        return self.session.conversation

    def set_toolbox(self, toolbox: Any) -> None:
        """The tools this page's chats may offer (a chat.ToolBox; None: no tools)."""
        self.tools.set_toolbox(toolbox)

    def new_chat(self) -> None:
        """Ctrl+N: an empty chat; the conversation is created with its first message."""
        self._open_seq += 1
        self.session.show(None)
        self._cancel_edit()
        self.model.clear()
        self.attachments.refresh()
        self.title.setText(self.tr("New chat"))
        self.panel.show_settings(None, {})
        self.tools.show_settings(None)
        self.conversations.select(None)
        self.composer.edit.setFocus()
        self.conversation_opened.emit("")

    def focus_search(self) -> None:
        """Ctrl+K: put the cursor in the search box."""
        self.conversations.search.setFocus()
        self.conversations.search.selectAll()

    def stop(self) -> None:
        """Esc: stop the reply being generated (its text is kept), or leave edit mode."""
        if self.session.stop():
            lease = self._lease
            if lease is not None:
                lease.cancel()
        else:
            self._cancel_edit()

    def shutdown(self) -> None:
        """The window closes: stop a running reply (the turn saves it) and wait for it;
        its last events are not shown (the history closes next)."""
        if self.busy:
            self.stop()
        self._threads.waitForDone(5000)
        self._closed = True
        self._siblings_timer.stop()  # its look-up would reach the closed history

    def open_conversation(self, conversation_id: str, message_id: str | None = None) -> None:
        """Show a conversation (its newest page); with a message id, the branch through it."""
        self._open_seq += 1
        seq = self._open_seq
        self._cancel_edit()

        def load(store: Any) -> tuple[Conversation, MessagePage]:
            if message_id is not None:
                path_ids = {m.id for m in store.messages_page(conversation_id,
                                                              limit=PAGE_SIZE).messages}
                if message_id not in path_ids:
                    store.switch_branch(conversation_id, message_id)
            conv = store.get_conversation(conversation_id)
            return conv, store.messages_page(conversation_id, limit=PAGE_SIZE)

        self._history(load, lambda result: self._conversation_loaded(seq, result, message_id))

    def send(self, text: str) -> None:
        """Send `text` (as a new branch when a message is being edited)."""
        if not text.strip() or self.busy:
            return
        if self.host.entry(self.model_id) is None:
            self.composer.set_text(text.strip())
            self._no_model()
            return
        editing = self.session.editing
        request = self.session.send(text, **self._turn_settings())
        if request is None:
            return
        self.edit_note.hide()
        if editing is not None:
            self.model.truncate_after(editing.parent_id)
        self._run(request)

    def regenerate(self, message_id: str) -> None:
        """Another answer in place of reply `message_id` (kept as a sibling)."""
        row = self.model.row_of(message_id)
        if self.host.entry(self.model_id) is None:
            self._no_model()
            return
        if row < 0:
            return
        reply = self.model.message(row)
        request = self.session.regenerate(reply, **self._turn_settings())
        if request is not None:
            self.model.truncate_after(reply.parent_id)
            self._run(request)

    def edit(self, message_id: str) -> None:
        """Put a user message in the composer; sending it makes a new branch."""
        row = self.model.row_of(message_id)
        if row >= 0 and self.session.start_edit(self.model.message(row)):
            self.composer.set_text(self.model.message(row).content)
            self.edit_note.show()
            self.composer.edit.setFocus()

    def open_citation(self, message_id: str, n: int) -> None:
        """Show the passage [n] of a reply in its file (the passage viewer)."""
        row = self.model.row_of(message_id)
        found = citations.citation(self.model.message(row).extra, n) if row >= 0 else None
        if found is not None:
            self.passage_view = PassageView(found, self)
            self.passage_view.show()

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        self.conversations.rename(conversation_id, title)

    def set_pinned(self, conversation_id: str, pinned: bool) -> None:
        self.conversations.set_pinned(conversation_id, pinned)

    def delete_conversation(self, conversation_id: str) -> None:
        if self.session.shows(conversation_id):
            if self.busy:
                self.banner.show_text(
                    self.tr("Stop the reply before deleting this conversation."), reload=False)
                return
            self.new_chat()
        self.conversations.delete(conversation_id)

    def refresh_conversations(self) -> None:
        """Reload the conversation list (unless a search is showing)."""
        self.conversations.refresh()

    # -- history results --------------------------------------------------------------------
    def _history(self, op: Any, on_done: Any = None) -> None:
        self.history.run(op, on_done, self._history_failed, parent=self)

    def _history_failed(self, exc: BaseException) -> None:
        self.banner.show_text(error_text(exc), reload=False)

    def _conversation_loaded(self, seq: int, result: tuple[Conversation, MessagePage],
                             focus_id: str | None) -> None:
        if seq != self._open_seq:
            return  # another conversation was asked for meanwhile
        conv, page = result
        self.session.show(conv)
        self.attachments.refresh()
        self.title.setText(conv.title or self.tr("New chat"))
        self.model.set_page(page)
        self.panel.show_settings(conv.system_prompt, conv.sampling_settings,
                                 conv.extra.get("preset"))
        self.conversations.select(conv.id)
        if conv.model and self.host.entry(conv.model) is not None:
            self.choose_model(conv.model)  # the conversation goes on with its model
        self.tools.show_settings(conv)
        self._update_meter()
        if focus_id is not None and self.model.row_of(focus_id) >= 0:
            self.view.scrollTo(self.model.index(self.model.row_of(focus_id), 0))
        self.conversation_opened.emit(conv.id)

    def _load_older(self) -> None:
        conv, oldest = self.conversation, self.model.oldest()
        if conv is None or oldest is None:
            self.model.fetch_failed()
            return
        self._history(lambda store: store.messages_page(conv.id, before_id=oldest.id,
                                                        limit=PAGE_SIZE),
                      self.model.prepend_page)

    def _conversation_saved(self, conv: Conversation) -> None:
        self.session.saved(conv)
        if self.session.shows(conv.id):
            self.title.setText(conv.title or self.tr("New chat"))

    def _save_settings(self) -> None:
        conv = self.conversation
        if conv is None:
            return
        prompt, sampling = self.panel.prompt(), self.panel.sampling()
        preset = self.panel.take_preset()  # its name, tools and documents join the extra

        def save(store: Any) -> Conversation:
            extra = {} if preset is None else {
                "extra": preset.chat_extra(store.get_conversation(conv.id).extra)}
            return store.update_conversation(conv.id, system_prompt=prompt,
                                             sampling_settings=sampling, **extra)

        def saved(conv: Conversation) -> None:
            self._conversation_saved(conv)
            self.refresh_conversations()

        self._history(save, saved)

    # -- turns ----------------------------------------------------------------------------
    def _turn_settings(self) -> dict[str, Any]:
        return {"system_prompt": self.panel.prompt(), "sampling": self.panel.sampling(),
                "model_name": self.model_id, **self.tools.turn_settings()}

    def _run(self, request: TurnRequest) -> None:
        """Run a turn on this page's thread with a lease of its model (waiting for a free
        slot of that model); its events come back through the relay."""
        session, relay, host, model_id = self.session, self._relay, self.host, self.model_id
        assert model_id is not None
        self._set_busy(True)
        self.banner.hide()

        hook = self.attachments.prompt_hook

        def work() -> None:
            lease = host.acquire(model_id)
            self._lease = lease
            try:
                for event in session.run(request, lease, hook(request, relay.post)):
                    relay.post(event)
            finally:
                self._lease = None
                lease.release()

        run_async(work, self._turn_ended, self._turn_failed, parent=self,
                  threads=self._threads)

    def _on_turn_event(self, event: object) -> None:
        if self._closed:
            return
        shown = self.session.apply(event)  # type: ignore[arg-type]
        reply_id = self.session.reply_id
        if self.tools.handle(event):
            return
        if isinstance(event, TextDelta):
            if reply_id is not None:
                self.model.stream(reply_id, text=event.text)
        elif isinstance(event, ReasoningDelta):
            if reply_id is not None:
                self.model.stream(reply_id, reasoning=event.text)
        elif isinstance(event, ConversationCreated):
            if shown:
                self._adopt(event.conversation)
        elif isinstance(event, TurnStarted):
            if shown:
                if event.user_message is not None:
                    self.model.append(event.user_message)
                self.model.append(event.reply)
                self.view.scroll_to_end()
        elif isinstance(event, TurnFinished):
            self._turn_finished(event, shown)
        elif isinstance(event, DocumentProgress):
            self.attachments.progress(event)

    def _adopt(self, conv: Conversation) -> None:
        """A new chat's first turn created its conversation: show it as that one."""
        self._open_seq += 1
        self.model.set_page(MessagePage(conv.id, None, (), False))
        self.title.setText(conv.title or self.tr("New chat"))
        self.conversation_opened.emit(conv.id)
        self.refresh_conversations()
        if self.panel.chosen_preset is not None:
            self._save_settings()  # a preset chosen before the first message names itself

    def _turn_finished(self, event: TurnFinished, shown: bool) -> None:
        self.model.flush()
        self.model.replace(event.reply)
        if event.error is not None:
            died = isinstance(event.error, WorkerDiedError)
            self.banner.show_text(error_text(event.error), reload=died)
            if died:
                self.host.refresh()  # the host dropped the model
        elif event.done is not None:
            self._update_meter(event.done.prompt_tokens + event.done.completion_tokens,
                               event.done.dropped_messages)
        if shown:
            count = self.model.rowCount()
            self._look_up_siblings([self.model.message(r).id
                                    for r in range(max(0, count - 2), count)])
        self.refresh_conversations()
        self.reply_finished.emit(event.reply)

    def _turn_ended(self, _result: object) -> None:
        self.session.finished()
        self._set_busy(False)

    def _turn_failed(self, exc: BaseException) -> None:
        self.session.finished()
        self._set_busy(False)
        self.banner.show_text(error_text(exc), reload=False)

    def _set_busy(self, busy: bool) -> None:
        self.composer.set_busy(busy)
        self.busy_changed.emit(busy)

    # -- message actions ------------------------------------------------------------------
    def _message_action(self, action: str, message_id: str) -> None:
        if action == "regenerate":
            self.regenerate(message_id)
        elif action == "edit":
            self.edit(message_id)
        elif action in ("prev", "next"):
            self.switch_sibling(message_id, -1 if action == "prev" else 1)

    def _cancel_edit(self) -> None:
        if self.session.cancel_edit():
            self.composer.set_text("")
        self.edit_note.hide()

    def _show_empty_hint(self) -> None:
        self.empty_hint.setVisible(self.model.rowCount() == 0)
