"""ArticleStore on SQLite and PostgreSQL: dedup by canonical URL across feeds, time queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import Article
from bot.store.articles import ArticleStore
from bot.store.db import Database
from bot.store.feeds import FeedStore

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def article(slug: str, *, hours_ago: float = 1, outlet: str = "A Times") -> Article:
    return Article(
        id=f"id-{slug}",
        url=f"https://news.example/{slug}",
        title=f"Title {slug}",
        text=f"Text of {slug}.",
        outlet=outlet,
        published=NOW - timedelta(hours=hours_ago),
    )


async def two_feeds(db: Database) -> tuple[int, int]:
    feeds = FeedStore(db)
    first = await feeds.add("https://a.example/feed", now=NOW, outlet="A Times")
    second = await feeds.add("https://b.example/feed", now=NOW, outlet="B Post")
    return first.id, second.id


async def test_same_story_from_two_feeds_is_stored_once_and_linked_to_both(db: Database) -> None:
    a, b = await two_feeds(db)
    store = ArticleStore(db)
    new_a = await store.add_many([article("bridge"), article("port")], feed_id=a, fetched_at=NOW)
    new_b = await store.add_many(
        [article("bridge", outlet="B Post"), article("rail")], feed_id=b, fetched_at=NOW
    )
    assert [x.url for x in new_a] == ["https://news.example/bridge", "https://news.example/port"]
    assert [x.url for x in new_b] == ["https://news.example/rail"]
    assert await store.count() == 3
    assert await store.count(feed_id=b) == 2
    assert await store.feed_ids_of("id-bridge") == [a, b]
    carried_by_b = await store.since(NOW - timedelta(days=1), feed_ids=[b])
    assert sorted(x.url for x in carried_by_b) == [
        "https://news.example/bridge",
        "https://news.example/rail",
    ]


async def test_storing_the_same_batch_again_adds_nothing(db: Database) -> None:
    a, _ = await two_feeds(db)
    store = ArticleStore(db)
    batch = [article("one"), article("two"), article("one")]
    assert len(await store.add_many(batch, feed_id=a, fetched_at=NOW)) == 2
    assert await store.add_many(batch, feed_id=a, fetched_at=NOW) == []
    assert await store.count() == 2


async def test_since_filters_by_time_and_baseline_newest_first(db: Database) -> None:
    a, _ = await two_feeds(db)
    store = ArticleStore(db)
    await store.add_many([article("old", hours_ago=50)], feed_id=a, fetched_at=NOW, baseline=True)
    await store.add_many(
        [article("new", hours_ago=2), article("newer", hours_ago=1)], feed_id=a, fetched_at=NOW
    )
    day_ago = NOW - timedelta(hours=24)
    assert [x.url.rsplit("/", 1)[1] for x in await store.since(day_ago)] == ["newer", "new"]
    everything = await store.since(NOW - timedelta(days=7), include_baseline=False)
    assert [x.url.rsplit("/", 1)[1] for x in everything] == ["newer", "new"]
    with_baseline = await store.since(NOW - timedelta(days=7), limit=10)
    assert len(with_baseline) == 3
    assert len(await store.since(NOW - timedelta(days=7), limit=1)) == 1


async def test_articles_come_back_as_stored_with_utc_times_and_feed_url(db: Database) -> None:
    a, _ = await two_feeds(db)
    store = ArticleStore(db)
    original = article("x")
    await store.add_many([original], feed_id=a, fetched_at=NOW)
    [stored] = await store.get(["id-x", "id-unknown"])
    assert (stored.id, stored.url, stored.title, stored.text, stored.outlet) == (
        original.id,
        original.url,
        original.title,
        original.text,
        original.outlet,
    )
    assert stored.published == original.published
    assert stored.published.tzinfo is not None
    assert stored.fetched == NOW
    assert stored.feed_url == "https://a.example/feed"


async def test_removing_a_feed_keeps_its_articles(db: Database) -> None:
    a, _ = await two_feeds(db)
    store = ArticleStore(db)
    await store.add_many([article("kept")], feed_id=a, fetched_at=NOW)
    assert await FeedStore(db).remove(a)
    [kept] = await store.get(["id-kept"])
    assert kept.feed_url == ""
    assert await store.feed_ids_of("id-kept") == []


async def test_large_batches_are_stored_whole(db: Database) -> None:
    a, _ = await two_feeds(db)
    store = ArticleStore(db)
    batch = [article(f"n{i}", hours_ago=i / 100) for i in range(1200)]
    assert len(await store.add_many(batch, feed_id=a, fetched_at=NOW)) == 1200
    assert await store.count(feed_id=a) == 1200
