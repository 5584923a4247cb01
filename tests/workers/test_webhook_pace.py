"""The webhook sender against a rate-limited endpoint: it keeps the endpoint's pace, waits out
a 429's Retry-After instead of handing the post to the outbox's backoff, and every digest
arrives exactly once.

The endpoint is the recording sink limited to 10 posts in any second (a 429 with
`Retry-After: 1` beyond, as a platform's API answers); 30 stored digests are delivered at
once, as a sender with many posts in flight does in a digest wave.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from adapters.webhook import PLATFORM, WebhookPoster
from bot.channels.delivery import deliver_rows
from bot.store.db import Database
from bot.store.schema import OutboxRow
from tests.channels.helpers import Clock, utc
from tests.fakes.webhook_sink import RecordingSink
from tests.workers.helpers import stored_webhook_digests

NOW = utc(2026, 4, 2, 8)
LIMIT = 10  # the endpoint's posts per second
POSTS = 30


@pytest.fixture
async def sink() -> AsyncIterator[RecordingSink]:
    sink = await RecordingSink(per_second=LIMIT).start()
    yield sink
    await sink.stop()


async def deliver_all(db: Database, sink: RecordingSink, per_second: float) -> list[str]:
    outbox_ids = await stored_webhook_digests(db, POSTS, NOW)
    async with WebhookPoster(sink.url, per_second=per_second) as poster:
        return list(
            await deliver_rows(
                db, {PLATFORM: poster}, outbox_ids, clock=Clock(NOW), concurrency=POSTS
            )
        )


async def assert_each_posted_once(db: Database, sink: RecordingSink) -> None:
    assert len(sink.keys()) == POSTS and len(set(sink.keys())) == POSTS
    async with db.session() as session:
        states = list(await session.scalars(select(OutboxRow.state)))
    assert states == ["sent"] * POSTS


def busiest_second(sink: RecordingSink) -> int:
    """The most posts the sink accepted within any one second."""
    accepted = [t for t, status in sink.arrivals if status == 200]
    return max(sum(1 for u in accepted if t <= u < t + 1.0) for t in accepted)


async def test_a_paced_sender_stays_within_the_endpoints_rate(
    db: Database, sink: RecordingSink
) -> None:
    outcomes = await deliver_all(db, sink, per_second=LIMIT)

    assert outcomes == ["sent"] * POSTS
    await assert_each_posted_once(db, sink)
    assert [status for _, status in sink.arrivals].count(429) == 0  # never refused
    assert busiest_second(sink) <= LIMIT
    times = [t for t, _ in sink.arrivals]
    assert max(times) - min(times) >= 1.9  # 30 posts at 10 per second: three windows


async def test_an_unpaced_sender_waits_out_retry_after_and_loses_nothing(
    db: Database, sink: RecordingSink
) -> None:
    outcomes = await deliver_all(db, sink, per_second=0)

    # Every refusal was waited out inside the post: nothing went to the outbox's backoff.
    assert outcomes == ["sent"] * POSTS
    await assert_each_posted_once(db, sink)
    refused = [t for t, status in sink.arrivals if status == 429]
    assert refused  # the burst did meet the limit
    # After a refusal nothing new was sent until its Retry-After (1 s) had passed, bar the
    # requests already on their way when it came.
    for when in refused:
        assert not [t for t, _ in sink.arrivals if when + 0.2 < t < when + 0.9]
