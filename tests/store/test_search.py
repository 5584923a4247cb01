"""Full-text search of articles: kept in step with the table, safe words, backfilled rows."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import Connection, delete, text
from sqlalchemy.engine import make_url

from bot.models import Article
from bot.store.articles import ArticleStore
from bot.store.db import Database, alembic_config
from bot.store.schema import ArticleRow
from bot.store.search import count_matches, search_articles
from tests.conftest import DbTarget

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def story(n: int, title: str, body: str, *, days_old: int = 0) -> Article:
    return Article(
        id=f"s{n}",
        url=f"https://news.example/{n}",
        title=title,
        text=body,
        outlet="Harbour Gazette",
        published=NOW - timedelta(days=days_old),
    )


FERRY = story(1, "Ferry strike called off", "Ferry crews accepted the new pay offer on Monday.")
ORCHARD = story(2, "Record apple harvest", "Orchards picked 12,000 tonnes of apples this autumn.")
BRIDGE = story(3, "Harbour bridge repairs", "Repairs to the bridge start in May.", days_old=900)


async def found(db: Database, *words: str, limit: int = 10) -> list[str]:
    async with db.session() as session:
        return [a.id for a in await search_articles(session, words, limit=limit)]


async def test_stemmed_words_find_articles_best_match_first(db: Database) -> None:
    await ArticleStore(db).add_many([FERRY, ORCHARD, BRIDGE], feed_id=None, fetched_at=NOW)
    assert await found(db, "apple", "harvests") == ["s2"]
    assert await found(db, "repair") == ["s3"]  # 900 days old, still there
    # Any word is enough to be a candidate; holding more of them ranks higher.
    assert await found(db, "bridge", "ferry", "crews") == ["s1", "s3"]
    assert await found(db, "chess") == []
    assert await found(db) == []
    assert len(await found(db, "ferry", "apples", "bridge", limit=2)) == 2


async def test_query_syntax_in_words_is_only_text(db: Database) -> None:
    await ArticleStore(db).add_many([FERRY, ORCHARD, BRIDGE], feed_id=None, fetched_at=NOW)
    hostile = ['"', '""', "NEAR", "NEAR(", "*", "-", ":", "(", ")", "^", "AND", "OR", "NOT"]
    hostile += ["title:apple", "apple*", "-apple", 'apple" OR "ferry', "!", "&", "|", "<->", "'"]
    for word in hostile:
        await found(db, word)  # never raises
    assert await found(db, "NOT", "ferry") == ["s1"]  # "NOT" excludes nothing
    assert await found(db, "-ferry") == ["s1"]
    assert await found(db, "bridge:") == ["s3"]
    assert await found(db, "ferr*") == []  # not a prefix search
    assert await found(db, "NEAR(", "apple") == ["s2"]


async def test_each_word_is_counted_in_the_articles_holding_it(db: Database) -> None:
    # `ask` narrows a search to its rarest words; a wrong count picks the wrong words.
    await ArticleStore(db).add_many([FERRY, ORCHARD, BRIDGE], feed_id=None, fetched_at=NOW)
    async with db.session() as session:
        counts = await count_matches(session, ["harbour", "apples", "chess", "ferry", " ", "NEAR("])
        assert counts == {"harbour": 1, "apples": 1, "chess": 0, "ferry": 1, " ": 0, "NEAR(": 0}
        assert await count_matches(session, ["bridge", "bridge", "repairs"]) == {
            "bridge": 1,
            "repairs": 1,
        }
        assert await count_matches(session, []) == {}


async def test_added_updated_and_removed_articles_are_searchable_or_gone(db: Database) -> None:
    store = ArticleStore(db)
    await store.add_many([FERRY, ORCHARD], feed_id=None, fetched_at=NOW)
    assert await found(db, "ferry") == ["s1"]
    await store.add_many([BRIDGE], feed_id=None, fetched_at=NOW)
    assert await found(db, "bridge") == ["s3"]

    await store.update_text("s2", "Growers blamed a late frost for the small crop.")
    assert await found(db, "frost") == ["s2"]
    assert await found(db, "tonnes") == []
    assert await found(db, "apple") == ["s2"]  # the title is unchanged

    async with db.session() as session:
        await session.execute(delete(ArticleRow).where(ArticleRow.id == "s1"))
    assert await found(db, "ferry") == []
    assert sorted(await found(db, "bridge", "frost", "ferry")) == ["s2", "s3"]


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


_INSERT_0001 = text(
    "INSERT INTO articles (id, url, title, text, outlet, feed_id, published_at, fetched_at, "
    "baseline) VALUES (:id, :url, :title, :text, 'Outlet', NULL, :at, :at, false)"
)


async def test_upgrading_from_0001_indexes_the_articles_already_stored(
    db_target: DbTarget,
) -> None:
    database = await db_target.open(migrate=False)
    try:
        async with database.engine.begin() as connection:
            if db_target.schema:
                await connection.exec_driver_sql(f'CREATE SCHEMA "{db_target.schema}"')
            await connection.run_sync(_upgrade, "0001")
            when = NOW.replace(tzinfo=None)
            for article in (FERRY, ORCHARD, BRIDGE):
                values = {"id": article.id, "url": article.url, "title": article.title}
                await connection.execute(_INSERT_0001, {**values, "text": article.text, "at": when})
        async with database.engine.begin() as connection:
            await connection.run_sync(_upgrade, "head")
        assert await found(database, "ferry") == ["s1"]
        assert await found(database, "apples") == ["s2"]
        assert await found(database, "repairs") == ["s3"]
    finally:
        await database.close()


async def test_search_survives_vacuum(sqlite_db: Database) -> None:
    # The FTS5 index points at article rowids; VACUUM must not move them under it.
    store = ArticleStore(sqlite_db)
    many = [story(n, f"Filler story {n}", f"Nothing of note happened {n}.") for n in range(10, 60)]
    await store.add_many([*many, FERRY, ORCHARD, BRIDGE], feed_id=None, fetched_at=NOW)
    async with sqlite_db.session() as session:
        await session.execute(delete(ArticleRow).where(ArticleRow.id.like("s1%")))
    path = make_url(str(sqlite_db.engine.url)).database
    assert path
    with sqlite3.connect(path) as raw:
        raw.execute("VACUUM")
    assert await found(sqlite_db, "apples") == ["s2"]
    assert await found(sqlite_db, "bridge") == ["s3"]
    assert await found(sqlite_db, "ferry") == []
