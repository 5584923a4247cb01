"""`newsbot status` as the operator runs it: on SQLite (no job queue) and on PostgreSQL with
workers' queue, waiting jobs and a sender holding its platform's lock."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli.status_cmd import run_status
from bot.config import Settings
from bot.store import channels as channel_store
from bot.store import dispatch
from bot.store.db import Database, open_database
from bot.store.feeds import FeedStore
from bot.workers.units import build_channels
from tests.channels.helpers import Clock, add_channel, add_feed_with_articles, article, build_deps
from tests.workers.procs import Cluster


async def seed_backlog(db: Database, now: datetime) -> None:
    """Two feeds due, one channel due, one post waiting for 10 minutes, one not yet due."""
    feeds = FeedStore(db)
    for n in (1, 2):
        await feeds.add(f"https://due{n}.example/feed.xml", now=now - timedelta(hours=1))
    for n, built_at in enumerate([now - timedelta(minutes=10), None], start=1):
        at = f"{built_at or now:%H:%M}"  # its digest time: the minute it was built
        channel_id, _ = await add_channel(
            db, now - timedelta(days=2), channel=f"c{n}", platform="webhook", time=at
        )
        await add_feed_with_articles(
            db,
            channel_id,
            [article(n, now - timedelta(hours=3))],
            fetched_at=now - timedelta(hours=2),
            url=f"https://news.example/{n}.xml",
        )
        if built_at is not None:  # its digest was built 10 minutes ago and waits to be posted
            built = await build_channels(
                db, build_deps(db, Clock(built_at)), [channel_id], built_at
            )
            assert built[0].ready is not None, built
        async with db.session() as session:
            await channel_store.set_next_digest(session, channel_id, now + timedelta(days=1))
    third, _ = await add_channel(db, now - timedelta(days=2), channel="c3", platform="webhook")
    async with db.session() as session:  # due a minute ago, not built yet
        await channel_store.set_next_digest(session, third, now - timedelta(minutes=1))


async def status_output(url: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    settings = Settings(database={"url": url})  # type: ignore[arg-type]
    assert await run_status(argparse.Namespace(), settings) == 0
    return capsys.readouterr().out.splitlines()


async def test_status_on_sqlite_says_the_job_queue_is_not_used(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}"
    db = await open_database(url)
    try:
        await seed_backlog(db, datetime.now(UTC))
    finally:
        await db.close()
    lines = await status_output(url, capsys)
    assert lines[:4] == [
        "Database: sqlite",
        "Feeds due for a poll: 2",
        "Digests due: 1",
        "Outbox: 1 post pending, 1 due; the oldest due has waited 10 min",
    ]
    assert lines[4:] == [
        "Job queue: not used (SQLite: one `newsbot run` does all the work)",
        "Senders alive: not used",
    ]


@pytest.mark.postgres
async def test_status_on_postgresql_shows_the_queue_and_the_senders(
    scale: Cluster, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC)
    await seed_backlog(scale.db, now)
    # Three jobs waiting for workers (none runs: no worker is started).
    await scale.jobs.tasks["newsbot.poll_feeds"].defer_async(feed_ids=[1], timestamp=0)
    await scale.jobs.tasks["newsbot.poll_feeds"].defer_async(feed_ids=[2], timestamp=0)
    await scale.jobs.tasks["newsbot.build_digests"].defer_async(channel_ids=[3], timestamp=0)
    async with dispatch.hold_sender_lock(scale.db, "discord", retry_s=0.1):
        lines = await status_output(scale.url, capsys)
    assert lines[:4] == [
        "Database: postgresql",
        "Feeds due for a poll: 2",
        "Digests due: 1",
        "Outbox: 1 post pending, 1 due; the oldest due has waited 10 min",
    ]
    queue, senders = lines[4:]
    assert queue.startswith(
        "Job queue: 3 waiting (build 1, poll 2), 0 running, 0 stalled; the oldest has"
    )
    assert senders == "Senders alive: discord (none for slack, webhook)"

    code, out = await scale.cli("status")  # the real command line, in its own process
    assert code == 0 and "Senders alive: none (none for discord, slack, webhook)" in out
