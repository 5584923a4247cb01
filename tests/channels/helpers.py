"""Helpers for the channel tests: a controllable clock, a recording poster, seeded rows."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.channels.daily import BuildDeps
from bot.channels.delivery import Poster, PostError, PostResult
from bot.channels.scheduler import Scheduler
from bot.channels.timing import latest_digest_at, parse_zone
from bot.clock import utc_now
from bot.config import FetchSettings
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.feeds.poll import PollOutcome, poll_feeds
from bot.models import Article, ChannelRef, Digest
from bot.store import channels as channel_store
from bot.store.articles import ArticleStore
from bot.store.channels import ChannelDefaults
from bot.store.db import Database
from bot.store.feeds import FeedStore
from bot.summarise.extractive import ExtractiveSummariser

if TYPE_CHECKING:
    from bot.app import App


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class RecordingPoster:
    """A platform that records every accepted post; it can fail on demand."""

    platform: str = "test"
    posts: list[tuple[ChannelRef, Digest, str]] = field(default_factory=list)
    notices: list[tuple[ChannelRef, str]] = field(default_factory=list)
    fail_with: PostError | None = None
    crash_after_accept: bool = False  # accept the post, then "die" before answering
    find_calls: int = 0
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def post_digest(
        self, where: ChannelRef, digest: Digest, *, idempotency_key: str
    ) -> PostResult:
        if self.fail_with is not None:
            raise self.fail_with
        self.posts.append((where, digest, idempotency_key))
        if self.crash_after_accept:
            raise ConnectionResetError("connection lost after the platform accepted the post")
        return PostResult(message_id=f"m{next(self._ids)}", thread_id=f"t-{idempotency_key}")

    async def find_posted(self, where: ChannelRef, idempotency_key: str) -> PostResult | None:
        self.find_calls += 1
        for index, (_, _, key) in enumerate(self.posts, start=1):
            if key == idempotency_key:
                return PostResult(message_id=f"found{index}", thread_id=f"t-{key}")
        return None

    async def notify(self, where: ChannelRef, text: str) -> None:
        self.notices.append((where, text))

    def keys(self) -> list[str]:
        return [key for _, _, key in self.posts]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc,arg-type]


def build_deps(db: Database, clock: Clock) -> BuildDeps:
    summariser = ExtractiveSummariser()
    return BuildDeps(db=db, summariser_for=lambda _mode: summariser, clock=clock)


def article(n: int, when: datetime, *, outlet: str = "Harbour Gazette", topic: str = "") -> Article:
    subject = topic or f"bridge number {n}"
    return Article(
        id=f"a{n:04d}",
        url=f"https://news.example/story-{n}",
        title=f"Council votes on {subject}",
        text=(
            f"The city council voted on Tuesday to repair {subject}. "
            f"The repair of {subject} will cost 4.{n} million euros, officials said. "
            "Work starts in spring and is expected to last two years."
        ),
        outlet=outlet,
        published=when,
    )


async def add_channel(
    db: Database,
    now: datetime,
    *,
    channel: str = "c1",
    timezone: str = "UTC",
    time: str = "08:00",
    platform: str = "test",
) -> tuple[int, ChannelRef]:
    where = ChannelRef(platform, "w1", channel)
    async with db.session() as session:
        row = await channel_store.ensure_channel(
            session, where, ChannelDefaults(timezone=timezone, digest_time=time), now
        )
        return row.id, where


async def add_feed_with_articles(
    db: Database,
    channel_id: int,
    articles: list[Article],
    *,
    fetched_at: datetime,
    baseline: bool = False,
    url: str = "https://news.example/feed.xml",
    include: tuple[str, ...] = (),
    exclude: tuple[str, ...] = (),
) -> int:
    feeds = FeedStore(db)
    feed = await feeds.get_by_url(url) or await feeds.add(
        url, now=fetched_at, outlet="Harbour Gazette", origin="user"
    )
    # Polled by someone else: far in the future so the tick does not try to fetch it.
    async with db.session() as session:
        from sqlalchemy import update

        from bot.store.schema import FeedRow

        await session.execute(
            update(FeedRow)
            .where(FeedRow.id == feed.id)
            .values(next_poll_at=fetched_at + timedelta(days=3650), baselined=True)
        )
        await channel_store.add_feed_subscription(
            session, channel_id, feed.id, include=include, exclude=exclude, now=fetched_at
        )
    await ArticleStore(db).add_many(
        articles, feed_id=feed.id, fetched_at=fetched_at, baseline=baseline
    )
    return feed.id


async def seed_due_channel(db: Database, where: ChannelRef) -> None:
    """The webhook channel, following a topic, its digest overdue, news in its window."""
    now = datetime.now(UTC)
    due = latest_digest_at(now, datetime.min.time().replace(hour=8), parse_zone("UTC"))
    async with db.session() as session:
        row = await channel_store.ensure_channel(session, where, ChannelDefaults(), now)
        await channel_store.set_next_digest(session, row.id, now - timedelta(minutes=1))
        await channel_store.add_topic_subscription(
            session, row.id, "harbour", include=(), exclude=(), now=now - timedelta(days=2)
        )
    fetched = due - timedelta(hours=2)
    await ArticleStore(db).add_many(
        [
            Article(
                id="crash1",
                url="https://gazette.example/harbour-bridge",
                title="Harbour bridge repair approved",
                text="The council approved the harbour bridge repair on Tuesday. "
                "Work starts in May, the mayor said.",
                outlet="Harbour Gazette",
                published=fetched,
            )
        ],
        feed_id=None,
        fetched_at=fetched,
    )


def news(n: int, title: str, text: str, outlet: str, when_hour: int = 9) -> Article:
    """An article of 2026-04-01 by `outlet`, at https://<outlet's first word>.example/<n>."""
    return Article(
        id=f"n{n}",
        url=f"https://{outlet.split()[0].lower()}.example/{n}",
        title=title,
        text=text,
        outlet=outlet,
        published=utc(2026, 4, 1, when_hour),
    )


async def tick_at(app: App, clock: Clock, channel_id: int, at: datetime) -> RecordingPoster:
    """A tick at `at`, when the channel's digest is due: the poster holds what it posted."""
    async with app.db.session() as session:
        await channel_store.set_next_digest(session, channel_id, at)
    clock.now = at
    poster = RecordingPoster()
    await app.scheduler({"test": poster}).tick()
    return poster


@asynccontextmanager
async def polling_scheduler(
    db: Database, settings: FetchSettings, posters: Mapping[str, Poster], **options: Any
) -> AsyncIterator[Scheduler]:
    """A Scheduler on the real clock that really polls (fetcher, in-process parser),
    builds extractive digests and delivers through `posters`; stopped on the way out."""
    summariser = ExtractiveSummariser()
    deps = BuildDeps(db=db, summariser_for=lambda _mode: summariser, clock=utc_now)
    async with Fetcher(settings) as fetcher, ParserPool(in_process=True) as parser:

        async def poll(ids: Sequence[int], at: datetime) -> Sequence[PollOutcome]:
            return await poll_feeds(db, fetcher, parser, ids, now=at, settings=settings)

        scheduler = Scheduler(
            db=db, build=deps, posters=dict(posters), clock=utc_now, poll_feeds=poll, **options
        )
        try:
            yield scheduler
        finally:
            await scheduler.stop()
