"""Two writers on one database (two engines, as two processes would be) lose no writes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bot.models import Article
from bot.store.articles import ArticleStore
from bot.store.feeds import Backoff, FeedStore
from tests.conftest import DbTarget

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_concurrent_read_then_write_transactions_lose_nothing(db_target: DbTarget) -> None:
    first, second = await db_target.open(), await db_target.open()
    try:
        backoff = Backoff(base_s=60, max_s=600, disable_after=1000)
        feed = await FeedStore(first, backoff).add("https://a.example/feed", now=NOW)
        stores = [FeedStore(first, backoff), FeedStore(second, backoff)]

        async def fail_many(store: FeedStore) -> None:
            for _ in range(25):
                await store.record_failure(feed.id, now=NOW, error="HTTP 503")

        await asyncio.gather(*(fail_many(s) for s in stores for _ in range(2)))
        stored = await stores[1].get(feed.id)
        assert stored is not None
        assert stored.consecutive_failures == 100
    finally:
        await first.close()
        await second.close()


async def test_two_writers_storing_the_same_articles_store_each_once(db_target: DbTarget) -> None:
    first, second = await db_target.open(), await db_target.open()
    try:
        feed = await FeedStore(first).add("https://a.example/feed", now=NOW)
        batch = [
            Article(
                id=f"id{i}",
                url=f"https://news.example/{i}",
                title="t",
                text="x",
                outlet="A",
                published=NOW,
            )
            for i in range(300)
        ]
        results = await asyncio.gather(
            *(
                ArticleStore(db).add_many(batch, feed_id=feed.id, fetched_at=NOW)
                for db in (first, second, first, second)
            )
        )
        assert sum(len(r) for r in results) == 300
        assert await ArticleStore(second).count() == 300
    finally:
        await first.close()
        await second.close()


async def test_two_processes_adding_the_same_feed_get_one_row(db_target: DbTarget) -> None:
    first, second = await db_target.open(), await db_target.open()
    try:
        urls = [f"https://a.example/feed{i}" for i in range(20)]
        added = await asyncio.gather(
            *(
                FeedStore(db).add(url, now=NOW, exist_ok=True)
                for url in urls
                for db in (first, second)
            )
        )
        assert len({feed.id for feed in added}) == 20
        assert len(await FeedStore(second).list()) == 20
    finally:
        await first.close()
        await second.close()
