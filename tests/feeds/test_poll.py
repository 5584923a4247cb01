"""poll_feeds against a real HTTP server on 127.0.0.1, storing into SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import FetchSettings
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.feeds.poll import poll_feeds
from bot.store.articles import ArticleStore
from bot.store.db import Database
from bot.store.feeds import FeedStore
from tests.conftest import DbTarget
from tests.fakes.feed_server import FeedServer

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SETTINGS = FetchSettings(
    allow_private_addresses=True,  # the test server is on loopback
    timeout_s=5,
    backoff_base_s=60,
    backoff_max_s=3600,
    disable_after_failures=3,
)


def rss(title: str, items: list[tuple[str, str]]) -> bytes:
    """A small RSS 2.0 feed; items are (slug, headline)."""
    entries = "".join(
        f"<item><title>{headline}</title>"
        f"<link>https://news.example/{slug}?utm_source=rss</link>"
        f"<description>&lt;p&gt;{headline}, reported by {title}.&lt;/p&gt;</description>"
        f"<pubDate>Mon, 02 Mar 2026 08:{i:02d}:00 GMT</pubDate></item>"
        for i, (slug, headline) in enumerate(items)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://{title.lower().replace(' ', '')}.example/</link>{entries}</channel></rss>"
    ).encode()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(SETTINGS) as client:
        yield client


async def test_first_poll_is_a_baseline_and_a_304_stores_nothing(
    db: Database, server: FeedServer, fetcher: Fetcher, parser: ParserPool
) -> None:
    server.serve(
        "/a.xml",
        rss("Harbour Gazette", [("one", "Ferry resumes"), ("two", "Pier shut")]),
        etag='"v1"',
        last_modified="Mon, 02 Mar 2026 08:00:00 GMT",
    )
    feeds, articles = FeedStore(db), ArticleStore(db)
    feed = await feeds.add(server.url("/a.xml"), now=NOW)

    [first] = await poll_feeds(db, fetcher, parser, [feed.id], now=NOW, settings=SETTINGS)
    assert (first.status, first.new_articles) == ("new", 2)
    assert await articles.since(NOW - timedelta(days=1), include_baseline=False) == []
    assert (await feeds.get(feed.id)).outlet == "Harbour Gazette"  # type: ignore[union-attr]

    later = NOW + timedelta(hours=1)
    [second] = await poll_feeds(db, fetcher, parser, [feed.id], now=later, settings=SETTINGS)
    sent = server.requests_for("/a.xml")[-1].headers
    assert sent.get("If-None-Match") == '"v1"'
    assert sent.get("If-Modified-Since") == "Mon, 02 Mar 2026 08:00:00 GMT"
    assert (second.status, second.new_articles) == ("unchanged", 0)
    assert await articles.count() == 2


async def test_items_after_the_baseline_are_new_for_digests(
    db: Database, server: FeedServer, fetcher: Fetcher, parser: ParserPool
) -> None:
    server.serve("/a.xml", rss("Harbour Gazette", [("one", "Ferry resumes")]), etag='"v1"')
    feed = await FeedStore(db).add(server.url("/a.xml"), now=NOW)
    await poll_feeds(db, fetcher, parser, [feed.id], now=NOW, settings=SETTINGS)
    server.serve(
        "/a.xml",
        rss("Harbour Gazette", [("one", "Ferry resumes"), ("three", "Tolls cut")]),
        etag='"v2"',
    )
    later = NOW + timedelta(minutes=20)
    [outcome] = await poll_feeds(db, fetcher, parser, [feed.id], now=later, settings=SETTINGS)
    assert (outcome.status, outcome.new_articles) == ("new", 1)
    fresh = await ArticleStore(db).since(NOW - timedelta(days=1), include_baseline=False)
    assert [a.title for a in fresh] == ["Tolls cut"]
    assert fresh[0].url == "https://news.example/three"  # tracking parameter gone


async def test_the_same_story_in_two_feeds_is_stored_once(
    db: Database, server: FeedServer, fetcher: Fetcher, parser: ParserPool
) -> None:
    server.serve("/a.xml", rss("Harbour Gazette", [("bridge", "Bridge reopens"), ("a", "A only")]))
    server.serve("/b.xml", rss("Valley Courier", [("bridge", "Bridge back open"), ("b", "B only")]))
    feeds = FeedStore(db)
    a = await feeds.add(server.url("/a.xml"), now=NOW)
    b = await feeds.add(server.url("/b.xml"), now=NOW)
    outcomes = await poll_feeds(db, fetcher, parser, [a.id, b.id], now=NOW, settings=SETTINGS)
    assert sorted(o.new_articles for o in outcomes) == [1, 2]
    store = ArticleStore(db)
    assert await store.count() == 3
    [bridge] = [x for x in await store.since(NOW - timedelta(days=1)) if "bridge" in x.url]
    assert await store.feed_ids_of(bridge.id) == [a.id, b.id]


async def test_failures_back_off_then_disable_the_feed_with_its_reason(
    db: Database, server: FeedServer, fetcher: Fetcher, parser: ParserPool
) -> None:
    server.serve("/down.xml", b"oops", status=500)
    feeds = FeedStore(db)
    feed = await feeds.add(server.url("/down.xml"), now=NOW)
    moment, statuses, waits = NOW, [], []
    stored = None
    for _ in range(3):
        assert await feeds.due_feed_ids(moment) == [feed.id]
        [outcome] = await poll_feeds(db, fetcher, parser, [feed.id], now=moment, settings=SETTINGS)
        statuses.append(outcome.status)
        stored = await feeds.get(feed.id)
        assert stored is not None
        waits.append((stored.next_poll_at - moment).total_seconds())
        moment = stored.next_poll_at
    assert statuses == ["failed", "failed", "disabled"]
    assert waits == [60, 120, 240]
    assert stored is not None and stored.disabled and "500" in stored.disabled_reason
    assert "3 failures in a row" in outcome.error
    assert await feeds.due_feed_ids(moment + timedelta(days=365)) == []
    requests = len(server.requests_for("/down.xml"))
    [again] = await poll_feeds(db, fetcher, parser, [feed.id], now=moment, settings=SETTINGS)
    assert again.status == "disabled"
    assert len(server.requests_for("/down.xml")) == requests  # a disabled feed is not fetched


async def test_retry_after_holds_the_next_poll_back(
    db: Database, server: FeedServer, fetcher: Fetcher, parser: ParserPool
) -> None:
    server.serve("/busy.xml", b"slow down", status=429, headers={"Retry-After": "120"})
    feeds = FeedStore(db)
    feed = await feeds.add(server.url("/busy.xml"), now=NOW)
    [outcome] = await poll_feeds(db, fetcher, parser, [feed.id], now=NOW, settings=SETTINGS)
    assert outcome.status == "failed" and "429" in outcome.error
    assert await feeds.due_feed_ids(NOW + timedelta(seconds=119)) == []
    assert await feeds.due_feed_ids(NOW + timedelta(seconds=120)) == [feed.id]


async def test_one_broken_feed_does_not_stop_the_others(
    db: Database, server: FeedServer, fetcher: Fetcher, parser: ParserPool
) -> None:
    server.serve("/good.xml", rss("Harbour Gazette", [("ok", "Fine news")]))
    server.serve("/error.xml", b"", status=503)
    server.serve(
        "/page.html", b"<!doctype html><html><body>Hi</body></html>", content_type="text/html"
    )
    feeds = FeedStore(db)
    ids = [
        (await feeds.add(server.url(path), now=NOW)).id
        for path in ("/error.xml", "/page.html", "/good.xml")
    ]
    refused = await feeds.add("http://127.0.0.1:9/closed.xml", now=NOW)
    outcomes = await poll_feeds(db, fetcher, parser, [*ids, refused.id], now=NOW, settings=SETTINGS)
    by_id = {o.feed_id: o for o in outcomes}
    assert by_id[ids[2]].status == "new"
    assert by_id[ids[0]].status == "failed" and "503" in by_id[ids[0]].error
    assert by_id[ids[1]].status == "failed" and "HTML page" in by_id[ids[1]].error
    assert by_id[refused.id].status == "failed" and "connect" in by_id[refused.id].error
    assert await ArticleStore(db).count() == 1


async def test_restart_between_polls_stores_no_duplicates(
    db_target: DbTarget, server: FeedServer, fetcher: Fetcher, parser: ParserPool
) -> None:
    # No validators: the second poll downloads everything again and must still add nothing.
    server.serve("/a.xml", rss("Harbour Gazette", [(f"s{i}", f"Story {i}") for i in range(20)]))
    first = await db_target.open()
    feed = await FeedStore(first).add(server.url("/a.xml"), now=NOW)
    await poll_feeds(first, fetcher, parser, [feed.id], now=NOW, settings=SETTINGS)
    await first.close()

    second = await db_target.open()
    try:
        later = NOW + timedelta(hours=1)
        [outcome] = await poll_feeds(
            second, fetcher, parser, [feed.id], now=later, settings=SETTINGS
        )
        assert (outcome.status, outcome.new_articles) == ("unchanged", 0)
        assert await ArticleStore(second).count() == 20
    finally:
        await second.close()


async def test_local_files_only_for_operator_feeds(
    db: Database, tmp_path: Path, fetcher: Fetcher, parser: ParserPool
) -> None:
    path = tmp_path / "local.xml"
    path.write_bytes(rss("Local Ledger", [("l1", "Local item")]))
    feeds = FeedStore(db)
    operator = await feeds.add(str(path), now=NOW, origin="operator")
    user = await feeds.add(path.as_uri(), now=NOW, origin="user")
    outcomes = await poll_feeds(
        db, fetcher, parser, [operator.id, user.id], now=NOW, settings=SETTINGS
    )
    by_id = {o.feed_id: o for o in outcomes}
    assert by_id[operator.id].status == "new"
    assert by_id[user.id].status == "failed"
    assert "http://" in by_id[user.id].error


async def test_user_feeds_on_private_addresses_are_refused_before_connecting(
    db: Database, server: FeedServer, parser: ParserPool
) -> None:
    server.serve("/a.xml", rss("Harbour Gazette", [("one", "Ferry resumes")]))
    feed = await FeedStore(db).add(server.url("/a.xml"), now=NOW, origin="user")
    strict = FetchSettings(allow_private_addresses=False)
    async with Fetcher(strict) as guarded:
        [outcome] = await poll_feeds(db, guarded, parser, [feed.id], now=NOW, settings=strict)
    assert outcome.status == "failed" and "address" in outcome.error
    assert server.connections == 0


async def test_polls_in_worker_processes_too(
    db: Database, server: FeedServer, fetcher: Fetcher
) -> None:
    server.serve("/a.xml", rss("Harbour Gazette", [("one", "Ferry resumes")]))
    feed = await FeedStore(db).add(server.url("/a.xml"), now=NOW)
    async with ParserPool(1) as pool:
        [outcome] = await poll_feeds(db, fetcher, pool, [feed.id], now=NOW, settings=SETTINGS)
    assert (outcome.status, outcome.new_articles) == ("new", 1)


async def test_teaser_entries_get_the_linked_pages_text_when_enabled(
    db: Database, server: FeedServer, parser: ParserPool
) -> None:
    body = " ".join(
        f"The harbour authority said berth {n} would reopen after repairs to the quay wall."
        for n in range(12)
    )
    page = (
        "<html><head><title>Quay reopens</title></head><body><article><h1>Quay reopens</h1>"
        f"<p>{body}</p></article></body></html>"
    ).encode()
    server.serve("/story.html", page, content_type="text/html; charset=utf-8")
    link = server.url("/story.html")
    teaser = (
        '<rss version="2.0"><channel><title>Teaser Times</title>'
        "<item><title>Old item</title><link>https://news.example/old</link>"
        "<description>Old.</description></item>{new}</channel></rss>"
    )
    server.serve("/t.xml", teaser.format(new="").encode())
    settings = SETTINGS.model_copy(update={"full_text": True})
    feed = await FeedStore(db).add(server.url("/t.xml"), now=NOW)
    async with Fetcher(settings) as client:
        await poll_feeds(db, client, parser, [feed.id], now=NOW, settings=settings)
        new = (
            f"<item><title>Quay reopens</title><link>{link}</link>"
            "<description>Teaser.</description></item>"
        )
        server.serve("/t.xml", teaser.format(new=new).encode())
        later = NOW + timedelta(hours=1)
        await poll_feeds(db, client, parser, [feed.id], now=later, settings=settings)
    [story] = await ArticleStore(db).since(NOW - timedelta(days=1), include_baseline=False)
    assert "berth 11 would reopen" in story.text
    assert len(server.requests_for("/story.html")) == 1
