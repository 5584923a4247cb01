"""probe_and_store: a chat user's feed fetched once and stored with its baseline, or refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import FetchSettings
from bot.errors import BadInput, BlockedAddress, FeedError, NotAFeed
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.feeds.poll import poll_feeds
from bot.feeds.probe import OpmlListing, probe_and_store
from bot.store.articles import ArticleStore
from bot.store.db import Database
from bot.store.feeds import FeedStore
from tests.fakes.feed_server import FeedServer
from tests.feeds.test_poll import SETTINGS, rss

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
OPML = (
    b'<?xml version="1.0"?><opml version="2.0"><head><title>Local news</title></head><body>'
    b'<outline text="Harbour Gazette" xmlUrl="harbour.xml"/>'
    b'<outline text="Valley Courier" xmlUrl="https://courier.example/feed.xml"/>'
    b"</body></opml>"
)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(SETTINGS) as client:
        yield client


async def test_a_new_feed_is_stored_with_its_items_as_the_baseline(
    db: Database, server: FeedServer, fetcher: Fetcher, parser: ParserPool
) -> None:
    server.serve("/a.xml", rss("Harbour Gazette", [("one", "Ferry resumes")]), etag='"v1"')
    url = server.url("/a.xml")
    feed_id = await probe_and_store(db, fetcher, parser, url, now=NOW, settings=SETTINGS)

    feed = await FeedStore(db).get(feed_id)
    assert feed is not None and feed.origin == "user" and feed.baselined
    assert (feed.outlet, feed.etag, feed.health) == ("Harbour Gazette", '"v1"', "ok")
    assert feed.next_poll_at == NOW + timedelta(seconds=SETTINGS.poll_interval_s)
    articles = ArticleStore(db)
    assert await articles.count(feed_id=feed_id) == 1
    assert await articles.since(NOW - timedelta(days=1), include_baseline=False) == []

    # The next poll sends the validators the probe stored and finds only what is new.
    server.serve("/a.xml", rss("Harbour Gazette", [("one", "Ferry resumes"), ("two", "Tolls cut")]))
    later = NOW + timedelta(minutes=20)
    [outcome] = await poll_feeds(db, fetcher, parser, [feed_id], now=later, settings=SETTINGS)
    assert server.requests_for("/a.xml")[-1].headers.get("If-None-Match") == '"v1"'
    assert (outcome.status, outcome.new_articles) == ("new", 1)


async def test_a_feed_already_stored_is_not_fetched_again(
    db: Database, server: FeedServer, fetcher: Fetcher, parser: ParserPool
) -> None:
    server.serve("/a.xml", rss("Harbour Gazette", [("one", "Ferry resumes")]))
    url = server.url("/a.xml")
    first = await probe_and_store(db, fetcher, parser, url, now=NOW, settings=SETTINGS)
    second = await probe_and_store(db, fetcher, parser, url, now=NOW, settings=SETTINGS)
    assert first == second
    assert len(server.requests_for("/a.xml")) == 1
    assert len(await FeedStore(db).list()) == 1


async def test_a_page_that_is_no_feed_is_refused_and_nothing_is_stored(
    db: Database, server: FeedServer, fetcher: Fetcher, parser: ParserPool
) -> None:
    server.serve("/page", b"<html><body>Not a feed</body></html>", content_type="text/html")
    url = server.url("/page")
    with pytest.raises(NotAFeed, match="is not an RSS or Atom feed"):
        await probe_and_store(db, fetcher, parser, url, now=NOW, settings=SETTINGS)
    assert await FeedStore(db).list() == []


async def test_an_unreachable_feed_is_named_in_the_refusal(
    db: Database, server: FeedServer, fetcher: Fetcher, parser: ParserPool
) -> None:
    server.serve("/gone.xml", b"", status=404)
    with pytest.raises(FeedError, match="could not be fetched"):
        await probe_and_store(
            db, fetcher, parser, server.url("/gone.xml"), now=NOW, settings=SETTINGS
        )
    assert await FeedStore(db).list() == []


async def test_an_opml_file_comes_back_as_its_list_of_feeds(
    db: Database, server: FeedServer, fetcher: Fetcher, parser: ParserPool
) -> None:
    server.serve("/news.opml", OPML, content_type="text/x-opml")
    found = await probe_and_store(
        db, fetcher, parser, server.url("/news.opml"), now=NOW, settings=SETTINGS
    )
    assert isinstance(found, OpmlListing)
    assert [feed.title for feed in found.feeds] == ["Harbour Gazette", "Valley Courier"]
    assert await FeedStore(db).list() == []


async def test_private_addresses_are_refused_before_anything_is_fetched(
    db: Database, server: FeedServer, parser: ParserPool
) -> None:
    server.serve("/a.xml", rss("Harbour Gazette", [("one", "Ferry resumes")]))
    guarded = FetchSettings(timeout_s=5)
    async with Fetcher(guarded) as fetcher:
        with pytest.raises(BlockedAddress):
            await probe_and_store(
                db, fetcher, parser, server.url("/a.xml"), now=NOW, settings=guarded
            )
    assert server.requests_for("/a.xml") == []


async def test_an_operator_file_feed_is_not_offered_to_chat(
    db: Database, fetcher: Fetcher, parser: ParserPool
) -> None:
    await FeedStore(db).add("/srv/feeds/local.xml", now=NOW)
    with pytest.raises(BadInput, match="http:// or https://"):
        await probe_and_store(
            db, fetcher, parser, "/srv/feeds/local.xml", now=NOW, settings=SETTINGS
        )
