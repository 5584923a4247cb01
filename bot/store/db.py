"""Engine, sessions and migrations for SQLite (the default) and PostgreSQL.

SQLite needs care to behave under concurrent writers: WAL so readers never block the writer,
a busy timeout so a second writer waits instead of failing, and `BEGIN IMMEDIATE` for
transactions that read and then write, so the write lock is taken up front. Without it two
read-then-write transactions both start as readers and one of them fails with "database is
locked" when it tries to upgrade its lock, which the busy timeout cannot help with.

pysqlite (and aiosqlite on top of it) starts transactions lazily on its own and never emits
`BEGIN IMMEDIATE`, so the driver's transaction handling is switched off
(`isolation_level = None`) and the `begin` event emits the BEGIN we want.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from asyncio import Future
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import StaticPool

from bot.errors import ConfigError

DialectName = Literal["sqlite", "postgresql"]
T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Any constant will do: it only has to be the same in every process migrating one database.
_PG_MIGRATION_LOCK = 7_160_231_114
_BEGIN_OPTION = "newsbot_begin"
log = logging.getLogger(__name__)
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

# The session type units of work receive: modules outside the store name it from here, so
# only `bot/store` imports SQLAlchemy.
Session = AsyncSession


async def insert_ignoring_conflict(
    session: AsyncSession, table: Any, values: dict[str, Any] | list[dict[str, Any]]
) -> None:
    """INSERT (one row or many) that skips rows a unique key already holds (both dialects)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(insert(table).values(values).on_conflict_do_nothing())


def database_location(url: str) -> tuple[str, str]:
    """(backend, database) of a database URL: ("sqlite", "path/newsbot.db"),
    ("postgresql", "news"); the database is "" when the URL names none."""
    parsed = make_url(url)
    return parsed.get_backend_name(), parsed.database or ""


@dataclass
class Database:
    """An open database: the engine plus the two ways of running a transaction."""

    engine: AsyncEngine
    _sessions: async_sessionmaker[AsyncSession]
    _write_sessions: async_sessionmaker[AsyncSession]

    @property
    def dialect(self) -> DialectName:
        return "sqlite" if self.engine.dialect.name == "sqlite" else "postgresql"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed when the block ends, rolled back on error.

        Use it for reads and for writes that do not depend on what they read (inserts with
        ON CONFLICT, updates by primary key).
        """
        async with self._sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that reads and then writes: `BEGIN IMMEDIATE` on SQLite.

        On SQLite the write lock is taken at the start, so concurrent writers queue (up to
        the busy timeout) instead of failing half-way; on PostgreSQL it is a normal
        transaction (row locks or ON CONFLICT do the rest).
        """
        async with self._write_sessions() as session, session.begin():
            yield session

    async def close(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


async def open_database(
    url: str,
    *,
    migrate: bool = True,
    schema: str | None = None,
    busy_timeout_s: float = 5.0,
) -> Database:
    """Open the database at `url` and bring its schema up to date (Alembic) unless told not to.

    `schema` selects a PostgreSQL schema (search_path) other than the default, which lets
    tests or several bots share one database. Raises ConfigError for an unusable URL.
    """
    engine = _create_engine(url, schema=schema, busy_timeout_s=busy_timeout_s)
    database = Database(
        engine=engine,
        _sessions=async_sessionmaker(engine, expire_on_commit=False),
        _write_sessions=async_sessionmaker(
            engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"}), expire_on_commit=False
        ),
    )
    if migrate:
        try:
            if schema and database.dialect == "postgresql":
                await _create_schema(database, schema)
            await migrate_database(database)
        except (OSError, DBAPIError) as error:
            await database.close()
            shown = make_url(url).render_as_string(hide_password=True)
            reason = str(getattr(error, "orig", None) or error).splitlines()[0]
            raise ConfigError(
                f"cannot open the database {shown} ({reason}); check database.url "
                "(NEWSBOT_DATABASE_URL) and that the server or folder exists."
            ) from None
        except BaseException:
            await database.close()
            raise
    return database


async def _create_schema(database: Database, schema: str) -> None:
    async with database.engine.begin() as conn:
        await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


def _create_engine(url: str, *, schema: str | None, busy_timeout_s: float) -> AsyncEngine:
    try:
        parsed = make_url(url)
    except Exception as error:
        raise ConfigError(f"database URL {url!r} cannot be parsed: {error}.") from None
    if parsed.get_backend_name() == "sqlite":
        folder = Path(parsed.database or ".").expanduser().parent
        if parsed.database not in (None, "", ":memory:") and not folder.is_dir():
            raise ConfigError(
                f"the folder {folder} for the SQLite database does not exist; create it or "
                "change database.url (NEWSBOT_DATABASE_URL)."
            )
        return _create_sqlite_engine(url, busy_timeout_s=busy_timeout_s)
    if parsed.get_backend_name() == "postgresql":
        connect_args: dict[str, Any] = {}
        if schema:
            if not _SCHEMA_NAME.fullmatch(schema):
                raise ConfigError(f"schema name {schema!r} must be letters, digits and _.")
            connect_args["server_settings"] = {"search_path": schema}
        parsed, ssl = _ssl_mode(parsed)
        if ssl is not None:
            connect_args["ssl"] = ssl
        engine = create_async_engine(parsed, connect_args=connect_args)
        _ping_idle_connections(engine)
        return engine
    raise ConfigError(
        f"database URL {parsed.render_as_string(hide_password=True)!r} is neither SQLite nor "
        "PostgreSQL; use sqlite+aiosqlite:///PATH or postgresql+asyncpg://USER@HOST/DB."
    )


# A pooled connection unused this long is pinged before it is handed out (the server may have
# restarted or dropped it meanwhile). One in use every few milliseconds is not: a ping for every
# checkout (BEGIN, a query, ROLLBACK) was a third of a busy worker's round trips.
IDLE_PING_S = 5.0


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """Pessimistic disconnect handling for connections that sat idle in the pool."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:  # the pool replaces it with a fresh connection
            raise DisconnectionError(f"a pooled connection is gone ({error})") from error


_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")


def _ssl_mode(url: URL) -> tuple[URL, str | None]:
    """libpq's `?sslmode=` (what hosted PostgreSQL services print) as asyncpg's `ssl` argument.

    asyncpg takes the same modes but under another name; passed through it is refused with a
    TypeError from deep inside the first connection.
    """
    query = dict(url.query)
    mode = query.pop("sslmode", None) or query.pop("ssl", None)
    if mode is None:
        return url, None
    if not isinstance(mode, str) or mode not in _SSL_MODES:
        raise ConfigError(
            f"database URL sslmode {mode!r} is not one of {', '.join(_SSL_MODES)}; "
            "fix it in database.url (NEWSBOT_DATABASE_URL)."
        )
    return url.set(query=query), mode


def _create_sqlite_engine(url: str, *, busy_timeout_s: float) -> AsyncEngine:
    parsed = make_url(url)
    in_memory = parsed.database in (None, "", ":memory:")
    options: dict[str, Any] = {"connect_args": {"timeout": busy_timeout_s}}
    if in_memory:
        # One shared connection, or every new connection would see a new empty database.
        options["poolclass"] = StaticPool
    engine = create_async_engine(url, **options)
    busy_ms = int(busy_timeout_s * 1000)

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver; `_on_begin` emits BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            # Durable at each checkpoint and far faster than FULL; the usual choice with WAL.
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())

    return engine


def alembic_config() -> Config:
    """An Alembic configuration pointing at the packaged migrations (no alembic.ini needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def migrate_database(database: Database) -> None:
    """Apply every pending migration, serialised across processes."""
    # On SQLite BEGIN IMMEDIATE makes a second process wait for the first one's
    # migration instead of racing it; on PostgreSQL an advisory lock does the same.
    async with database.engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"}).begin() as conn:
        if database.dialect == "postgresql":
            await conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})")
        await conn.run_sync(_upgrade_to_head)


