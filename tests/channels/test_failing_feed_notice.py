"""THREATS.md "feed keeps failing", end to end through scheduler ticks.

A feed a channel follows answers 500 on every poll, or its host name stops resolving
(NXDOMAIN). Each tick polls it only when its backoff has run out, each wait longer than the
last; after the configured number of failures the feed is disabled and the channel gets one
notice naming the feed and the reason. A disabled feed is never fetched again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from bot.app import App
from bot.config import Settings
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.models import ChannelRef
from bot.store import channels as channel_store
from bot.store.db import Database
from tests.channels.helpers import Clock, RecordingPoster, add_channel
from tests.fakes.feed_server import FeedServer, MappedResolver

# The shipped backoff and threshold (300 s doubling, disabled after 10 failures in a row).
SETTINGS = Settings(
    fetch={"allow_private_addresses": True, "timeout_s": 2},  # type: ignore[arg-type]
    digest={"summariser": "extractive"},  # type: ignore[arg-type]
)


@dataclass(frozen=True)
class Breakage:
    url: str  # BASE is replaced by the feed server's base URL
    outlet: str  # "" for a feed that never said its name
    shown_as: str  # what the notice must call the feed
    reason: str  # what the notice must say went wrong


BREAKAGES = {
    "http-500": Breakage("BASE/gazette.xml", "Harbour Gazette", "Harbour Gazette", "answered 500"),
    # Its credentials must not reach the channel: the notice shows the URL without them.
    "nxdomain": Breakage(
        "https://reader:s3cret@gone.example/feed.xml",
        "",
        "https://gone.example/feed.xml",
        "the host gone.example could not be found",
    ),
}


async def follow(app: App, url: str, outlet: str) -> tuple[int, ChannelRef]:
    """A channel that follows the feed at `url` (added earlier, when it still worked)."""
    now = app.now()
    channel_id, where = await add_channel(app.db, now)
    feed = await app.feeds.add(url, now=now, outlet=outlet, origin="user")
    async with app.db.session() as session:
        await channel_store.add_feed_subscription(
            session, channel_id, feed.id, include=(), exclude=(), now=now
        )
    return feed.id, where


@pytest.mark.parametrize("case", BREAKAGES.values(), ids=BREAKAGES.keys())
async def test_a_failing_feed_backs_off_is_disabled_and_its_channel_told_once(
    db: Database, clock: Clock, feed_server: FeedServer, case: Breakage
) -> None:
    feed_server.serve("/gazette.xml", b"internal error", status=500)
    resolver = MappedResolver({})  # every host name is unknown (the 500 feed is on an IP)
    backoff = SETTINGS.fetch

    def attempts() -> int:
        return len(feed_server.requests) + len(resolver.calls)

    async with (
        Fetcher(SETTINGS.fetch, resolver=resolver) as fetcher,
        ParserPool(in_process=True) as parser,
    ):
        app = App(settings=SETTINGS, db=db, fetcher=fetcher, parser=parser, clock=clock)
        url = case.url.replace("BASE", feed_server.base_url)
        feed_id, channel = await follow(app, url, case.outlet)
        poster = RecordingPoster()
        scheduler = app.scheduler({"test": poster})
        waits = []
        for failure in range(1, backoff.disable_after_failures + 1):
            feed = await app.feeds.get(feed_id)
            assert feed is not None and not feed.disabled and not poster.notices
            clock.now = feed.next_poll_at - timedelta(seconds=1)
            assert (await scheduler.tick()).feeds_polled == 0  # still backing off
            clock.now = feed.next_poll_at
            assert (await scheduler.tick()).feeds_polled == 1
            assert attempts() == failure
            polled = await app.feeds.get(feed_id)
            assert polled is not None and polled.consecutive_failures == failure
            assert case.reason in polled.last_error
            waits.append((polled.next_poll_at - clock.now).total_seconds())

        gone = await app.feeds.get(feed_id)
        assert gone is not None and gone.disabled and case.reason in gone.disabled_reason
        expected = [
            min(backoff.backoff_base_s * 2**n, backoff.backoff_max_s)
            for n in range(backoff.disable_after_failures)
        ]
        assert waits == expected and waits == sorted(set(waits))  # each wait longer
        ((where, text),) = poster.notices
        assert where == channel
        assert f"The feed {case.shown_as} was disabled" in text
        assert case.reason in text and "s3cret" not in text

        clock.advance(days=30)  # disabled: never due again, and the channel is told once
        assert (await scheduler.tick()).feeds_polled == 0
        assert attempts() == backoff.disable_after_failures
        assert len(poster.notices) == 1
