"""Alembic migrations, applied by `bot.store.db.open_database` on start."""
