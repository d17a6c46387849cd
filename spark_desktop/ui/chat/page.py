"""The chat page: conversations, the message view, the composer and per-chat settings.

Nothing here waits on the database or the engine. History calls run in order on one
background thread; a turn runs on the engine's thread (chat.Turn does the work and
saves the reply as it grows); their results come back as queued signals. Streamed text
reaches the view through MessageListModel, which repaints at most every ~40 ms.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from spark_desktop import settings as settings_mod
from spark_desktop.chat import Turn, TurnFinished, TurnStarted, sampling_from_settings
from spark_desktop.engine.errors import WorkerDiedError
from spark_desktop.engine.events import ReasoningDelta, TextDelta
from spark_desktop.history.records import Conversation, Message, MessagePage
from spark_desktop.ui.bridges import EventRelay, error_text, run_async
from spark_desktop.ui.chat.composer import Composer
from spark_desktop.ui.chat.conversation_list import (
    ConversationList,
    entry_for_conversation,
    entry_for_hit,
)
from spark_desktop.ui.chat.engine_link import EngineLink
from spark_desktop.ui.chat.message_model import MessageListModel
from spark_desktop.ui.chat.message_view import MessageView
from spark_desktop.ui.chat.settings_panel import ContextMeter, SamplingPanel
from spark_desktop.ui.widgets import ElidedLabel

PAGE_SIZE = 60
LIST_SIZE = 300
SEARCH_LIMIT = 50
Siblings = dict[str, tuple[int, int]]


def sibling_positions(store: Any, conversation_id: str, messages: Iterable[Message]) -> Siblings:
    """(position, count) of each message among its siblings, for those that have any."""
    by_parent: dict[str | None, list[str]] = {}
    out: Siblings = {}
    for msg in messages:
        if msg.parent_id not in by_parent:
            by_parent[msg.parent_id] = [m.id for m in store.children(msg.parent_id,
                                                                     conversation_id)]
        kids = by_parent[msg.parent_id]
        if len(kids) > 1 and msg.id in kids:
            out[msg.id] = (kids.index(msg.id) + 1, len(kids))
    return out


class ChatPage(QWidget):
    """The Chat page. `store`: a history.HistoryStore (None opens the default database);
    `engine`: the window's EngineBridge, or an engine.Client.

    Signals: `reload_model_requested()` — the engine died and the person asks for the
    model again; `model_selected(path)` — picked in the header's model picker;
    `conversation_opened(id)` ("" for a new chat); `reply_finished(Message)` — a reply
    ended and is saved (any finish reason); `busy_changed(bool)`.
    """

    reload_model_requested = Signal()
    model_selected = Signal(str)
    conversation_opened = Signal(str)
    reply_finished = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, store: Any, engine: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chatPage")
        self.store = store
        self.engine = EngineLink(engine, self)
        self.conversation: Conversation | None = None
        self._db = QThreadPool(self)
        self._db.setMaxThreadCount(1)
        self._db.setExpiryTimeout(-1)
        self._relay = EventRelay(self)
        self._relay.event.connect(self._on_turn_event)
        self._turn: Turn | None = None
        self._stop = threading.Event()
        self._busy = False
        self._editing: Message | None = None
        self._reply_id: str | None = None
        self._unshown_siblings: set[str] = set()
        self._siblings_timer = QTimer(self)
        self._siblings_timer.setSingleShot(True)
        self._siblings_timer.setInterval(30)
        self._open_seq = 0
        self._search_seq = 0
        self._models: list[tuple[str, str]] = []
        self._build()
        self._connect()
        self._engine_state()
        if store is None:
            self._open_default_store()
        else:
            self.refresh_conversations()

    # -- construction -------------------------------------------------------------------
    def _build(self) -> None:
        self.conversations = ConversationList()
        # Plain text (titles come from chat text), elided so it never runs under the meter.
        self.title = ElidedLabel("New chat")
        self.title.setProperty("role", "title")
        self.model_picker = QComboBox()
        self.model_picker.setObjectName("modelPicker")
        self.model_picker.setMinimumWidth(220)
        self.model_picker.setPlaceholderText("Choose a model…")
        self.context_meter = ContextMeter()
        self.settings_button = QPushButton("Settings")
        self.settings_button.setCheckable(True)
        self.settings_button.setToolTip("System prompt and sampling for this conversation")
        header = QHBoxLayout()
        header.setContentsMargins(12, 8, 12, 4)
        header.addWidget(self.title, 1)
        header.addWidget(self.context_meter)
        header.addWidget(self.model_picker)
        header.addWidget(self.settings_button)

        self.banner = QFrame(objectName="chatBanner")
        self.banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.banner_text = QLabel()
        self.banner_text.setWordWrap(True)
        self.banner_text.setTextFormat(Qt.TextFormat.PlainText)
        self.banner_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.reload_button = QPushButton("Reload model")
        self.reload_button.setObjectName("reloadModel")
        row = QHBoxLayout(self.banner)
        row.addWidget(self.banner_text, 1)
        row.addWidget(self.reload_button)
        self.banner.hide()

        self.model = MessageListModel(self)
        self.view = MessageView(self.model)
        self.empty_hint = QLabel("Start a conversation: type below and press Enter.")
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setProperty("role", "muted")
        self.edit_note = QLabel("Editing a message: Enter sends it as a new branch, Esc cancels.")
        self.edit_note.setProperty("role", "muted")
        self.edit_note.setContentsMargins(14, 0, 14, 0)
        self.edit_note.hide()
        self.composer = Composer()

        center = QWidget()
        column = QVBoxLayout(center)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addLayout(header)
        column.addWidget(self.banner)
        column.addWidget(self.empty_hint)
        column.addWidget(self.view, 1)
        column.addWidget(self.edit_note)
        column.addWidget(self.composer)

        self.panel = SamplingPanel(settings_mod.load().sampling)  # a small JSON file
        self.panel.hide()
        self.splitter = QSplitter()
        self.splitter.addWidget(self.conversations)
        self.splitter.addWidget(center)
        self.splitter.addWidget(self.panel)
        self.splitter.setStretchFactor(1, 1)
        self.conversations.setMinimumWidth(200)
        self.splitter.setSizes([240, 700, 240])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self._show_empty_hint()

    def _connect(self) -> None:
        self.composer.send_requested.connect(self.send)
        self.composer.stop_requested.connect(self.stop)
        self.conversations.new_requested.connect(self.new_chat)
        self.conversations.open_requested.connect(self.open_conversation)
        self.conversations.search_changed.connect(self._search)
        self.conversations.rename_requested.connect(self._ask_rename)
        self.conversations.pin_requested.connect(self.set_pinned)
        self.conversations.delete_requested.connect(self._ask_delete)
        self.model.older_requested.connect(self._load_older)
        self.view.message_delegate.action.connect(self._message_action)
        self.view.message_delegate.first_shown.connect(self._message_shown)
        self._siblings_timer.timeout.connect(self._look_up_siblings)
        self.panel.changed.connect(self._save_settings)
        self.settings_button.toggled.connect(self.panel.setVisible)
        self.reload_button.clicked.connect(self._reload_clicked)
        self.model_picker.activated.connect(self._model_picked)
        self.engine.state_changed.connect(self._engine_state)
        self.engine.died.connect(self._engine_died)
        self.model.rowsInserted.connect(lambda *_: self._show_empty_hint())
        self.model.modelReset.connect(self._show_empty_hint)

    # -- public API (keyboard shortcuts of the window call these) -----------------------
    @property
    def busy(self) -> bool:
        """True while a reply is being generated."""
        return self._busy

    def new_chat(self) -> None:
        """Ctrl+N: an empty chat; the conversation is created with its first message."""
        self._open_seq += 1
        self.conversation = None
        self._cancel_edit()
        self.model.clear()
        self.title.setText("New chat")
        self.panel.show_settings(None, {})
        self.conversations.select(None)
        self.composer.edit.setFocus()
        self.conversation_opened.emit("")

    def focus_search(self) -> None:
        """Ctrl+K: put the cursor in the search box."""
        self.conversations.search.setFocus()
        self.conversations.search.selectAll()

    def stop(self) -> None:
        """Esc: stop the reply being generated (its text is kept), or leave edit mode."""
        if self._busy:
            self._stop.set()
            turn = self._turn
            if turn is not None:
                turn.cancel()
        else:
            self._cancel_edit()

    def set_models(self, models: Iterable[Any]) -> None:
        """Fill the model picker: paths, (label, path) pairs, or objects with .path (.name)."""
        self._models = []
        for item in models:
            if isinstance(item, tuple):
                label, path = str(item[0]), str(item[1])
            elif hasattr(item, "path"):
                path = str(item.path)
                label = str(getattr(item, "name", "") or Path(path).name)
            else:
                path = str(item)
                label = Path(path).name
            self._models.append((label, path))
        self.model_picker.blockSignals(True)
        self.model_picker.clear()
        for label, path in self._models:
            self.model_picker.addItem(label, path)
            self.model_picker.setItemData(self.model_picker.count() - 1, path,
                                          Qt.ItemDataRole.ToolTipRole)
        self.model_picker.blockSignals(False)
        self._select_loaded_model()

    def open_conversation(self, conversation_id: str, message_id: str | None = None) -> None:
        """Show a conversation (its newest page); with a message id, the branch through it."""
        self._open_seq += 1
        seq = self._open_seq
        self._cancel_edit()

        def load() -> tuple[Conversation, MessagePage]:
            store = self.store
            if message_id is not None:
                path_ids = {m.id for m in store.messages_page(conversation_id,
                                                              limit=PAGE_SIZE).messages}
                if message_id not in path_ids:
                    store.switch_branch(conversation_id, message_id)
            conv = store.get_conversation(conversation_id)
            return conv, store.messages_page(conversation_id, limit=PAGE_SIZE)

        self._db_call(load, lambda result: self._conversation_loaded(seq, result, message_id))

    def send(self, text: str) -> None:
        """Send `text` (as a new branch when a message is being edited)."""
        text = text.strip()
        if not text or self._busy:
            return
        if self.engine.loaded is None:
            self.composer.set_text(text)
            self._show_banner("No model is loaded. Pick one in the header or in My Models, "
                              "then send again.", reload=False)
            return
        editing, self._editing = self._editing, None
        self.edit_note.hide()
        conv = self.conversation
        sampling = sampling_from_settings(self.panel.sampling())
        system_prompt = self.panel.prompt()
        options = {"sampling": sampling, "system_prompt": system_prompt,
                   "use_stored_system_prompt": False, "model_name": self.engine.model_name()}
        if editing is not None:
            self.model.truncate_after(editing.parent_id)
            self._start(lambda store, client, conv_id: Turn.edit(store, client, editing, text,
                                                                 **options))
        else:
            self._start(lambda store, client, conv_id: Turn.send(store, client, conv_id, text,
                                                                 **options),
                        new_conversation=conv is None)

    def regenerate(self, message_id: str) -> None:
        """Another answer in place of reply `message_id` (kept as a sibling)."""
        row = self.model.row_of(message_id)
        if self._busy or row < 0 or self.engine.loaded is None:
            if self.engine.loaded is None:
                self._show_banner("No model is loaded; load one to regenerate.", reload=False)
            return
        reply = self.model.message(row)
        sampling = sampling_from_settings(self.panel.sampling())
        options = {"sampling": sampling, "system_prompt": self.panel.prompt(),
                   "use_stored_system_prompt": False, "model_name": self.engine.model_name()}
        self.model.truncate_after(reply.parent_id)
        self._start(lambda store, client, _c: Turn.regenerate(store, client, reply, **options))

    def edit(self, message_id: str) -> None:
        """Put a user message in the composer; sending it makes a new branch."""
        row = self.model.row_of(message_id)
        if row < 0 or self._busy:
            return
        self._editing = self.model.message(row)
        self.composer.set_text(self._editing.content)
        self.edit_note.show()
        self.composer.edit.setFocus()

    def switch_sibling(self, message_id: str, step: int) -> None:
        """Show the previous (-1) or next (+1) version of a message and the branch below it."""
        conv = self.conversation
        if conv is None or self._busy:
            return

        def switch() -> str:
            siblings = self.store.siblings(message_id)
            ids = [m.id for m in siblings]
            target = ids[max(0, min(len(ids) - 1, ids.index(message_id) + step))]
            self.store.switch_branch(conv.id, target)
            return conv.id

        self._db_call(switch, self.open_conversation)

    def rename_conversation(self, conversation_id: str, title: str) -> None:
        self._db_call(lambda: self.store.rename(conversation_id, title), self._conversation_saved)

    def set_pinned(self, conversation_id: str, pinned: bool) -> None:
        self._db_call(lambda: self.store.set_pinned(conversation_id, pinned),
                      self._conversation_saved)

    def delete_conversation(self, conversation_id: str) -> None:
        if self.conversation is not None and self.conversation.id == conversation_id:
            if self._busy:
                self._show_banner("Stop the reply before deleting this conversation.",
                                  reload=False)
                return
            self.new_chat()
        self._db_call(lambda: self.store.delete_conversation(conversation_id),
                      lambda _r: self.refresh_conversations())

    def refresh_conversations(self) -> None:
        """Reload the conversation list (unless a search is showing)."""
        if self.store is None or self.conversations.searching():
            return
        self._db_call(lambda: self.store.list_conversations(LIST_SIZE), self._listed)

    def wait_idle(self, ms: int = 10000) -> None:
        """Block until history calls are done (tests and closing only, never in a slot)."""
        self._db.waitForDone(ms)

    # -- history thread -----------------------------------------------------------------
    def _db_call(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None) -> None:
        if self.store is None:
            return
        run_async(fn, on_done, self._db_failed, parent=self, threads=self._db)

    def _db_failed(self, exc: BaseException) -> None:
        self._show_banner(error_text(exc), reload=False)

    def _open_default_store(self) -> None:
        from spark_desktop.history.store import HistoryStore

        def opened(store: Any) -> None:
            self.store = store
            self.refresh_conversations()

        run_async(HistoryStore.open, opened, self._db_failed, parent=self, threads=self._db)

    def _listed(self, conversations: list[Conversation]) -> None:
        if self.conversations.searching():
            return
        self.conversations.model.set_entries([entry_for_conversation(c) for c in conversations])
        self.conversations.select(self.conversation.id if self.conversation else None)

    def _search(self, query: str) -> None:
        self._search_seq += 1
        seq = self._search_seq
        if not query:
            self.refresh_conversations()
            return

        def found(hits: list[Any]) -> None:
            if seq == self._search_seq:
                self.conversations.model.set_entries([entry_for_hit(h) for h in hits])

        self._db_call(lambda: self.store.search(query, SEARCH_LIMIT), found)

    def _conversation_loaded(self, seq: int, result: tuple[Conversation, MessagePage],
                             focus_id: str | None) -> None:
        if seq != self._open_seq:
            return  # another conversation was asked for meanwhile
        conv, page = result
        self.conversation = conv
        self.title.setText(conv.title or "New chat")
        self.model.set_page(page)
        self.panel.show_settings(conv.system_prompt, conv.sampling_settings)
        self.conversations.select(conv.id)
        self._update_meter()
        if focus_id is not None and self.model.row_of(focus_id) >= 0:
            self.view.scrollTo(self.model.index(self.model.row_of(focus_id), 0))
        self.conversation_opened.emit(conv.id)

    def _load_older(self) -> None:
        conv, oldest = self.conversation, self.model.oldest()
        if conv is None or oldest is None:
            self.model.fetch_failed()
            return

        def loaded(page: MessagePage) -> None:
            self.model.prepend_page(page)

        self._db_call(lambda: self.store.messages_page(conv.id, before_id=oldest.id,
                                                       limit=PAGE_SIZE), loaded)

    def _message_shown(self, message_id: str) -> None:
        """Rows on screen get their branch switcher: siblings are looked up in batches."""
        self._unshown_siblings.add(message_id)
        if not self._siblings_timer.isActive():
            self._siblings_timer.start()

    def _look_up_siblings(self) -> None:
        ids, self._unshown_siblings = self._unshown_siblings, set()
        conv = self.conversation
        rows = [self.model.row_of(i) for i in ids]
        messages = [self.model.message(r) for r in rows if r >= 0]
        if conv is None or not messages:
            return
        self._db_call(lambda: sibling_positions(self.store, conv.id, messages),
                      self._siblings_loaded)

    def _conversation_saved(self, conv: Conversation) -> None:
        if self.conversation is not None and self.conversation.id == conv.id:
            self.conversation = conv
            self.title.setText(conv.title or "New chat")
        self.refresh_conversations()

    def _save_settings(self) -> None:
        conv = self.conversation
        if conv is None:
            return
        prompt, sampling = self.panel.prompt(), self.panel.sampling()
        self._db_call(lambda: self.store.update_conversation(
            conv.id, system_prompt=prompt, sampling_settings=sampling), self._conversation_saved)

    # -- turns ----------------------------------------------------------------------------
    def _start(self, make: Callable[[Any, Any, str], Turn], new_conversation: bool = False) -> None:
        """Run a turn on the engine's thread; its events come back through the relay."""
        store, relay, stop = self.store, self._relay, self._stop
        conv_id = self.conversation.id if self.conversation is not None else ""
        prompt, sampling = self.panel.prompt(), self.panel.sampling()
        stop.clear()
        self._set_busy(True)
        self.banner.hide()

        def work(client: Any) -> None:
            cid = conv_id
            if new_conversation:
                cid = store.create_conversation(system_prompt=prompt,
                                                sampling_settings=sampling).id
            elif cid:
                store.update_conversation(cid, system_prompt=prompt, sampling_settings=sampling)
            turn = make(store, client, cid)
            self._turn = turn
            if stop.is_set():
                turn.cancel()
            died: WorkerDiedError | None = None
            for event in turn.run():
                relay.post(event)
                if isinstance(event, TurnFinished) and isinstance(event.error, WorkerDiedError):
                    died = event.error
            if died is not None:
                raise died  # the bridge marks the engine dead (status bar, reload)

        self.engine.submit(work, self._turn_ended, self._turn_failed)

    def _on_turn_event(self, event: object) -> None:
        if isinstance(event, TextDelta):
            if self._reply_id is not None:
                self.model.stream(self._reply_id, text=event.text)
        elif isinstance(event, ReasoningDelta):
            if self._reply_id is not None:
                self.model.stream(self._reply_id, reasoning=event.text)
        elif isinstance(event, TurnStarted):
            self._turn_started(event)
        elif isinstance(event, TurnFinished):
            self._turn_finished(event)

    def _turn_started(self, event: TurnStarted) -> None:
        self._reply_id = event.reply.id
        if self.conversation is None or self.conversation.id != event.conversation_id:
            if self.conversation is None and self.model.rowCount() == 0:
                self._adopt_new_conversation(event.conversation_id)
            else:
                return  # the person moved to another conversation meanwhile
        if event.user_message is not None:
            self.model.append(event.user_message)
        self.model.append(event.reply)
        self.view.scroll_to_end()

    def _adopt_new_conversation(self, conversation_id: str) -> None:
        self._open_seq += 1
        self.model.set_page(MessagePage(conversation_id, None, (), False))

        def loaded(conv: Conversation) -> None:
            if self.model.conversation_id == conv.id:
                self.conversation = conv
                self.title.setText(conv.title or "New chat")
                self.conversation_opened.emit(conv.id)
            self.refresh_conversations()

        now = datetime.now(UTC)
        self.conversation = Conversation(id=conversation_id, title="", created_at=now,
                                         updated_at=now)
        self._db_call(lambda: self.store.get_conversation(conversation_id), loaded)

    def _turn_finished(self, event: TurnFinished) -> None:
        self.model.flush()
        self.model.replace(event.reply)
        self._reply_id = None
        if event.error is not None:
            died = isinstance(event.error, WorkerDiedError)
            self._show_banner(error_text(event.error), reload=died)
        elif event.done is not None:
            self._update_meter(event.done.prompt_tokens + event.done.completion_tokens,
                               event.done.dropped_messages)
        conv = self.conversation
        if conv is not None and conv.id == event.reply.conversation_id:
            rows = [self.model.message(r) for r in range(max(0, self.model.rowCount() - 2),
                                                          self.model.rowCount())]
            self._db_call(lambda: sibling_positions(self.store, conv.id, rows),
                          self._siblings_loaded)
        self.refresh_conversations()
        self.reply_finished.emit(event.reply)

    def _siblings_loaded(self, siblings: Siblings) -> None:
        for msg_id, (pos, count) in siblings.items():
            self.model.set_siblings(msg_id, pos, count)

    def _turn_ended(self, _result: object) -> None:
        self._turn = None
        self._set_busy(False)

    def _turn_failed(self, exc: BaseException) -> None:
        self._turn = None
        self._set_busy(False)
        if not isinstance(exc, WorkerDiedError):  # a death was shown with its reply
            self._show_banner(error_text(exc), reload=False)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.composer.set_busy(busy)
        self.busy_changed.emit(busy)

    # -- message actions ------------------------------------------------------------------
    def _message_action(self, action: str, message_id: str, payload: object) -> None:
        row = self.model.row_of(message_id)
        if row < 0:
            return
        msg = self.model.message(row)
        if action == "copy":
            QGuiApplication.clipboard().setText(msg.content)
        elif action == "copy_code":
            QGuiApplication.clipboard().setText(str(payload))
        elif action == "toggle_reasoning":
            self.model.toggle_reasoning(row)
        elif action == "regenerate":
            self.regenerate(message_id)
        elif action == "edit":
            self.edit(message_id)
        elif action in ("prev", "next"):
            self.switch_sibling(message_id, -1 if action == "prev" else 1)
        elif action == "link":
            url = QUrl(str(payload))
            if url.scheme() in ("http", "https", "mailto"):
                QDesktopServices.openUrl(url)

    def _cancel_edit(self) -> None:
        if self._editing is not None:
            self._editing = None
            self.composer.set_text("")
        self.edit_note.hide()

    # -- engine state ---------------------------------------------------------------------
    def _engine_state(self) -> None:
        if self.engine.loaded is not None:
            self.banner.hide()
        self._select_loaded_model()
        self._update_meter()

    def _engine_died(self, reason: str) -> None:
        self._show_banner(reason, reload=True)

    def _reload_clicked(self) -> None:
        self.banner.hide()
        self.reload_model_requested.emit()

    def _show_banner(self, text: str, reload: bool) -> None:
        self.banner_text.setText(text)
        self.reload_button.setVisible(reload)
        self.banner.show()

    def _select_loaded_model(self) -> None:
        loaded = self.engine.loaded
        path = loaded.info.path if loaded is not None else None
        index = self.model_picker.findData(path) if path else -1
        if index < 0 and path:
            index = next((i for i, (_l, p) in enumerate(self._models)
                          if Path(p).resolve() == Path(path).resolve()), -1)
        self.model_picker.setCurrentIndex(index)

    def _model_picked(self, index: int) -> None:
        path = self.model_picker.itemData(index)
        if path:
            self.model_selected.emit(str(path))

    def _update_meter(self, used: int | None = None, dropped: int = 0) -> None:
        loaded = self.engine.loaded
        if used is None:
            last = next((self.model.message(r) for r in range(self.model.rowCount() - 1, -1, -1)
                         if self.model.message(r).role == "assistant"), None)
            if last is not None and last.prompt_tokens is not None:
                used = last.prompt_tokens + (last.completion_tokens or 0)
        self.context_meter.set_usage(used, loaded.info.n_ctx if loaded is not None else None,
                                     dropped)

    def _show_empty_hint(self) -> None:
        self.empty_hint.setVisible(self.model.rowCount() == 0)

    # -- dialogs (thin: the work is in the methods above) ---------------------------------
    def _ask_rename(self, conversation_id: str) -> None:
        row = self.conversations.model.row_of(conversation_id)
        current = self.conversations.model.entries()[row].title if row >= 0 else ""
        title, ok = QInputDialog.getText(self, "Rename conversation", "Title", text=current)
        if ok and title.strip():
            self.rename_conversation(conversation_id, title)

    def _ask_delete(self, conversation_id: str) -> None:
        answer = QMessageBox.question(
            self, "Delete conversation",
            "Delete this conversation and all its messages? This cannot be undone.")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_conversation(conversation_id)

