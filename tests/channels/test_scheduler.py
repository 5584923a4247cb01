"""Scheduled digests with a controllable clock: local time, restart, catch-up, retries."""

from __future__ import annotations

from sqlalchemy import select

from bot.channels.delivery import PostError
from bot.channels.scheduler import Scheduler
from bot.store.db import Database
from bot.store.schema import ChannelRow, OutboxRow
from tests.channels.helpers import (
    Clock,
    RecordingPoster,
    add_channel,
    add_feed_with_articles,
    article,
    build_deps,
    utc,
)
from tests.conftest import DbTarget


def make_scheduler(db: Database, clock: Clock, poster: RecordingPoster) -> Scheduler:
    return Scheduler(
        db=db, build=build_deps(db, clock), posters={poster.platform: poster}, clock=clock
    )


async def next_digest(db: Database, channel_id: int):  # type: ignore[no-untyped-def]
    async with db.session() as session:
        return (await session.get(ChannelRow, channel_id)).next_digest_at  # type: ignore[union-attr]


async def schedule_channel(db: Database, clock: Clock, **kwargs: str) -> int:
    """A channel scheduled the way `subscribe` leaves it."""
    from bot.channels.timing import next_digest_at, parse_time, parse_zone
    from bot.store.channels import set_next_digest

    channel_id, _ = await add_channel(db, clock(), **kwargs)
    due = next_digest_at(
        clock(), parse_time(kwargs.get("time", "08:00")), parse_zone(kwargs.get("timezone", "UTC"))
    )
    async with db.session() as session:
        await set_next_digest(session, channel_id, due)
    return channel_id


async def test_digest_fires_at_local_time_across_spring_forward(db: Database) -> None:
    clock = Clock(utc(2026, 3, 27, 12))
    poster = RecordingPoster()
    channel_id = await schedule_channel(db, clock, timezone="Europe/Berlin", time="07:30")
    await add_feed_with_articles(
        db, channel_id, [article(1, utc(2026, 3, 27, 19))], fetched_at=utc(2026, 3, 27, 20)
    )
    scheduler = make_scheduler(db, clock, poster)
    assert await next_digest(db, channel_id) == utc(2026, 3, 28, 6, 30)  # 07:30 CET

    clock.now = utc(2026, 3, 28, 6, 29)
    await scheduler.tick()
    assert poster.posts == []
    clock.now = utc(2026, 3, 28, 6, 30)
    await scheduler.tick()
    assert poster.keys() == ["test:w1:c1|daily:2026-03-28"]
    assert "Harbour Gazette" in poster.posts[0][1].items[0].summary
    await scheduler.tick()
    assert len(poster.posts) == 1
    # The next one is 07:30 CEST: one UTC hour earlier.
    assert await next_digest(db, channel_id) == utc(2026, 3, 29, 5, 30)

    await add_feed_with_articles(
        db, channel_id, [article(2, utc(2026, 3, 28, 22))], fetched_at=utc(2026, 3, 28, 23)
    )
    clock.now = utc(2026, 3, 29, 5, 30)
    await scheduler.tick()
    assert poster.keys()[-1] == "test:w1:c1|daily:2026-03-29"
    second = poster.posts[-1][1]
    assert [i.headline for i in second.items] and "number 2" in second.items[0].summary
    assert "number 1" not in " ".join(i.summary for i in second.items)  # no repeat


async def test_restart_rebuilds_schedule_from_tables(db_target: DbTarget) -> None:
    clock = Clock(utc(2026, 6, 1, 11))
    db = await db_target.open()
    channel_id = await schedule_channel(db, clock, timezone="America/New_York", time="06:00")
    await add_feed_with_articles(
        db, channel_id, [article(1, utc(2026, 6, 1, 12))], fetched_at=utc(2026, 6, 1, 12, 30)
    )
    await db.close()

    # A new process: nothing but the database survives.
    clock.now = utc(2026, 6, 2, 10, 0, 5)  # 06:00:05 EDT
    db = await db_target.open()
    try:
        poster = RecordingPoster()
        await make_scheduler(db, clock, poster).tick()
        assert poster.keys() == ["test:w1:c1|daily:2026-06-02"]
    finally:
        await db.close()


