"""The pages of the main window (the chat page lives in ui/chat)."""
