"""Comparing models: side by side on this machine, blind votes, and a spec sheet."""