async def test_after_downtime_only_one_catch_up_digest(db: Database) -> None:
    clock = Clock(utc(2026, 1, 10, 12))
    poster = RecordingPoster()
    channel_id = await schedule_channel(db, clock, time="08:00")
    scheduler = make_scheduler(db, clock, poster)
    for day in range(10, 14):  # articles keep arriving while the bot is down
        await add_feed_with_articles(
            db, channel_id, [article(day, utc(2026, 1, day, 13))], fetched_at=utc(2026, 1, day, 14)
        )
    clock.now = utc(2026, 1, 14, 9)  # four digests missed
    await scheduler.tick()
    await scheduler.tick()
    assert poster.keys() == ["test:w1:c1|daily:2026-01-14"]
    assert await next_digest(db, channel_id) == utc(2026, 1, 15, 8)


async def test_crash_after_platform_accepted_is_not_posted_twice(db: Database) -> None:
    clock = Clock(utc(2026, 2, 1, 12))
    poster = RecordingPoster(crash_after_accept=True)
    channel_id = await schedule_channel(db, clock)
    await add_feed_with_articles(
        db, channel_id, [article(1, utc(2026, 2, 1, 13))], fetched_at=utc(2026, 2, 1, 14)
    )
    scheduler = make_scheduler(db, clock, poster)
    clock.now = utc(2026, 2, 2, 8)
    report = await scheduler.tick()
    assert report.deliveries["retry"] == 1 and len(poster.posts) == 1
    poster.crash_after_accept = False
    clock.advance(minutes=5)
    report = await scheduler.tick()
    assert report.deliveries["found"] == 1
    assert len(poster.posts) == 1 and poster.find_calls == 1
    async with db.session() as session:
        row = (await session.scalars(select(OutboxRow))).one()
    assert row.state == "sent" and row.thread_id == "t-test:w1:c1|daily:2026-02-02"


async def test_retryable_error_backs_off_then_posts_once(db: Database) -> None:
    clock = Clock(utc(2026, 2, 1, 12))
    poster = RecordingPoster(fail_with=PostError("502 from the platform", retryable=True))
    channel_id = await schedule_channel(db, clock)
    await add_feed_with_articles(
        db, channel_id, [article(1, utc(2026, 2, 1, 13))], fetched_at=utc(2026, 2, 1, 14)
    )
    scheduler = make_scheduler(db, clock, poster)
    clock.now = utc(2026, 2, 2, 8)
    await scheduler.tick()
    clock.advance(seconds=10)  # still backing off
    assert (await scheduler.tick()).deliveries == {}
    poster.fail_with = None
    clock.advance(seconds=60)
    assert (await scheduler.tick()).deliveries["sent"] == 1
    assert len(poster.posts) == 1


async def test_missing_permission_keeps_digest_and_tells_the_channel(db: Database) -> None:
    clock = Clock(utc(2026, 2, 1, 12))
    poster = RecordingPoster(fail_with=PostError("Missing Access", retryable=False))
    channel_id = await schedule_channel(db, clock)
    await add_feed_with_articles(
        db, channel_id, [article(1, utc(2026, 2, 1, 13))], fetched_at=utc(2026, 2, 1, 14)
    )
    scheduler = make_scheduler(db, clock, poster)
    clock.now = utc(2026, 2, 2, 8)
    await scheduler.tick()
    assert poster.posts == [] and "Missing Access" in poster.notices[0][1]
    async with db.session() as session:
        row = (await session.scalars(select(OutboxRow))).one()
    assert row.state == "pending" and row.next_attempt_at == utc(2026, 2, 2, 9)
    poster.fail_with = None
    clock.now = utc(2026, 2, 2, 9)
    await scheduler.tick()
    assert len(poster.posts) == 1


