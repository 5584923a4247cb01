"""probe_and_store: a chat user's feed fetched once and stored with its baseline, or refused."""

from __future__ import annotations

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


async def probe(
    db: Database, parser: ParserPool, url: str, settings: FetchSettings = SETTINGS
) -> int | OpmlListing:
    """`probe_and_store` with a fetcher of its own, as `App.add_feed` runs it."""
    async with Fetcher(settings) as fetcher:
        return await probe_and_store(db, fetcher, parser, url, now=NOW, settings=settings)


async def test_a_new_feed_is_stored_with_its_items_as_the_baseline(
    db: Database, feed_server: FeedServer, parser: ParserPool
) -> None:
    feed_server.serve("/a.xml", rss("Harbour Gazette", [("one", "Ferry resumes")]), etag='"v1"')
    url = feed_server.url("/a.xml")
    feed_id = await probe(db, parser, url)
    assert isinstance(feed_id, int)

    feed = await FeedStore(db).get(feed_id)
    assert feed is not None and feed.origin == "user" and feed.baselined
    assert (feed.outlet, feed.etag, feed.health) == ("Harbour Gazette", '"v1"', "ok")
    assert feed.next_poll_at == NOW + timedelta(seconds=SETTINGS.poll_interval_s)
    articles = ArticleStore(db)
    assert await articles.count(feed_id=feed_id) == 1
    assert await articles.since(NOW - timedelta(days=1), include_baseline=False) == []

    # The next poll sends the validators the probe stored and finds only what is new.
    feed_server.serve(
        "/a.xml", rss("Harbour Gazette", [("one", "Ferry resumes"), ("two", "Tolls cut")])
    )
    later = NOW + timedelta(minutes=20)
    async with Fetcher(SETTINGS) as fetcher:
        [outcome] = await poll_feeds(db, fetcher, parser, [feed_id], now=later, settings=SETTINGS)
    assert feed_server.requests_for("/a.xml")[-1].headers.get("If-None-Match") == '"v1"'
    assert (outcome.status, outcome.new_articles) == ("new", 1)


async def test_a_feed_already_stored_is_not_fetched_again(
    db: Database, feed_server: FeedServer, parser: ParserPool
) -> None:
    feed_server.serve("/a.xml", rss("Harbour Gazette", [("one", "Ferry resumes")]))
    url = feed_server.url("/a.xml")
    first = await probe(db, parser, url)
    second = await probe(db, parser, url)
    assert first == second
    assert len(feed_server.requests_for("/a.xml")) == 1
    assert len(await FeedStore(db).list()) == 1


async def test_a_page_that_is_no_feed_is_refused_and_nothing_is_stored(
    db: Database, feed_server: FeedServer, parser: ParserPool
) -> None:
    feed_server.serve("/page", b"<html><body>Not a feed</body></html>", content_type="text/html")
    url = feed_server.url("/page")
    with pytest.raises(NotAFeed, match="is not an RSS or Atom feed"):
        await probe(db, parser, url)
    assert await FeedStore(db).list() == []


async def test_an_unreachable_feed_is_named_in_the_refusal(
    db: Database, feed_server: FeedServer, parser: ParserPool
) -> None:
    feed_server.serve("/gone.xml", b"", status=404)
    with pytest.raises(FeedError, match="could not be fetched"):
        await probe(db, parser, feed_server.url("/gone.xml"))
    assert await FeedStore(db).list() == []


async def test_an_opml_file_comes_back_as_its_list_of_feeds(
    db: Database, feed_server: FeedServer, parser: ParserPool
) -> None:
    feed_server.serve("/news.opml", OPML, content_type="text/x-opml")
    found = await probe(db, parser, feed_server.url("/news.opml"))
    assert isinstance(found, OpmlListing)
    assert [feed.title for feed in found.feeds] == ["Harbour Gazette", "Valley Courier"]
    assert await FeedStore(db).list() == []


async def test_private_addresses_are_refused_before_anything_is_fetched(
    db: Database, feed_server: FeedServer, parser: ParserPool
) -> None:
    feed_server.serve("/a.xml", rss("Harbour Gazette", [("one", "Ferry resumes")]))
    guarded = FetchSettings(timeout_s=5)
    with pytest.raises(BlockedAddress):
        await probe(db, parser, feed_server.url("/a.xml"), guarded)
    assert feed_server.requests_for("/a.xml") == []


async def test_an_operator_file_feed_is_not_offered_to_chat(
    db: Database, parser: ParserPool
) -> None:
    await FeedStore(db).add("/srv/feeds/local.xml", now=NOW)
    with pytest.raises(BadInput, match="http:// or https://"):
        await probe(db, parser, "/srv/feeds/local.xml")
