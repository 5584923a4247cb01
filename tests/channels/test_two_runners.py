"""Two runners on one store (PostgreSQL, as a deployment with several bots has it; SQLite too):
each due feed is polled once, each digest posted once, with the delivery lease at its minimum
and posts that take longer than the lease."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import update

from bot.channels.delivery import DeliveryPolicy, PostResult
from bot.channels.timing import latest_digest_at, parse_zone
from bot.config import FetchSettings, SchedulerSettings, load_settings
from bot.errors import ConfigError
from bot.models import ChannelRef, Digest
from bot.store.db import Database
from bot.store.feeds import FeedStore
from bot.store.schema import ChannelRow
from tests.channels.helpers import (
    RecordingPoster,
    add_channel,
    add_feed_with_articles,
    article,
    polling_scheduler,
)
from tests.conftest import DbTarget
from tests.fakes.feed_server import FeedServer

FEEDS = 30
CHANNELS = 12
SETTINGS = FetchSettings(allow_private_addresses=True, timeout_s=10)
LEAST_LEASE_S = SchedulerSettings.model_fields["delivery_lease_s"].metadata[0].ge


@dataclass
class SlowPoster(RecordingPoster):
    """A platform whose every post takes longer than the delivery lease."""

    post_s: float = 2.5

    async def post_digest(
        self, where: ChannelRef, digest: Digest, *, idempotency_key: str
    ) -> PostResult:
        await asyncio.sleep(self.post_s)
        return await super().post_digest(where, digest, idempotency_key=idempotency_key)


def rss(n: int) -> bytes:
    return (
        f'<rss version="2.0"><channel><title>Outlet {n}</title><item><title>Story {n}</title>'
        f"<link>https://outlet{n}.example/1</link><description>Text.</description></item>"
        "</channel></rss>"
    ).encode()


async def due_feeds(db: Database, server: FeedServer) -> None:
    now = datetime.now(UTC)
    feeds = FeedStore(db)
    for n in range(FEEDS):
        server.serve(f"/f{n}.xml", rss(n), delay_s=0.3)  # a pass takes a few seconds
        await feeds.add(server.url(f"/f{n}.xml"), now=now - timedelta(minutes=1))


async def due_digests(db: Database) -> list[str]:
    """Channels whose digests are due now; returns the digests' idempotency keys."""
    now = datetime.now(UTC)
    due = latest_digest_at(now, time(8), parse_zone("UTC"))
    keys = []
    for c in range(CHANNELS):
        channel_id, where = await add_channel(db, now - timedelta(days=2), channel=f"c{c}")
        await add_feed_with_articles(
            db,
            channel_id,
            [article(100 + c, due - timedelta(hours=3))],
            fetched_at=due - timedelta(hours=2),
            url=f"https://news.example/feed{c}.xml",
        )
        async with db.session() as session:
            await session.execute(
                update(ChannelRow)
                .where(ChannelRow.id == channel_id)
                .values(next_digest_at=now - timedelta(seconds=1))
            )
        keys.append(f"{where.key}|daily:{due.date().isoformat()}")
    return keys


async def run_ticks(
    db: Database, poster: RecordingPoster, rounds: int, *, after_s: float = 0
) -> None:
    await asyncio.sleep(after_s)
    policy = DeliveryPolicy(lease_s=LEAST_LEASE_S)
    posters = {poster.platform: poster}
    async with polling_scheduler(
        db, SETTINGS, posters, policy=policy, poll_head_start_s=0.1
    ) as scheduler:
        for _ in range(rounds):
            await scheduler.tick()
            await asyncio.sleep(0.3)


async def test_two_runners_poll_each_due_feed_once(db_target: DbTarget) -> None:
    first, second = await db_target.open(), await db_target.open()
    try:
        with FeedServer() as server:
            await due_feeds(first, server)
            await asyncio.gather(
                run_ticks(first, RecordingPoster(), 20), run_ticks(second, RecordingPoster(), 20)
            )
            requests = [len(server.requests_for(f"/f{n}.xml")) for n in range(FEEDS)]
    finally:
        await first.close()
        await second.close()
    assert requests == [1] * FEEDS


async def test_a_post_outlasting_the_lease_is_not_posted_again_by_another_runner(
    db_target: DbTarget,
) -> None:
    first, second = await db_target.open(), await db_target.open()
    poster = SlowPoster()  # each post takes longer than the lease
    try:
        keys = await due_digests(first)
        # The second runner ticks while the first one's posts are in flight, after their
        # leases would have run out had they not been renewed.
        await asyncio.gather(
            run_ticks(first, poster, 2), run_ticks(second, poster, 6, after_s=LEAST_LEASE_S + 0.3)
        )
    finally:
        await first.close()
        await second.close()
    assert sorted(poster.keys()) == sorted(keys)  # every digest, each once


def test_a_lease_too_short_to_renew_is_refused_in_one_sentence(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Two runners with a 0.05 s lease posted 9 of 40 digests twice before it was checked.
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    monkeypatch.setenv("NEWSBOT_SCHEDULER__DELIVERY_LEASE_S", "0.05")
    with pytest.raises(ConfigError) as refused:
        load_settings()
    message = str(refused.value)
    assert message.startswith("invalid setting scheduler.delivery_lease_s")
    assert "greater than or equal to 1" in message and "\n" not in message
