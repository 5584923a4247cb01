"""The fetcher against a real loopback server: validators, limits, redirects, errors."""

from __future__ import annotations

import asyncio
import email.utils
import gzip
import os
import time
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import FetchSettings
from bot.errors import FeedError
from bot.feeds.fetch import Fetcher, parse_retry_after
from tests.fakes.feed_server import FeedServer, MappedResolver
from tests.feeds.samples import rss

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """About 200 KB of gzip that expands to 200 MiB of zeros."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(MIB)
    return b"".join(packer.compress(zeros) for _ in range(200)) + packer.flush()


async def test_conditional_get_sends_validators_and_304_means_nothing_new(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    stamp = "Wed, 25 Nov 2026 06:00:00 GMT"
    feed_server.serve("/feed", rss(3), etag='"v1"', last_modified=stamp)
    async with Fetcher(loopback_settings) as fetcher:
        first = await fetcher.fetch(feed_server.url("/feed"))
        second = await fetcher.fetch(
            feed_server.url("/feed"), etag=first.etag, last_modified=first.last_modified
        )
    assert (first.status, first.etag, first.last_modified) == (200, '"v1"', stamp)
    assert b"Harbour story 2" in first.body and not first.not_modified
    assert second.not_modified and second.status == 304 and second.body == b""
    assert (second.etag, second.last_modified) == ('"v1"', stamp)
    sent = feed_server.requests_for("/feed")[1].headers
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == stamp


async def test_the_first_fetch_sends_no_validators_and_names_the_project(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/feed", rss(1))
    async with Fetcher(loopback_settings) as fetcher:
        await fetcher.fetch(feed_server.url("/feed"))
    headers = feed_server.requests_for("/feed")[0].headers
    assert "If-None-Match" not in headers and "If-Modified-Since" not in headers
    assert headers["User-Agent"] == loopback_settings.user_agent
    assert "newsbot" in headers["User-Agent"]


async def test_a_changed_feed_is_fetched_again(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/feed", rss(1), etag='"v1"')
    async with Fetcher(loopback_settings) as fetcher:
        await fetcher.fetch(feed_server.url("/feed"))
        feed_server.serve("/feed", rss(2), etag='"v2"')
        again = await fetcher.fetch(feed_server.url("/feed"), etag='"v1"')
    assert again.status == 200 and again.etag == '"v2"' and b"Harbour story 1" in again.body


async def test_gzip_bodies_are_decompressed(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/feed", rss(20), gzip=True)
    async with Fetcher(loopback_settings) as fetcher:
        result = await fetcher.fetch(feed_server.url("/feed"))
    assert result.body == rss(20)
    assert "gzip" in feed_server.requests_for("/feed")[0].headers["Accept-Encoding"]


async def test_a_gzip_bomb_is_stopped_at_the_cap_in_bounded_memory(
    feed_server: FeedServer, loopback_settings: FetchSettings, gzip_bomb: bytes
) -> None:
    assert len(gzip_bomb) < 300_000
    feed_server.serve("/bomb", gzip_bomb, headers={"Content-Encoding": "gzip"})
    async with Fetcher(loopback_settings) as fetcher:
        tracemalloc.start()
        try:
            with pytest.raises(FeedError, match="larger than 15 MiB after decompression"):
                await fetcher.fetch(feed_server.url("/bomb"))
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert peak < 64 * MIB  # never anywhere near the 200 MiB the bomb expands to


async def test_a_huge_body_without_length_is_cut_off_while_streaming(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/huge", b"<item>padding</item>", stream_bytes=100_000_000)
    settings = loopback_settings.model_copy(update={"max_bytes": 2 * MIB})
    started = time.monotonic()
    async with Fetcher(settings) as fetcher:
        with pytest.raises(FeedError, match="larger than 2 MiB"):
            await fetcher.fetch(feed_server.url("/huge"))
    assert time.monotonic() - started < 3


async def test_an_endless_body_is_cut_off(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/endless", b"<item/>", forever=True)
    settings = loopback_settings.model_copy(update={"max_bytes": MIB})
    async with Fetcher(settings) as fetcher:
        with pytest.raises(FeedError, match="larger than 1 MiB"):
            await fetcher.fetch(feed_server.url("/endless"))


async def test_a_declared_length_over_the_cap_is_refused_before_reading(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/big", bytes(2 * MIB))
    settings = loopback_settings.model_copy(update={"max_bytes": MIB})
    async with Fetcher(settings) as fetcher:
        with pytest.raises(FeedError, match="larger than 1 MiB"):
            await fetcher.fetch(feed_server.url("/big"))


async def test_a_slow_body_hits_the_total_deadline_not_a_per_read_timeout(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    # Every byte arrives well within the deadline; only a deadline over the whole body stops it.
    feed_server.serve("/slow", rss(1), trickle_s=0.2)
    settings = loopback_settings.model_copy(update={"timeout_s": 1.0})
    started = time.monotonic()
    async with Fetcher(settings) as fetcher:
        with pytest.raises(FeedError, match="no complete answer within 1 s"):
            await fetcher.fetch(feed_server.url("/slow"))
    assert time.monotonic() - started < 2.5


async def test_a_server_that_never_answers_hits_the_deadline(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/hang", rss(1), delay_s=30)
    settings = loopback_settings.model_copy(update={"timeout_s": 0.5})
    async with Fetcher(settings) as fetcher:
        with pytest.raises(FeedError, match=r"within 0\.5 s"):
            await fetcher.fetch(feed_server.url("/hang"))


async def test_redirects_are_followed_up_to_the_limit(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/feed", rss(1))
    for hop in range(6):  # /r0 -> /r1 -> ... -> /r5 -> /feed, relative and absolute
        nxt = "/feed" if hop == 5 else f"/r{hop + 1}"
        target = nxt if hop % 2 else feed_server.url(nxt)
        feed_server.serve(f"/r{hop}", redirect_to=target, status=301 + hop % 2 * 6)
    async with Fetcher(loopback_settings) as fetcher:
        five = await fetcher.fetch(feed_server.url("/r1"))
        with pytest.raises(FeedError, match="redirected more than 5 times"):
            await fetcher.fetch(feed_server.url("/r0"))
    assert five.status == 200 and five.final_url == feed_server.url("/feed")


async def test_redirects_obey_a_lower_limit(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/feed", rss(1))
    feed_server.serve("/old", redirect_to="/feed")
    settings = loopback_settings.model_copy(update={"max_redirects": 0})
    async with Fetcher(settings) as fetcher:
        with pytest.raises(FeedError, match="more than 0 times"):
            await fetcher.fetch(feed_server.url("/old"))


async def test_429_with_retry_after_seconds(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/feed", status=429, headers={"Retry-After": "120"})
    async with Fetcher(loopback_settings) as fetcher:
        with pytest.raises(FeedError) as failed:
            await fetcher.fetch(feed_server.url("/feed"))
    assert failed.value.retry_after_s == 120
    assert str(failed.value) == "the feed server answered 429 Too Many Requests."


async def test_503_with_retry_after_date(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    later = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    feed_server.serve("/feed", status=503, headers={"Retry-After": later})
    async with Fetcher(loopback_settings) as fetcher:
        with pytest.raises(FeedError) as failed:
            await fetcher.fetch(feed_server.url("/feed"))
    assert failed.value.retry_after_s is not None
    assert 80 <= failed.value.retry_after_s <= 91


def test_retry_after_forms() -> None:
    now = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    assert parse_retry_after("30") == 30
    assert parse_retry_after("Thu, 26 Nov 2026 09:02:00 GMT", now) == 120
    assert parse_retry_after("Thu, 26 Nov 2026 08:00:00 GMT", now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


async def test_server_errors_are_one_clear_sentence_without_credentials(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/feed", status=500)
    url = f"http://reader:t0ps3cret@127.0.0.1:{feed_server.port}/feed"
    async with Fetcher(loopback_settings) as fetcher:
        with pytest.raises(FeedError) as failed:
            await fetcher.fetch(url)
    assert str(failed.value) == "the feed server answered 500 Internal Server Error."
    assert failed.value.retry_after_s is None
    assert feed_server.requests_for("/feed")[0].headers["Authorization"].startswith("Basic ")


async def test_connection_refused_is_a_feed_error_without_credentials(
    loopback_settings: FetchSettings,
) -> None:
    async with Fetcher(loopback_settings) as fetcher:
        with pytest.raises(FeedError, match=r"could not connect to 127\.0\.0\.1") as failed:
            await fetcher.fetch("http://reader:t0ps3cret@127.0.0.1:9/feed")
    assert "t0ps3cret" not in str(failed.value)


async def test_unasked_compression_is_refused(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/feed", b"\x00\x01", headers={"Content-Encoding": "br"})
    async with Fetcher(loopback_settings) as fetcher:
        with pytest.raises(FeedError, match="compression we did not ask for"):
            await fetcher.fetch(feed_server.url("/feed"))


async def test_corrupt_gzip_is_a_feed_error(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    broken = gzip.compress(rss(5))[:40] + b"garbage" * 10
    feed_server.serve("/feed", broken, headers={"Content-Encoding": "gzip"})
    async with Fetcher(loopback_settings) as fetcher:
        with pytest.raises(FeedError, match="corrupt"):
            await fetcher.fetch(feed_server.url("/feed"))


async def test_per_host_connection_limit(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/feed", rss(1), delay_s=0.2)
    settings = loopback_settings.model_copy(update={"per_host_connections": 2})
    started = time.monotonic()
    async with Fetcher(settings) as fetcher:
        await asyncio.gather(*(fetcher.fetch(feed_server.url("/feed")) for _ in range(6)))
    assert time.monotonic() - started >= 0.55  # three rounds of two
    assert feed_server.connections <= 2


async def test_operator_files_are_read_with_the_cap_and_mtime_validator(
    tmp_path: Path, loopback_settings: FetchSettings
) -> None:
    feed = tmp_path / "seed.xml"
    feed.write_bytes(rss(2))
    async with Fetcher(loopback_settings) as fetcher:
        by_path = await fetcher.fetch(str(feed), allow_file=True)
        by_url = await fetcher.fetch(feed.as_uri(), allow_file=True)
        again = await fetcher.fetch(str(feed), allow_file=True, last_modified=by_path.last_modified)
        os.utime(feed, (time.time() + 60, time.time() + 60))
        changed = await fetcher.fetch(
            str(feed), allow_file=True, last_modified=by_path.last_modified
        )
    assert by_path.body == by_url.body == rss(2)
    assert again.not_modified and not changed.not_modified


async def test_operator_file_limits_and_absence(
    tmp_path: Path, loopback_settings: FetchSettings
) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(bytes(MIB + 10))
    settings = loopback_settings.model_copy(update={"max_bytes": MIB})
    async with Fetcher(settings) as fetcher:
        with pytest.raises(FeedError, match="larger than 1 MiB"):
            await fetcher.fetch(str(big), allow_file=True)
        with pytest.raises(FeedError, match="does not exist"):
            await fetcher.fetch(str(tmp_path / "missing.xml"), allow_file=True)


async def test_waiting_for_a_free_connection_does_not_count_against_the_deadline(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/feed", rss(1), delay_s=0.4)
    settings = loopback_settings.model_copy(update={"per_host_connections": 1, "timeout_s": 1.0})
    async with Fetcher(settings) as fetcher:
        results = await asyncio.gather(*(fetcher.fetch(feed_server.url("/feed")) for _ in range(4)))
    assert [r.status for r in results] == [200] * 4  # 1.6 s in all, each well under 1 s


async def test_multi_member_gzip_and_trailing_padding_are_read(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    body = rss(30)
    half = len(body) // 2
    packed = gzip.compress(body[:half]) + gzip.compress(body[half:]) + b"\x00" * 16
    feed_server.serve("/feed", packed, headers={"Content-Encoding": "gzip"})
    async with Fetcher(loopback_settings) as fetcher:
        result = await fetcher.fetch(feed_server.url("/feed"))
    assert result.body == body


async def test_an_unknown_host_is_a_clear_feed_error(loopback_settings: FetchSettings) -> None:
    resolver = MappedResolver({})
    async with Fetcher(loopback_settings, resolver=resolver) as fetcher:
        with pytest.raises(FeedError, match=r"the host gone\.example could not be found"):
            await fetcher.fetch("https://gone.example/feed.xml")


async def test_a_feed_that_is_gone_says_so(
    feed_server: FeedServer, loopback_settings: FetchSettings
) -> None:
    feed_server.serve("/feed", status=410)
    async with Fetcher(loopback_settings) as fetcher:
        with pytest.raises(FeedError, match="answered 410 Gone"):
            await fetcher.fetch(feed_server.url("/feed"))
