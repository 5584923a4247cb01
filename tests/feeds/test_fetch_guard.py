"""SSRF through the fetcher: refused before any connection, after redirects and rebinding.

The loopback feed server stands in for every internal service an attacker might aim at;
`server.connections == 0` proves the guard stopped the fetch before a TCP connection.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import FetchSettings
from bot.errors import BadInput, BlockedAddress, FeedError
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import parse_feed
from tests.fakes.feed_server import FeedServer, MappedResolver
from tests.feeds.conftest import public_or_stand_in
from tests.feeds.samples import NOW, rss

SECRET = b"internal-admin-panel"


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "[::ffff:127.0.0.1]",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "localhost",
        "[::1]",
    ],
)
async def test_direct_ssrf_forms_make_no_connection(
    feed_server: FeedServer, guarded_settings: FetchSettings, host: str
) -> None:
    feed_server.serve("/admin", SECRET)
    async with Fetcher(guarded_settings) as fetcher:
        with pytest.raises(BlockedAddress):
            await fetcher.fetch(f"http://{host}:{feed_server.port}/admin")
    assert feed_server.connections == 0


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/", "http://[fe80::1]/"]
)
async def test_metadata_cgnat_and_link_local_are_refused(
    guarded_settings: FetchSettings, url: str
) -> None:
    async with Fetcher(guarded_settings) as fetcher:
        with pytest.raises(BlockedAddress):
            await fetcher.fetch(url)


async def test_a_name_resolving_to_loopback_makes_no_connection(
    feed_server: FeedServer, guarded_settings: FetchSettings
) -> None:
    feed_server.serve("/admin", SECRET)
    resolver = MappedResolver({"innocent.test": ["127.0.0.1"]})
    async with Fetcher(guarded_settings, resolver=resolver) as fetcher:
        with pytest.raises(BlockedAddress, match=r"innocent\.test"):
            await fetcher.fetch(feed_server.url("/admin", host="innocent.test"))
    assert resolver.calls == ["innocent.test"]
    assert feed_server.connections == 0


@pytest.mark.parametrize(
    "target", ["http://127.0.0.1:{port}/admin", "http://intranet.test:{port}/admin"]
)
async def test_redirect_to_loopback_is_refused_at_the_hop(
    feed_server: FeedServer, guarded_settings: FetchSettings, target: str
) -> None:
    feed_server.serve("/admin", SECRET)
    feed_server.serve("/feed", redirect_to=target.format(port=feed_server.port))
    resolver = MappedResolver({"news.test": ["127.0.0.2"], "intranet.test": ["127.0.0.1"]})
    async with Fetcher(guarded_settings, resolver=resolver, is_public=public_or_stand_in) as f:
        with pytest.raises(BlockedAddress):
            await f.fetch(feed_server.url("/feed", host="news.test"))
    assert len(feed_server.requests_for("/feed")) == 1  # the "public" host was reached
    assert feed_server.requests_for("/admin") == []
    assert {r.local_address for r in feed_server.requests} == {"127.0.0.2"}


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://example.com/x", "gopher://x/"])
async def test_redirect_to_another_scheme_is_a_feed_failure(
    feed_server: FeedServer, loopback_settings: FetchSettings, target: str
) -> None:
    feed_server.serve("/feed", redirect_to=target)
    async with Fetcher(loopback_settings) as fetcher:
        with pytest.raises(FeedError, match="redirected somewhere it may not"):
            await fetcher.fetch(feed_server.url("/feed"))


async def test_dns_rebinding_is_checked_on_the_address_connected_to(
    feed_server: FeedServer, guarded_settings: FetchSettings
) -> None:
    feed_server.serve("/feed", rss(1))
    # The attacker's DNS answers a public address first, loopback on every later lookup.
    resolver = MappedResolver({"rebind.test": [["127.0.0.2"], ["127.0.0.1"]]})
    url = feed_server.url("/feed", host="rebind.test")
    async with Fetcher(guarded_settings, resolver=resolver, is_public=public_or_stand_in) as f:
        assert (await f.fetch(url)).status == 200
    async with Fetcher(guarded_settings, resolver=resolver, is_public=public_or_stand_in) as f:
        with pytest.raises(BlockedAddress):
            await f.fetch(url)
    assert [r.local_address for r in feed_server.requests] == ["127.0.0.2"]


async def test_mixed_answers_connect_only_to_the_public_address(
    feed_server: FeedServer, guarded_settings: FetchSettings
) -> None:
    feed_server.serve("/feed", rss(1))
    resolver = MappedResolver({"mixed.test": ["127.0.0.1", "127.0.0.2"]})
    async with Fetcher(guarded_settings, resolver=resolver, is_public=public_or_stand_in) as f:
        for _ in range(3):
            await f.fetch(feed_server.url("/feed", host="mixed.test"))
    assert {r.local_address for r in feed_server.requests} == {"127.0.0.2"}


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "/etc/passwd", "ftp://example.com/feed", "feed://example.com/rss"]
)
async def test_users_cannot_fetch_other_schemes(loopback_settings: FetchSettings, url: str) -> None:
    async with Fetcher(loopback_settings) as fetcher:
        with pytest.raises(BadInput):
            await fetcher.fetch(url)


async def test_a_body_naming_a_local_file_reads_nothing_local(
    feed_server: FeedServer, loopback_settings: FetchSettings, tmp_path: Path
) -> None:
    local = tmp_path / "private-feed.xml"
    local.write_bytes(rss(1, title="Local secret outlet"))
    for body in (b"/etc/hostname", str(local).encode()):
        feed_server.serve("/feed", body)
        async with Fetcher(loopback_settings) as fetcher:
            result = await fetcher.fetch(feed_server.url("/feed"))
        assert result.body == body
        with pytest.raises(FeedError) as refused:
            parse_feed(result.body, url=result.final_url, headers=result.headers, fetched_at=NOW)
        assert "secret" not in str(refused.value).lower()
