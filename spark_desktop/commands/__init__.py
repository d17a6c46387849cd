"""Sub-command modules of the CLI, one per area of the app."""
