"""The Chat page and its parts (message view, composer, conversation list, settings)."""

from spark_desktop.ui.chat.page import ChatPage

__all__ = ["ChatPage"]
