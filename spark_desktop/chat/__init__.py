"""A chat session and its turns: messages in, events out, the reply saved as it grows."""

from spark_desktop.chat.session import (
    ChatSession,
    ConversationCreated,
    SessionEvent,
    Siblings,
    TurnRequest,
)
from spark_desktop.chat.turn import (
    ChatClient,
    Turn,
    TurnEvent,
    TurnFinished,
    TurnStarted,
    prompt_messages,
)

__all__ = ["ChatClient", "ChatSession", "ConversationCreated", "SessionEvent", "Siblings",
           "Turn", "TurnEvent", "TurnFinished", "TurnRequest", "TurnStarted",
           "prompt_messages"]
