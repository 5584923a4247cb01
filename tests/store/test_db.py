"""The database opens migrated, on both dialects, and SQLite is set up for concurrent use."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.errors import ConfigError
from bot.store.db import Database, alembic_config, open_database
from tests.conftest import DbTarget, drop_schema, postgres_url_or_skip


async def test_open_creates_every_table(db: Database) -> None:
    async with db.session() as session:
        version = (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()
        count = (await session.execute(text("SELECT count(*) FROM feeds"))).scalar()
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert count == 0


async def test_reopening_keeps_rows_and_does_not_migrate_twice(db_target: DbTarget) -> None:
    first = await db_target.open()
    async with first.session() as session:
        await session.execute(
            text("INSERT INTO llm_usage (scope, day, tokens) VALUES ('c', '2026-01-01', 5)")
        )
    await first.close()
    second = await db_target.open()
    async with second.session() as session:
        tokens = (await session.execute(text("SELECT tokens FROM llm_usage"))).scalar()
    await second.close()
    assert tokens == 5


async def test_a_failed_block_is_rolled_back(db: Database) -> None:
    try:
        async with db.write() as session:
            await session.execute(
                text("INSERT INTO llm_usage (scope, day, tokens) VALUES ('c', '2026-01-01', 5)")
            )
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    async with db.session() as session:
        assert (await session.execute(text("SELECT count(*) FROM llm_usage"))).scalar() == 0


async def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(
    sqlite_db: Database,
) -> None:
    async with sqlite_db.session() as session:
        mode = (await session.execute(text("PRAGMA journal_mode"))).scalar()
        busy = (await session.execute(text("PRAGMA busy_timeout"))).scalar()
        fks = (await session.execute(text("PRAGMA foreign_keys"))).scalar()
    assert (mode, fks) == ("wal", 1)
    assert busy is not None and busy >= 1000


async def test_an_unusable_database_is_one_clear_sentence(tmp_path: Path) -> None:
    missing_folder = f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'newsbot.db'}"
    with pytest.raises(ConfigError, match="does not exist"):
        await open_database(missing_folder)
    with pytest.raises(ConfigError, match="cannot open the database") as refused:
        await open_database("postgresql+asyncpg://newsbot:pw-secret@127.0.0.1:9/newsbot")
    assert "pw-secret" not in str(refused.value)
    with pytest.raises(ConfigError, match="neither SQLite nor PostgreSQL"):
        await open_database("mysql+aiomysql://db.example/newsbot")


@pytest.mark.postgres
@pytest.mark.parametrize("mode", ["disable", "prefer"])
async def test_a_libpq_sslmode_in_the_url_is_understood(mode: str) -> None:
    # Hosted PostgreSQL services print URLs ending in ?sslmode=require; asyncpg calls it ssl.
    url = postgres_url_or_skip()
    schema = f"t_{uuid.uuid4().hex[:20]}"
    try:
        database = await open_database(f"{url}?sslmode={mode}", schema=schema)
        try:
            async with database.session() as session:
                assert await session.scalar(text("SELECT count(*) FROM feeds")) == 0
        finally:
            await database.close()
    finally:
        await drop_schema(url, schema)


async def test_an_unknown_sslmode_is_one_clear_sentence() -> None:
    with pytest.raises(ConfigError, match="sslmode 'sometimes' is not one of disable"):
        await open_database(
            "postgresql+asyncpg://newsbot:pw-secret@127.0.0.1:9/db?sslmode=sometimes"
        )
