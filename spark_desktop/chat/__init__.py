"""One conversation turn: messages in, events out, the reply saved as it grows."""

from spark_desktop.chat.turn import (
    ChatClient,
    Turn,
    TurnEvent,
    TurnFinished,
    TurnStarted,
    prompt_messages,
    sampling_from_settings,
)

__all__ = ["ChatClient", "Turn", "TurnEvent", "TurnFinished", "TurnStarted", "prompt_messages",
           "sampling_from_settings"]
