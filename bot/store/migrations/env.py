"""Alembic environment.

`open_database` hands Alembic an open connection (`config.attributes["connection"]`), so
migrations run inside the same transaction and lock as the rest of start-up. Run by hand
(`alembic -c bot/store/alembic.ini revision --autogenerate -m "..."`) it connects to the
database the bot's own settings name (`database.url`: `$NEWSBOT_CONFIG`, then
`NEWSBOT_DATABASE_URL`; the default is the settings' default, defined once in bot/config.py).
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import Connection

from bot.config import load_settings
from bot.store.schema import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things in place; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone(url: str) -> None:
    from bot.store.db import open_database

    database = await open_database(url, migrate=False)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(_run)
    finally:
        await database.close()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    asyncio.run(_run_standalone(load_settings().database.url))


main()
