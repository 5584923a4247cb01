"""What a worker process runs, with its dependencies: the same units of work as `newsbot run`.

`Units` is made once per worker process by the composition root and handed to every job. The
task layer (`tasks.py`) only unpacks job arguments and calls these: polling is `poll_feeds`,
delivery is `deliver_outbox_row`, and building is the scheduler's bulk form (load the channels
of a batch in a few queries, prefetch their articles, build each with one shared cache).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.channels.daily import (
    BuildDeps,
    BuildOutcome,
    build_job,
    load_channel_jobs,
    prefetch_articles,
)
from bot.channels.delivery import DeliveryPolicy, Poster
from bot.channels.scheduler import PollFeeds, feed_disabled_notice
from bot.channels.timing import (
    latest_digest_at,
    local_date_of,
    next_digest_at,
    parse_time,
    parse_zone,
)
from bot.clock import Clock
from bot.digest.compose import BuildCache
from bot.feeds.poll import PollOutcome
from bot.models import ChannelRef
from bot.store import channels as channel_store
from bot.store.db import Database, WriteBatcher
from bot.store.retention import RetentionPolicy

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Units:
    """Everything the jobs of one worker process share."""

    db: Database
    build: BuildDeps
    poll: PollFeeds
    clock: Clock
    posters: Mapping[str, Poster]  # only a sender has any: the platforms it drains
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    batch: int = 50  # feeds or channels per deferred job
    claim_s: float = 600.0  # how long claimed feeds and channels stay not due
    stalled_after_s: float = 30.0  # a job whose worker was silent this long is retried
    retention: RetentionPolicy | None = None  # database.retention_days; None keeps everything
    # Group-commits the small writes of the process's concurrent jobs (digests stored, posts
    # leased and marked sent): one transaction for those that finish together.
    writer: WriteBatcher | None = None


async def build_channels(
    db: Database,
    deps: BuildDeps,
    channel_ids: Sequence[int],
    now: datetime,
    on_built: Callable[[BuildOutcome], Awaitable[None]] | None = None,
    writer: WriteBatcher | None = None,
) -> list[BuildOutcome]:
    """Build the digests these channels are due at `now` (the tick's time), one cache shared.

    Each channel gets the digest of its latest due local date (one catch-up after downtime,
    never a burst) and its next digest time, stored with the digest. A channel whose build
    fails is logged and skipped: its claim runs out and a later tick hands it out again.
    `on_built` is called with each outcome as soon as its digest is stored, so its delivery
    can start while the rest of the batch is built (the platform's pipe fills from the first).
    `writer` group-commits each digest's store with those of the process's other jobs.
    """
    cache = BuildCache()
    async with db.session() as session:
        jobs = await load_channel_jobs(session, channel_ids, now=now)
        plans = []
        for job in jobs.values():
            at, zone = parse_time(job.digest_time), parse_zone(job.timezone)
            day = local_date_of(latest_digest_at(now, at, zone), zone)
            plans.append((job, day, next_digest_at(now, at, zone)))
        await prefetch_articles(
            session,
            [(job, job.period(day)) for job, day, _ in plans],
            max_age_hours=deps.max_age_hours,
            cache=cache,
        )
    outcomes = []
    for job, day, following in plans:
        try:
            outcome = await build_job(
                db, job, day, deps=deps, cache=cache, writer=writer, next_digest_at=following
            )
        except Exception:
            log.exception("building the digest of channel %d failed", job.channel_id)
            continue
        outcomes.append(outcome)
        if on_built is not None:
            await on_built(outcome)
    return outcomes


async def feed_disabled_notices(
    db: Database, outcomes: Sequence[PollOutcome]
) -> list[tuple[ChannelRef, str]]:
    """For each feed these polls disabled: every following channel, and what to tell it (once:
    a disabled feed is never polled again until the operator re-enables it)."""
    notices: list[tuple[ChannelRef, str]] = []
    for outcome in outcomes:
        if outcome.status == "disabled":
            async with db.session() as session:
                followers = await channel_store.channels_following_feed(session, outcome.feed_id)
            notices.extend((where, feed_disabled_notice(outcome)) for where in followers)
    return notices
