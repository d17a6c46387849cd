"""A chat session and its turns: messages in, events out, the reply saved as it grows."""

from spark_desktop.chat.session import (
    ChatSession,
    ConversationCreated,
    SessionEvent,
    Siblings,
    TurnRequest,
)
from spark_desktop.chat.tool_loop import (
    ApprovalNeeded,
    Approvals,
    ReplyStarted,
    ToolAnswered,
    ToolCallsSaved,
    ToolLimitReached,
    TurnTools,
)
from spark_desktop.chat.turn import (
    ChatClient,
    Turn,
    TurnEvent,
    TurnFinished,
    TurnStarted,
    prompt_messages,
)

__all__ = ["ApprovalNeeded", "Approvals", "ChatClient", "ChatSession", "ConversationCreated",
           "ReplyStarted", "SessionEvent", "Siblings", "ToolAnswered", "ToolCallsSaved",
           "ToolLimitReached", "Turn", "TurnEvent", "TurnFinished", "TurnRequest", "TurnStarted",
           "TurnTools", "prompt_messages"]
