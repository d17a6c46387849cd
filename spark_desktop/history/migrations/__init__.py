"""Alembic revisions of the history schema; run at open by spark_desktop.history.database."""