async def test_baseline_and_filtered_articles_stay_out(db: Database) -> None:
    clock = Clock(utc(2026, 2, 1, 12))
    poster = RecordingPoster()
    channel_id = await schedule_channel(db, clock)
    await add_feed_with_articles(
        db,
        channel_id,
        [article(1, utc(2026, 2, 1, 11)), article(2, utc(2026, 2, 1, 11))],
        fetched_at=utc(2026, 2, 1, 12, 1),
        baseline=True,
    )
    await add_feed_with_articles(
        db,
        channel_id,
        [article(3, utc(2026, 2, 1, 15), topic="the old ferry"), article(4, utc(2026, 2, 1, 15))],
        fetched_at=utc(2026, 2, 1, 16),
        url="https://other.example/rss",
        exclude=("ferry",),
    )
    clock.now = utc(2026, 2, 2, 8)
    await make_scheduler(db, clock, poster).tick()
    (digest,) = [d for _, d, _ in poster.posts]
    text = " ".join(item.summary for item in digest.items)
    assert "number 4" in text
    assert "number 1" not in text and "number 2" not in text and "ferry" not in text


async def test_catch_up_digest_covers_the_missed_days_once(db: Database) -> None:
    clock = Clock(utc(2026, 1, 10, 12))
    poster = RecordingPoster()
    channel_id = await schedule_channel(db, clock, time="08:00")
    scheduler = make_scheduler(db, clock, poster)
    await add_feed_with_articles(
        db, channel_id, [article(1, utc(2026, 1, 10, 13))], fetched_at=utc(2026, 1, 10, 14)
    )
    clock.now = utc(2026, 1, 11, 8)
    await scheduler.tick()  # the regular digest of the 11th
    for day in (11, 12, 13):  # then the bot is down for three digests
        await add_feed_with_articles(
            db, channel_id, [article(day, utc(2026, 1, day, 13))], fetched_at=utc(2026, 1, day, 14)
        )
    clock.now = utc(2026, 1, 14, 9)
    await scheduler.tick()
    await scheduler.tick()
    assert poster.keys() == ["test:w1:c1|daily:2026-01-11", "test:w1:c1|daily:2026-01-14"]
    cited = {s.article_id for item in poster.posts[1][1].items for s in item.sources}
    assert cited == {"a0011", "a0012", "a0013"}  # a0001 went out on the 11th


async def test_apscheduler_job_ticks_until_stopped(db: Database) -> None:
    import asyncio

    from bot.channels.scheduler import TICK_JOB_ID

    clock = Clock(utc(2026, 2, 1, 12))
    poster = RecordingPoster()
    channel_id = await schedule_channel(db, clock)
    await add_feed_with_articles(
        db, channel_id, [article(1, utc(2026, 2, 1, 13))], fetched_at=utc(2026, 2, 1, 14)
    )
    clock.now = utc(2026, 2, 2, 8)
    scheduler = make_scheduler(db, clock, poster)
    scheduler.tick_s = 0.05
    scheduler.start()
    try:
        assert scheduler._aps is not None and scheduler._aps.get_job(TICK_JOB_ID) is not None
        for _ in range(100):
            if poster.posts:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # several more ticks
    finally:
        await scheduler.stop()
    assert len(poster.posts) == 1


async def test_two_runners_ticking_at_once_post_once(db_target: DbTarget) -> None:
    import asyncio

    clock = Clock(utc(2026, 2, 1, 12))
    first_db, second_db = await db_target.open(), await db_target.open()
    try:
        channel_id = await schedule_channel(first_db, clock)
        await add_feed_with_articles(
            first_db, channel_id, [article(1, utc(2026, 2, 1, 13))], fetched_at=utc(2026, 2, 1, 14)
        )
        clock.now = utc(2026, 2, 2, 8)
        poster = RecordingPoster()  # one platform, two bot processes
        first = make_scheduler(first_db, clock, poster)
        second = make_scheduler(second_db, clock, poster)
        await asyncio.gather(first.tick(), second.tick(), first.tick())
        await asyncio.gather(second.tick(), first.tick())
        assert poster.keys() == ["test:w1:c1|daily:2026-02-02"]
    finally:
        await first_db.close()
        await second_db.close()
