"""The job-queue tasks on procrastinate's in-memory connector: the minute tick hands out what
is due as batched jobs, each unit of work runs once, and a repeated tick posts nothing twice."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta

import pytest
from procrastinate import App
from procrastinate.testing import InMemoryConnector
from sqlalchemy import update

from bot.channels.timing import PERIOD_PREFIX, next_digest_at, parse_time, parse_zone
from bot.feeds.poll import PollOutcome
from bot.models import ChannelRef
from bot.store import channels as channel_store
from bot.store.db import Database
from bot.store.digests import idempotency_key
from bot.store.feeds import FeedStore
from bot.store.schema import FeedRow
from bot.workers.tasks import BUILD, POLL, TICK, UNITS_KEY, register_tasks
from bot.workers.tick import plan_tick
from bot.workers.units import Units
from tests.channels.helpers import (
    Clock,
    RecordingPoster,
    add_channel,
    add_feed_with_articles,
    article,
    build_deps,
    utc,
)

BERLIN = "Europe/Berlin"


@pytest.fixture
def jobs() -> App:
    app = App(connector=InMemoryConnector())
    register_tasks(app, periodic_tick=False)
    return app


@pytest.fixture
async def opened(jobs: App) -> AsyncIterator[App]:
    async with jobs.open_async():
        yield jobs


def units(
    db: Database,
    clock: Clock,
    poster: RecordingPoster,
    polled: list[int],
    disabled: Sequence[int] = (),
) -> Units:
    async def poll(feed_ids: Sequence[int], now: datetime) -> list[PollOutcome]:
        polled.extend(feed_ids)  # the poll itself is the feed stage's, tested there
        return [
            PollOutcome(i, f"https://news.example/{i}", "disabled", error="HTTP 410 Gone.")
            for i in feed_ids
            if i in disabled
        ]

    return Units(
        db=db,
        build=build_deps(db, clock),
        poll=poll,
        clock=clock,
        posters={poster.platform: poster},
        batch=2,
    )


async def tick_and_run(jobs: App, work: Units, at: datetime) -> list[str]:
    """Defer the tick for `at`, run every job it leads to; the task names run, in order."""
    await jobs.tasks[TICK].defer_async(timestamp=int(at.timestamp()))
    connector = jobs.connector
    assert isinstance(connector, InMemoryConnector)
    before = len(connector.finished_jobs)
    await jobs.run_worker_async(
        wait=False, install_signal_handlers=False, additional_context={UNITS_KEY: work}
    )
    return [job["task_name"] for job in connector.finished_jobs[before:]]


async def berlin_channel(db: Database, now: datetime, name: str) -> tuple[int, ChannelRef]:
    channel_id, where = await add_channel(db, now, channel=name, timezone=BERLIN, time="07:00")
    await add_feed_with_articles(
        db,
        channel_id,
        [article(n, now) for n in range(3)],
        fetched_at=now,
        url=f"https://news.example/{name}.xml",
    )
    return channel_id, where


async def test_a_due_digest_is_built_and_posted_once_at_its_local_time(
    db: Database, opened: App
) -> None:
    # 2026-03-29: Berlin moves to summer time at 02:00, so 07:00 there is 05:00 UTC.
    created = utc(2026, 3, 28, 12)
    clock = Clock(created)
    channel_id, where = await berlin_channel(db, created, "berlin")
    async with db.session() as session:
        await channel_store.set_next_digest(
            session, channel_id, next_digest_at(created, parse_time("07:00"), parse_zone(BERLIN))
        )
    poster, polled = RecordingPoster(), list[int]()
    work = units(db, clock, poster, polled)

    ran = await tick_and_run(opened, work, utc(2026, 3, 29, 4, 59))
    assert poster.posts == [] and ran == [TICK]

    ran = await tick_and_run(opened, work, utc(2026, 3, 29, 5, 0))
    assert [key for _, _, key in poster.posts] == [
        idempotency_key(where.key, f"{PERIOD_PREFIX}2026-03-29")
    ]
    assert ran == [TICK, BUILD, "newsbot.deliver"]

    # The same minute again, and the minute after: nothing is due, nothing posted twice.
    await tick_and_run(opened, work, utc(2026, 3, 29, 5, 0))
    await tick_and_run(opened, work, utc(2026, 3, 29, 5, 1))
    assert len(poster.posts) == 1
    async with db.session() as session:
        (channel,) = await channel_store.channels_by_ids(session, [channel_id])
    assert channel.next_digest_at == utc(2026, 3, 30, 5, 0)


async def test_the_tick_defers_batches_and_never_hands_out_claimed_work_twice(
    db: Database, opened: App
) -> None:
    now = utc(2026, 4, 1, 10)
    clock = Clock(now)
    feeds = FeedStore(db)
    for n in range(5):
        await feeds.add(f"https://news.example/{n}.xml", now=now - timedelta(hours=1))
    poster, polled = RecordingPoster(), list[int]()
    work = units(db, clock, poster, polled)

    ran = await tick_and_run(opened, work, now)
    assert ran.count(POLL) == 3  # five due feeds in batches of two
    assert sorted(polled) == sorted(set(polled)) and len(polled) == 5

    # Claimed: a second tick a minute later (the polls "still running") defers no poll.
    ran = await tick_and_run(opened, work, now + timedelta(minutes=1))
    assert POLL not in ran and len(polled) == 5


async def test_channels_are_told_once_when_a_poll_disables_their_feed(
    db: Database, opened: App
) -> None:
    now = utc(2026, 4, 1, 10)
    channel_id, where = await add_channel(db, now)
    feed_id = await add_feed_with_articles(db, channel_id, [], fetched_at=now)
    async with db.session() as session:  # due now, and its last poll disables it
        await session.execute(update(FeedRow).where(FeedRow.id == feed_id).values(next_poll_at=now))
    poster = RecordingPoster()
    work = units(db, Clock(now), poster, [], disabled=[feed_id])

    ran = await tick_and_run(opened, work, now)
    assert ran == [TICK, POLL, "newsbot.notify"]
    assert [(w, text[:40]) for w, text in poster.notices] == [
        (where, f"The feed https://news.example/{feed_id} was disa")
    ]
    assert "HTTP 410 Gone" in poster.notices[0][1]


async def test_after_downtime_the_first_tick_catches_up_once(db: Database, opened: App) -> None:
    # Due 2026-03-29 07:00 Berlin; no worker ran until 2026-04-01 05:30 UTC (07:30 local).
    channel_id, where = await add_channel(
        db, utc(2026, 3, 28, 12), channel="late", timezone=BERLIN, time="07:00"
    )
    await add_feed_with_articles(
        db,
        channel_id,
        [article(n, utc(2026, 3, 31, 20)) for n in range(3)],
        fetched_at=utc(2026, 3, 31, 20),
    )
    async with db.session() as session:
        await channel_store.set_next_digest(session, channel_id, utc(2026, 3, 29, 5))
    poster = RecordingPoster()
    work = units(db, Clock(utc(2026, 4, 1, 5, 30)), poster, [])

    await tick_and_run(opened, work, utc(2026, 4, 1, 5, 30))
    await tick_and_run(opened, work, utc(2026, 4, 1, 5, 31))
    assert [key for _, _, key in poster.posts] == [
        idempotency_key(where.key, f"{PERIOD_PREFIX}2026-04-01")
    ]
    async with db.session() as session:
        (channel,) = await channel_store.channels_by_ids(session, [channel_id])
    assert channel.next_digest_at == utc(2026, 4, 2, 5, 0)


async def test_a_wave_larger_than_one_round_is_handed_out_in_several(db: Database) -> None:
    now = utc(2026, 4, 1, 10)
    for n in range(5):
        await FeedStore(db).add(f"https://news.example/{n}.xml", now=now - timedelta(hours=1))

    first = await plan_tick(db, now, batch=2, claim_s=600, limit=3)
    second = await plan_tick(db, now, batch=2, claim_s=600, limit=3, with_posts=False)
    assert [len(b) for b in first.feed_batches] == [2, 1] and first.more
    assert [len(b) for b in second.feed_batches] == [2] and not second.more
    handed_out = [i for plan in (first, second) for b in plan.feed_batches for i in b]
    assert len(set(handed_out)) == 5


async def test_the_tick_runs_before_the_builds_already_waiting(db: Database, opened: App) -> None:
    # A wave's build jobs fill the queue; the next minute's tick must not wait behind them.
    now = utc(2026, 4, 1, 10)
    work = units(db, Clock(now), RecordingPoster(), [])
    for _ in range(3):
        await opened.tasks[BUILD].defer_async(channel_ids=[], timestamp=now.timestamp())

    await tick_and_run(opened, work, now)
    connector = opened.connector
    assert isinstance(connector, InMemoryConnector)
    started = sorted(
        (event["at"], job["task_name"])
        for job in connector.finished_jobs
        for event in connector.events[job["id"]]
        if event["type"] == "started"
    )
    assert [name for _, name in started] == [TICK, BUILD, BUILD, BUILD]
