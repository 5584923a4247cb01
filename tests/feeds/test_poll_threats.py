"""THREATS.md rows through poll_feeds: SSRF refused on every poll; a gzip bomb is a failure.

The feeds are stored directly, as a feed added before a rule change (or by hand in the
database) would be: nothing checked them on the way in, so only the poll can refuse them.
"""

from __future__ import annotations

import socket
import tracemalloc
import zlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.config import FetchSettings
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.feeds.poll import poll_feeds
from bot.store.articles import ArticleStore
from bot.store.db import Database
from bot.store.feeds import FeedStore
from tests.fakes.feed_server import FeedServer
from tests.feeds.samples import rss

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MIB = 1024 * 1024
GUARDED = FetchSettings(timeout_s=5)  # the production guard: private addresses refused
LOOPBACK = FetchSettings(allow_private_addresses=True, timeout_s=5)


def ipv6_loopback_works() -> bool:
    """True when this machine can listen on ::1 (some containers have no IPv6)."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


IPV6 = ipv6_loopback_works()
# PORT is the listener's port. Nothing listens at the last two; the port keeps a broken
# guard from ever sending a request to a real metadata service on port 80.
LOOPBACK_URLS = [
    "http://127.0.0.1:PORT/feed.xml",
    "http://[::ffff:127.0.0.1]:PORT/feed.xml",  # IPv4-mapped: reaches the 127.0.0.1 socket
    "http://[::1]:PORT/feed.xml",
]
PRIVATE_URLS = [
    *LOOPBACK_URLS,
    "http://169.254.169.254:PORT/latest/meta-data/",
    "http://100.64.0.1:PORT/feed.xml",
]


@pytest.fixture
async def listener() -> AsyncIterator[FeedServer]:
    """A working feed on 127.0.0.1 and, when possible, ::1 (same port): it counts connections."""
    hosts = ("127.0.0.1", "::1") if IPV6 else ("127.0.0.1",)
    async with FeedServer(hosts=hosts) as server:
        server.serve("/feed.xml", rss(3))
        yield server


@pytest.mark.parametrize("template", PRIVATE_URLS)
async def test_a_stored_feed_on_a_private_address_is_refused_on_every_poll(
    db: Database, listener: FeedServer, parser: ParserPool, template: str
) -> None:
    url = template.replace("PORT", str(listener.port))
    feeds = FeedStore(db)
    feed = await feeds.add(url, now=NOW, origin="user")
    moment = NOW
    async with Fetcher(GUARDED) as fetcher:
        for poll in (1, 2):
            assert await feeds.due_feed_ids(moment) == [feed.id]
            [outcome] = await poll_feeds(
                db, fetcher, parser, [feed.id], now=moment, settings=GUARDED
            )
            assert outcome.status == "failed"
            assert "only public addresses can be fetched" in outcome.error
            stored = await feeds.get(feed.id)
            assert stored is not None
            assert (stored.last_status, stored.last_error) == ("failed", outcome.error)
            assert stored.consecutive_failures == poll
            assert stored.next_poll_at > moment
            moment = stored.next_poll_at
    assert listener.connections == 0
    assert await ArticleStore(db).count() == 0


@pytest.mark.parametrize("template", LOOPBACK_URLS)
async def test_the_listener_would_be_reached_without_the_guard(
    db: Database, listener: FeedServer, parser: ParserPool, template: str
) -> None:
    # The control for the test above: its "0 connections" means the guard stopped them.
    if "[::1]" in template and not IPV6:
        pytest.skip("no IPv6 loopback on this machine")
    feed = await FeedStore(db).add(template.replace("PORT", str(listener.port)), now=NOW)
    async with Fetcher(LOOPBACK) as fetcher:
        [outcome] = await poll_feeds(db, fetcher, parser, [feed.id], now=NOW, settings=LOOPBACK)
    assert outcome.status == "new"
    assert listener.connections == 1


def gzip_bomb_feed() -> bytes:
    """About 200 KB of gzip: a valid feed with one item, padded to 200 MiB with spaces."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    head, tail = rss(1).split(b"</channel>")
    padding = b" " * MIB
    parts = [packer.compress(head), *(packer.compress(padding) for _ in range(200))]
    return b"".join([*parts, packer.compress(b"</channel>" + tail), packer.flush()])


async def test_a_gzip_bomb_is_a_feed_failure_and_stores_nothing(
    db: Database, feed_server: FeedServer, parser: ParserPool
) -> None:
    bomb = gzip_bomb_feed()
    assert len(bomb) < 300_000
    feed_server.serve("/bomb.xml", bomb, headers={"Content-Encoding": "gzip"})
    feeds = FeedStore(db)
    feed = await feeds.add(feed_server.url("/bomb.xml"), now=NOW, origin="user")
    async with Fetcher(LOOPBACK) as fetcher:
        tracemalloc.start()
        try:
            [outcome] = await poll_feeds(db, fetcher, parser, [feed.id], now=NOW, settings=LOOPBACK)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert outcome.status == "failed"
    assert "larger than 15 MiB after decompression" in outcome.error
    stored = await feeds.get(feed.id)
    assert stored is not None
    assert (stored.last_status, stored.consecutive_failures) == ("failed", 1)
    assert stored.last_error == outcome.error
    assert await ArticleStore(db).count() == 0
    assert peak < 64 * MIB  # never anywhere near the 200 MiB the bomb expands to