def _upgrade_to_head(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


class WriteBatcher:
    """Runs many small write functions in few transactions (group commit).

    Each `run(write)` call waits for its own result, but the calls that arrive while one
    transaction is being written are queued and applied together in the next one. On SQLite,
    where every commit is a lock round and a WAL sync, this is what lets one poll of hundreds
    of feeds store its results in a fraction of a second. If any write of a batch fails, the
    batch is rolled back and its writes are applied again one transaction each, so only the
    failing write fails; a write may therefore run twice, but commits at most once.
    """

    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: list[tuple[Callable[[AsyncSession], Awaitable[Any]], Future[Any]]] = []
        self._lock = asyncio.Lock()

    async def run(self, write: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Apply `write(session)` in a transaction (shared with other queued writes)."""
        future: Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((write, future))
        try:
            async with self._lock:
                if not future.done():
                    batch, self._pending = self._pending, []
                    await self._apply(batch)
            return await future
        except asyncio.CancelledError:
            # Nobody will wait for this result now; a cancelled future is skipped when the
            # batch settles, instead of holding an error asyncio logs as never retrieved.
            future.cancel()
            raise

    async def _apply(
        self, batch: list[tuple[Callable[[AsyncSession], Awaitable[Any]], Future[Any]]]
    ) -> None:
        try:
            if len(batch) > 1:
                try:
                    async with self._db.write() as session:
                        values = [await write(session) for write, _ in batch]
                except Exception as error:  # rolled back: retried one by one below
                    log.debug("a batch of %d writes failed (%s); retrying each", len(batch), error)
                else:
                    results = zip(batch, values, strict=True)
                    _settle([(future, value, None) for (_, future), value in results])
                    return
            for write, future in batch:
                try:
                    async with self._db.write() as session:
                        value = await write(session)
                except Exception as error:
                    _settle([(future, None, error)])
                else:
                    _settle([(future, value, None)])
        except BaseException:
            # Cancelled: the writes not yet committed did not happen; their callers must know.
            _settle([(f, None, RuntimeError("the write was cancelled.")) for _, f in batch])
            raise


def _settle(outcomes: list[tuple[Future[Any], Any, BaseException | None]]) -> None:
    for future, value, error in outcomes:
        if future.done():  # its caller was cancelled meanwhile
            continue
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)
