"""PostgreSQL connections that sat idle in the pool are checked before use: one the server
dropped meanwhile (a restart, an idle timeout) is replaced instead of failing the next query,
while connections in constant use are handed out without a ping."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from bot.store import db as db_module
from bot.store.db import open_database
from tests.conftest import postgres_url_or_skip

pytestmark = [pytest.mark.postgres]


async def test_a_connection_dropped_while_idle_is_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = postgres_url_or_skip()
    monkeypatch.setattr(db_module, "IDLE_PING_S", 0.2)
    # No migrations: the test needs connections, not newsbot's tables.
    bot_db, admin = await open_database(url, migrate=False), await open_database(url, migrate=False)
    try:
        async with bot_db.session() as session:
            first = await session.scalar(text("SELECT pg_backend_pid()"))
        async with admin.session() as session:  # the server drops the bot's idle connection
            await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        await asyncio.sleep(0.5)

        async with bot_db.session() as session:
            again = await session.scalar(text("SELECT pg_backend_pid()"))
        assert again != first  # a fresh connection, and no error for the query
    finally:
        await bot_db.close()
        await admin.close()
