"""The minute tick of the scaled-out bot: read what is due, hand it out as batched jobs.

What is due lives in the same UTC columns `newsbot run` reads (feeds by next poll time,
channels by next digest time, outbox rows by next attempt). The tick claims due feeds and
channels in one transaction, so a second tick (another minute, another worker) never hands
them out again while their jobs wait, and defers one job per batch. After downtime the first
tick finds every overdue channel and builds its latest missed period once, as `newsbot run`
does. Exactly-once is not the queue's business: the digest's (channel, period) key and the
outbox key make a repeated job harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.store import dispatch
from bot.store import feeds as feed_store
from bot.store.db import Database
from bot.store.shared_items import forget_shared_items
from bot.workers.shared import REUSE_FOR

# How many rows of each kind one tick hands out; the rest waits for the next minute.
TICK_LIMIT = 20_000


@dataclass(frozen=True)
class TickPlan:
    """The jobs one tick defers."""

    feed_batches: tuple[tuple[int, ...], ...] = ()
    channel_batches: tuple[tuple[int, ...], ...] = ()
    posts: dict[str, tuple[int, ...]] = field(default_factory=dict)  # platform -> outbox rows
    more: bool = False  # the limit was reached: more feeds or channels are due right now

    @property
    def empty(self) -> bool:
        return not (self.feed_batches or self.channel_batches or self.posts)


def batches(ids: Sequence[int], size: int) -> tuple[tuple[int, ...], ...]:
    """`ids` in consecutive groups of at most `size`."""
    return tuple(tuple(ids[i : i + size]) for i in range(0, len(ids), size))


async def plan_tick(
    db: Database,
    now: datetime,
    *,
    batch: int,
    claim_s: float,
    limit: int = TICK_LIMIT,
    with_posts: bool = True,
) -> TickPlan:
    """Claim up to `limit` feeds and channels due at `now` and (`with_posts`) read the posts
    due; nothing is run. A plan with `more` set leaves due work for another round."""
    async with db.write() as session:
        feeds = await feed_store.claim_due_feeds(session, now, limit=limit, claim_s=claim_s)
        channels = await dispatch.claim_due_channels(session, now, limit=limit, claim_s=claim_s)
    posts: dict[str, list[int]] = {}
    if with_posts:
        async with db.session() as session:
            queue_here = db.dialect == "postgresql" and await dispatch.job_tables_exist(session)
            posts = await dispatch.due_posts_by_platform(
                session, now, limit=limit, skip_queued=queue_here
            )
    return TickPlan(
        feed_batches=batches(feeds, batch),
        channel_batches=batches(channels, batch),
        posts={platform: tuple(ids) for platform, ids in posts.items()},
        more=len(feeds) == limit or len(channels) == limit,
    )


async def forget_old_summaries(db: Database, now: datetime) -> None:
    """Drop shared summaries no digest reuses any more (older than `REUSE_FOR`)."""
    async with db.session() as session:
        await forget_shared_items(session, now - REUSE_FOR)
