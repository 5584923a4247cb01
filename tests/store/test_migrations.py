"""Migrations build schema.py's tables from an empty database, on both dialects."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from bot.store.db import Database, alembic_config
from bot.store.schema import Base
from bot.store.search import is_search_index
from tests.conftest import DbTarget


def _outside_search_index(name: str | None, _type: str, _parents: Any) -> bool:
    return not is_search_index(name)  # the full-text index is SQL, not in schema.py


def _differences(connection: Connection) -> list[Any]:
    options = {"compare_type": True, "include_name": _outside_search_index}
    context = MigrationContext.configure(connection, opts=options)
    return list(compare_metadata(context, Base.metadata))


def _tables(connection: Connection) -> set[str]:
    return {name for name in inspect(connection).get_table_names() if not is_search_index(name)}


async def test_migrated_schema_matches_schema_py_exactly(db: Database) -> None:
    async with db.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
        tables = await connection.run_sync(_tables)
    assert differences == []
    assert tables == set(Base.metadata.tables) | {"alembic_version"}


async def test_an_unmigrated_open_leaves_the_database_empty(db_target: DbTarget) -> None:
    database = await db_target.open(migrate=False)
    try:
        async with database.engine.connect() as connection:
            assert await connection.run_sync(_tables) == set()
    finally:
        await database.close()


def _downgrade_then_upgrade(connection: Connection) -> tuple[set[str], set[str]]:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, "base")
    after_down = _tables(connection)
    command.upgrade(config, "head")
    return after_down, _tables(connection)


async def test_downgrade_to_empty_and_upgrade_again(db: Database) -> None:
    async with db.engine.begin() as connection:
        after_down, after_up = await connection.run_sync(_downgrade_then_upgrade)
    assert after_down == {"alembic_version"}
    assert after_up == set(Base.metadata.tables) | {"alembic_version"}
