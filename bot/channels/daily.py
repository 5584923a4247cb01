"""Unit of work: build one channel's digest for one local date, store it with its outbox row.

`build_channel_digest(db, channel_id, local_date, deps=..., cache=...)` is idempotent: the
digest id is derived from (channel, period) and the rows are inserted with ON CONFLICT DO
NOTHING, so a retry, a restart or a second worker stores nothing twice.

What a digest holds: articles first fetched between the previous digest instant and this
one (so every fresh article lands in exactly one period), not stored by a feed's baseline
poll, not published long before the window, passing the subscription's filters, and not
already sent to this channel. The same stories are clustered and summarised once per tick
and shared by every channel that sees them (`BuildCache`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.channels.delivery import ReadyPost
from bot.channels.timing import PERIOD_PREFIX, Period, parse_time, parse_zone, period_for
from bot.channels.topics import Candidate, filter_reason, matches_topic, topic_words
from bot.clock import Clock
from bot.digest.compose import BuildCache, compose_digest
from bot.digest.render import digest_to_dict, reader_note
from bot.models import Article, ChannelRef, Digest
from bot.store import channels as channel_store
from bot.store import digests as digest_store
from bot.store.channels import SubscriptionView, run_write
from bot.store.db import Database, Session, WriteBatcher
from bot.summarise.base import Summariser

if TYPE_CHECKING:
    from bot.ops.metrics import Metrics

log = logging.getLogger(__name__)

SummariserFor = Callable[[str], Summariser]  # channel's mode (auto|llm|extractive) -> summariser


@dataclass(frozen=True)
class BuildDeps:
    """What building a digest needs, passed in by the composition root."""

    db: Database
    summariser_for: SummariserFor
    clock: Clock
    max_age_hours: int = 48  # articles published longer before the window are "old news"
    metrics: Metrics | None = None  # counts the digests stored


@dataclass(frozen=True)
class BuildOutcome:
    """What one build did: the outbox row to deliver (None when nothing was stored)."""

    channel_id: int
    period_key: str
    outbox_id: int | None
    created: bool
    items: int
    note: str = ""
    ready: ReadyPost | None = None  # set when this build stored the digest: post it as is


def digest_title(local_date: date) -> str:
    """The heading of a daily digest."""
    return f"News digest for {local_date:%A %d %B %Y}"


async def select_candidates(
    session: Session | None,
    channel_id: int,
    subscriptions: Sequence[SubscriptionView],
    *,
    start: datetime,
    end: datetime,
    max_age_hours: int,
    cache: BuildCache,
    already_sent: Mapping[str, str] | None = None,
) -> list[Candidate]:
    """Every article the subscriptions bring in for (start, end], with skip reasons.

    Without a session everything must already be in `cache` (see `prefetch_articles`);
    `already_sent` (article id -> period) saves the query for this channel's sent articles.
    """
    published_after = start - timedelta(hours=max_age_hours)
    reasons: dict[str, str | None] = {}
    articles: dict[str, Article] = {}
    if session is not None:
        await _load_feed_articles(session, subscriptions, start, end, published_after, cache)
    for sub in subscriptions:
        for article in await _articles_of(session, sub, start, end, published_after, cache):
            articles.setdefault(article.id, article)
            reason = filter_reason(article, sub.include_words, sub.exclude_words)
            # Kept when any subscription keeps it; otherwise the first reason found.
            if reason is None:
                reasons[article.id] = None
            else:
                reasons.setdefault(article.id, reason)
    kept = [aid for aid, why in reasons.items() if why is None]
    if already_sent is None:
        assert session is not None
        already_sent = await digest_store.digested_article_ids(session, channel_id, kept)
    for article_id in kept:
        if article_id in already_sent:
            reasons[article_id] = f"duplicate: already in the digest {already_sent[article_id]}"
    return [Candidate(articles[aid], reasons[aid]) for aid in articles]


async def _load_feed_articles(
    session: Session,
    subscriptions: Sequence[SubscriptionView],
    start: datetime,
    end: datetime,
    published_after: datetime,
    cache: BuildCache,
) -> None:
    missing = [
        sub.feed_id
        for sub in subscriptions
        if sub.feed_id is not None and (sub.feed_id, start, end) not in cache.feed_articles
    ]
    if not missing:
        return
    loaded = await digest_store.feed_articles_between(
        session, missing, start=start, end=end, published_after=published_after
    )
    for feed_id, found in loaded.items():
        cache.feed_articles[(feed_id, start, end)] = tuple(found)


async def _articles_of(
    session: Session | None,
    sub: SubscriptionView,
    start: datetime,
    end: datetime,
    published_after: datetime,
    cache: BuildCache,
) -> tuple[Article, ...]:
    if sub.feed_id is not None:
        return cache.feed_articles.get((sub.feed_id, start, end), ())
    words = topic_words(sub.topic)
    if not words:
        return ()
    key = (words, start, end)
    if key not in cache.topic_articles:
        if session is None:
            return ()
        found = await digest_store.articles_fetched_between(
            session, start=start, end=end, words=words[:1], published_after=published_after
        )
        cache.topic_articles[key] = tuple(a for a in found if matches_topic(a, words))
    return cache.topic_articles[key]


@dataclass(frozen=True)
class ChannelJob:
    """What building one channel's digest needs, loaded in bulk for many channels at once."""

    channel_id: int
    where: ChannelRef
    digest_time: str
    timezone: str
    max_items: int
    summariser: str
    subscriptions: tuple[SubscriptionView, ...]
    built: Mapping[str, int | None]  # recent period keys already built -> their outbox row
    sent: Mapping[str, str]  # article id -> period key of a recent digest that carried it

    def period(self, local_date: date) -> Period:
        """This channel's digest period for `local_date`.

        Normally the day before its digest time; a catch-up digest after downtime reaches
        back to the previous digest (at most `RECENT`), so missed days are summarised once
        instead of lost, in one digest rather than a burst.
        """
        at, zone = parse_time(self.digest_time), parse_zone(self.timezone)
        regular = period_for(local_date, at, zone)
        earlier = [
            day for day in map(_period_date, self.built) if day is not None and day < local_date
        ]
        if not earlier or max(earlier) >= local_date - timedelta(days=1):
            return regular
        since = period_for(max(earlier), at, zone).end
        return Period(regular.key, local_date, since, regular.end)


