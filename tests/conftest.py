"""Shared fixtures: a migrated database on SQLite and on PostgreSQL.

`db` runs each test twice, once on a fresh SQLite file and once on PostgreSQL when
NEWSBOT_TEST_POSTGRES_URL is set (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test).
Each PostgreSQL test gets its own schema, dropped afterwards, so tests never see each
other's rows, even when several test runs share the server.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.db import Database, open_database

POSTGRES_ENV = "NEWSBOT_TEST_POSTGRES_URL"


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Undo what a test's `setup_logging` did to the root logger.

    A handler left behind writes to the test's captured stream after pytest has closed it;
    a late log line (an asyncio task destroyed during garbage collection) then fails inside
    pytest's own failure report and ends the whole run with an internal error.
    """
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@dataclass(frozen=True)
class DbTarget:
    """Where a test database lives; `open()` can be called again to simulate a restart."""

    url: str
    schema: str | None = None

    @property
    def dialect(self) -> str:
        return "sqlite" if self.url.startswith("sqlite") else "postgresql"

    async def open(self, *, migrate: bool = True) -> Database:
        return await open_database(self.url, migrate=migrate, schema=self.schema)


def postgres_url_or_skip() -> str:
    """The PostgreSQL server tests may use, or a skip that says how to provide one."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(
            f"PostgreSQL tests need {POSTGRES_ENV}, "
            "e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test (.ci/run sets it)"
        )
    return url


def sqlite_target(folder: Path) -> DbTarget:
    return DbTarget(f"sqlite+aiosqlite:///{folder / 'newsbot.db'}")


async def drop_schema(url: str, schema: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[DbTarget]:
    """An empty database location (not yet opened) on each dialect."""
    if request.param == "sqlite":
        yield sqlite_target(tmp_path)
        return
    url = postgres_url_or_skip()
    schema = f"t_{uuid.uuid4().hex[:20]}"
    try:
        yield DbTarget(url, schema)
    finally:
        await drop_schema(url, schema)


@pytest.fixture
async def db(db_target: DbTarget) -> AsyncIterator[Database]:
    """A migrated, empty database: SQLite file, then PostgreSQL (own schema)."""
    database = await db_target.open()
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated, empty SQLite database, for behaviour only SQLite has (locking, WAL)."""
    database = await sqlite_target(tmp_path).open()
    try:
        yield database
    finally:
        await database.close()
