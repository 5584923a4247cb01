"""Migrations build schema.py's tables from an empty database, on both dialects."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
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


def test_alembic_run_by_hand_migrates_the_database_the_settings_name(tmp_path: Path) -> None:
    """`alembic -c bot/store/alembic.ini ...` reads database.url as the bot does (the config
    file here), not a URL and default of its own."""
    chosen = tmp_path / "from-settings.db"
    config = tmp_path / "newsbot.toml"
    config.write_text(f'[database]\nurl = "sqlite+aiosqlite:///{chosen}"\n', encoding="utf-8")
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("NEWSBOT_") and not name.startswith("OPENAI_")
    }
    environment["NEWSBOT_CONFIG"] = str(config)
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "bot/store/alembic.ini", "upgrade", "head"],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(chosen) as connection:
        names = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"feeds", "channels", "alembic_version"} <= names