def _period_date(period_key: str) -> date | None:
    try:
        return date.fromisoformat(period_key.removeprefix(PERIOD_PREFIX))
    except ValueError:
        return None


RECENT = timedelta(days=4)  # how far back "already built / already sent" is checked


async def load_channel_jobs(
    session: Session, channel_ids: Sequence[int], *, now: datetime
) -> dict[int, ChannelJob]:
    """Channels, subscriptions and recent digests of many channels in four queries."""
    if not channel_ids:
        return {}
    ids = list(channel_ids)
    channels = await channel_store.channels_by_ids(session, ids)
    subs = await channel_store.subscriptions_of_channels(session, ids)
    since = now - RECENT
    built: dict[int, dict[str, int | None]] = {i: {} for i in ids}
    for channel_id, period_key, outbox_id in await digest_store.recent_digests_of_channels(
        session, ids, since=since
    ):
        built[channel_id][period_key] = outbox_id
    sent: dict[int, dict[str, str]] = {i: {} for i in ids}
    for channel_id, article_id, period_key in await digest_store.recent_sent_articles(
        session, ids, since=since
    ):
        sent[channel_id][article_id] = period_key
    return {
        channel.id: ChannelJob(
            channel_id=channel.id,
            where=channel.where,
            digest_time=channel.digest_time,
            timezone=channel.timezone,
            max_items=channel.max_items,
            summariser=channel.summariser,
            subscriptions=tuple(subs[channel.id]),
            built=built[channel.id],
            sent=sent[channel.id],
        )
        for channel in channels
    }


async def prefetch_articles(
    session: Session,
    jobs: Sequence[tuple[ChannelJob, Period]],
    *,
    max_age_hours: int,
    cache: BuildCache,
) -> None:
    """Load every (feed, period) and (topic, period) the jobs need into `cache`."""
    by_period: dict[tuple[datetime, datetime], list[SubscriptionView]] = {}
    for job, period in jobs:
        by_period.setdefault((period.start, period.end), []).extend(job.subscriptions)
    for (start, end), subs in by_period.items():
        published_after = start - timedelta(hours=max_age_hours)
        await _load_feed_articles(session, subs, start, end, published_after, cache)
        for sub in subs:
            if sub.feed_id is None:
                await _articles_of(session, sub, start, end, published_after, cache)


