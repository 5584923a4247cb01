"""Polling cannot starve digests: slow feeds poll on while a due digest goes out on time.

Eight feeds on one host trickle their body a byte a second; with two connections per host
and a 20 s deadline per request a pass over them takes 80 s. Before polling ran beside the
digests, a digest due meanwhile waited for the whole pass.
"""

from __future__ import annotations

import time as clock
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select, update

from bot.channels.timing import latest_digest_at, parse_zone
from bot.config import FetchSettings
from bot.store.db import Database
from bot.store.feeds import FeedStore
from bot.store.schema import ChannelRow, FeedRow
from tests.channels.helpers import (
    RecordingPoster,
    add_channel,
    add_feed_with_articles,
    article,
    polling_scheduler,
)
from tests.fakes.feed_server import FeedServer

SLOW = b'<rss version="2.0"><channel><title>Slow</title></channel></rss>'


async def test_a_due_digest_goes_out_while_slow_feeds_trickle(db: Database) -> None:
    settings = FetchSettings(allow_private_addresses=True, timeout_s=20, per_host_connections=2)
    now = datetime.now(UTC)
    poster = RecordingPoster()
    channel_id, _ = await add_channel(db, now - timedelta(days=2))
    due = latest_digest_at(now, time(8), parse_zone("UTC"))  # the channel's 08:00 digest
    await add_feed_with_articles(
        db, channel_id, [article(1, due - timedelta(hours=3))], fetched_at=due - timedelta(hours=2)
    )
    async with db.session() as session:  # the digest is due now
        await session.execute(
            update(ChannelRow)
            .where(ChannelRow.id == channel_id)
            .values(next_digest_at=now - timedelta(seconds=1))
        )
    with FeedServer() as server:
        feeds = FeedStore(db)
        for n in range(8):
            server.serve(f"/slow{n}.xml", SLOW * 100, trickle_s=1.0)
            await feeds.add(server.url(f"/slow{n}.xml"), now=now - timedelta(minutes=1))
        posters = {poster.platform: poster}
        async with polling_scheduler(db, settings, posters) as scheduler:
            started = clock.monotonic()
            await scheduler.tick()
            took = clock.monotonic() - started
            async with db.session() as session:
                query = select(FeedRow.next_poll_at).where(FeedRow.url.like("%/slow%"))
                claimed = (await session.scalars(query)).all()
        requested = sum(len(server.requests_for(f"/slow{n}.xml")) for n in range(8))
    assert len(poster.posts) == 1
    assert took < 10  # the pass over the slow feeds alone takes 80 s
    assert requested >= 1  # they were being polled meanwhile
    # Claimed for the pass: no second runner (or next tick) polls them meanwhile.
    assert all(at > now + timedelta(minutes=1) for at in claimed)


async def test_a_poll_pass_ends_at_its_deadline(db: Database) -> None:
    settings = FetchSettings(allow_private_addresses=True, timeout_s=60)
    now = datetime.now(UTC)
    with FeedServer() as server:
        server.serve("/endless.xml", SLOW * 1000, trickle_s=1.0)
        feed = await FeedStore(db).add(server.url("/endless.xml"), now=now - timedelta(minutes=1))
        options = {"poll_deadline_s": 1.5, "poll_head_start_s": 5.0}
        async with polling_scheduler(db, settings, {}, **options) as scheduler:
            started = clock.monotonic()
            report = await scheduler.tick()
    assert clock.monotonic() - started < 4
    assert report.feeds_polled == 1
    stored = await FeedStore(db).get(feed.id)
    assert stored is not None and stored.next_poll_at > now + timedelta(minutes=1)
