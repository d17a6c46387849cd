"""Widgets of the Compare page: one column per model, the leaderboard table."""