async def build_job(
    db: Database,
    job: ChannelJob,
    local_date: date,
    *,
    deps: BuildDeps,
    cache: BuildCache,
    writer: WriteBatcher | None = None,
    next_digest_at: datetime | None = None,
) -> BuildOutcome:
    """Build and store one channel's digest from a prepared job (articles prefetched).

    With `next_digest_at`, the channel's schedule moves on in the same transaction that
    stores the digest, so a crash never leaves a stored digest with a stale schedule.
    """
    period = job.period(local_date)
    if period.key in job.built:
        await _reschedule(db, writer, job.channel_id, next_digest_at)
        return BuildOutcome(
            job.channel_id, period.key, job.built[period.key], False, 0, "already built"
        )
    candidates = await select_candidates(
        None,
        job.channel_id,
        job.subscriptions,
        start=period.start,
        end=period.end,
        max_age_hours=deps.max_age_hours,
        cache=cache,
        already_sent=job.sent,
    )
    kept = [c.article for c in candidates if c.skipped is None]
    if not kept:
        await _reschedule(db, writer, job.channel_id, next_digest_at)
        return BuildOutcome(job.channel_id, period.key, None, False, 0, "nothing new")
    digest_id = digest_store.digest_id_for(job.channel_id, period.key)
    zone = parse_zone(job.timezone)  # readers see the period in the channel's own time
    digest, shown = await compose_digest(
        kept,
        title=digest_title(local_date),
        start=period.start.astimezone(zone),
        end=period.end.astimezone(zone),
        max_items=job.max_items,
        summariser=deps.summariser_for(job.summariser),
        cache=cache,
        scope=job.where.key,
        digest_id=digest_id,
    )
    _log_operator_notes(job, period.key, digest)
    article_ids = [article.id for story in shown for article in story.articles]
    payload, now = digest_to_dict(digest), deps.clock()

    async def store(session: Session) -> digest_store.StoredDigest:
        stored = await digest_store.store_digest_with_outbox(
            session,
            channel_id=job.channel_id,
            channel_key=job.where.key,
            period_key=period.key,
            period_start=period.start,
            period_end=period.end,
            payload=payload,
            article_ids=article_ids,
            now=now,
        )
        if next_digest_at is not None:
            await channel_store.set_next_digest(session, job.channel_id, next_digest_at)
        return stored

    result = await run_write(db, writer, store)
    ready = None
    if result.created and deps.metrics is not None:
        deps.metrics.digest_built()
    if result.created:
        ready = ReadyPost(
            outbox_id=result.outbox_id,
            idempotency_key=digest_store.idempotency_key(job.where.key, period.key),
            where=job.where,
            channel_id=job.channel_id,
            digest=digest,
            period_end=period.end,
        )
    return BuildOutcome(
        job.channel_id, period.key, result.outbox_id, result.created, len(digest.items), "", ready
    )


def _log_operator_notes(job: ChannelJob, period_key: str, digest: Digest) -> None:
    """Why the LLM's text was not used, for the operator: readers see only the label."""
    for item in digest.items:
        if item.note and reader_note(item) != item.note:
            log.info(
                "digest %s of channel %d, story %s: %s",
                period_key,
                job.channel_id,
                item.story_id,
                item.note,
            )


async def _reschedule(
    db: Database, writer: WriteBatcher | None, channel_id: int, at: datetime | None
) -> None:
    if at is not None:
        await run_write(db, writer, lambda s: channel_store.set_next_digest(s, channel_id, at))


async def build_channel_digest(
    db: Database,
    channel_id: int,
    local_date: date,
    *,
    deps: BuildDeps,
    cache: BuildCache | None = None,
    writer: WriteBatcher | None = None,
) -> BuildOutcome:
    """Build and store the digest of `channel_id` for `local_date` (idempotent).

    The unit of work any runner can call with plain arguments; the scheduler uses the bulk
    form (`load_channel_jobs`, `prefetch_articles`, `build_job`) for many channels at once.
    """
    cache = cache if cache is not None else BuildCache()
    async with db.session() as session:
        jobs = await load_channel_jobs(session, [channel_id], now=deps.clock())
        job = jobs.get(channel_id)
        if job is None:
            return BuildOutcome(channel_id, "", None, False, 0, "the channel no longer exists")
        period = job.period(local_date)
        await prefetch_articles(
            session, [(job, period)], max_age_hours=deps.max_age_hours, cache=cache
        )
    return await build_job(db, job, local_date, deps=deps, cache=cache, writer=writer)
