"""Queries of the scaled-out runner (PostgreSQL): claiming due work, the sender lock, queue state.

The minute tick claims what is due before it defers jobs for it, as the in-process poll pass
claims feeds: a claimed channel's next digest time moves `claim_s` ahead, so the next tick
does not defer it again while its job waits or runs, and a job that is lost leaves the channel
due again when the claim runs out. The build itself stores the real next time.

Each platform has one sender at a time: the process holding a PostgreSQL advisory lock keyed
by the platform. The lock lives on one open connection, so it is released the moment the
holder dies (the server closes its session), and a waiting sender takes it on its next try.

The job queue's own tables (`procrastinate_*`) are read here too, for the operator's view.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

from sqlalchemy import make_url, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import ConfigError
from bot.store.channels import due_channels
from bot.store.db import Database
from bot.store.schema import ChannelRow, OutboxRow

log = logging.getLogger(__name__)

# The first half of every newsbot advisory lock key ("news"), so ours never meet another
# application's locks in the same database.
LOCK_NAMESPACE = 0x6E657773
# A delivery job's queueing lock is this and the outbox row's id: the queue keeps at most one
# waiting job per row, and the tick sees which rows already have one.
POST_LOCK_PREFIX = "post-"


def postgres_conninfo(database_url: str) -> str:
    """The libpq form of a PostgreSQL `database.url` (the job queue speaks psycopg 3).

    Raises ConfigError for any other database: scale-out needs PostgreSQL.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ConfigError(
            "workers and `newsbot run --distributed` need PostgreSQL: set database.url "
            "(NEWSBOT_DATABASE_URL) to a postgresql+asyncpg:// address; with SQLite run "
            "`newsbot run` alone."
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def claim_due_channels(
    session: AsyncSession, now: datetime, *, limit: int, claim_s: float
) -> list[int]:
    """Take the channels whose digest is due for one job: their next digest moves ahead.

    Channels another transaction holds are skipped (SKIP LOCKED), so two ticks never hand
    out the same channel. Run it in `Database.write()`.
    """
    due = due_channels(now, limit=limit).with_for_update(skip_locked=True)
    ids = list((await session.scalars(due)).all())
    if ids:
        await session.execute(
            update(ChannelRow)
            .where(ChannelRow.id.in_(ids))
            .values(next_digest_at=now + timedelta(seconds=claim_s))
            .execution_options(synchronize_session=False)
        )
    return ids


async def due_posts_by_platform(
    session: AsyncSession, now: datetime, *, limit: int, skip_queued: bool = False
) -> dict[str, list[int]]:
    """Outbox rows due for delivery, oldest first, grouped by the platform they go to.

    `skip_queued` (the job queue's tables are in this database) leaves out rows whose delivery
    job is still waiting: in a wave of 100,000 posts at 50 a second most rows wait in the
    sender's queue for minutes, and each tick would otherwise try to queue them all again.
    """
    query = (
        select(OutboxRow.id, ChannelRow.platform)
        .join(ChannelRow, ChannelRow.id == OutboxRow.channel_id)
        .where(OutboxRow.state == "pending", OutboxRow.next_attempt_at <= now)
    )
    if skip_queued:  # the queue's unique index on waiting jobs' locks answers this
        query = query.where(
            text(
                "NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.status = 'todo' "
                "AND j.queueing_lock = :post_lock || outbox.id::text)"
            ).bindparams(post_lock=POST_LOCK_PREFIX)
        )
    result = await session.execute(
        query.order_by(OutboxRow.next_attempt_at, OutboxRow.id).limit(limit)
    )
    grouped: dict[str, list[int]] = {}
    for outbox_id, platform in result.all():
        grouped.setdefault(platform, []).append(outbox_id)
    return grouped


def sender_lock_key(platform: str) -> int:
    """The second half of a platform's sender lock key (a stable 31-bit number)."""
    return zlib.crc32(platform.encode()) & 0x7FFFFFFF


@asynccontextmanager
async def hold_sender_lock(
    db: Database, platform: str, *, retry_s: float, on_wait: str = ""
) -> AsyncIterator[None]:
    """Become the one sender of `platform`: wait (trying every `retry_s`) until the lock is
    free, hold it for the block, release it after. `on_wait` is logged once while waiting."""
    key = sender_lock_key(platform)
    async with db.engine.connect() as conn:
        waited = False
        while True:
            taken = await conn.scalar(
                text("SELECT pg_try_advisory_lock(:ns, :key)"), {"ns": LOCK_NAMESPACE, "key": key}
            )
            await conn.commit()  # no transaction left open while waiting or holding
            if taken:
                break
            if on_wait and not waited:
                log.info(on_wait)
            waited = True
            await asyncio.sleep(retry_s)
        try:
            yield
        finally:
            await conn.execute(
                text("SELECT pg_advisory_unlock(:ns, :key)"), {"ns": LOCK_NAMESPACE, "key": key}
            )
            await conn.commit()


async def senders_alive(session: AsyncSession, platforms: Sequence[str]) -> list[str]:
    """Which of `platforms` have a sender holding their lock right now."""
    keys = {sender_lock_key(p): p for p in platforms}
    if not keys:
        return []
    held = await session.scalars(
        text(
            "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND classid = :ns AND objsubid = 2 "
            # Advisory locks belong to one database; pg_locks lists the whole server's.
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ),
        {"ns": LOCK_NAMESPACE},
    )
    found = {int(objid) for objid in held}
    return sorted(p for key, p in keys.items() if key in found)


async def job_tables_exist(session: AsyncSession) -> bool:
    """Whether the job queue's schema is in this database (`newsbot db upgrade` adds it)."""
    found = await session.scalar(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL"))
    return bool(found)


async def queue_depths(session: AsyncSession) -> dict[str, int]:
    """Jobs waiting to run (status todo), per queue."""
    rows = await session.execute(
        text(
            "SELECT queue_name, count(*) FROM procrastinate_jobs WHERE status = 'todo' "
            "GROUP BY queue_name"
        )
    )
    return {str(queue): int(count) for queue, count in rows.all()}


async def oldest_waiting_job_at(session: AsyncSession) -> datetime | None:
    """When the longest-waiting job became runnable (its deferral, or its scheduled time)."""
    found = await session.scalar(
        text(
            "SELECT min(coalesce(j.scheduled_at, e.at)) FROM procrastinate_jobs j "
            "LEFT JOIN procrastinate_events e ON e.job_id = j.id AND e.type = 'deferred' "
            "WHERE j.status = 'todo'"
        )
    )
    return found if isinstance(found, datetime) else None


async def running_job_count(session: AsyncSession, *, alive_within_s: float) -> int:
    """Jobs being run by a worker heard from within `alive_within_s` (a dead worker's jobs
    are stalled, not running: the next tick puts them back in line)."""
    found = await session.scalar(
        text(
            "SELECT count(*) FROM procrastinate_jobs j JOIN procrastinate_workers w "
            "ON w.id = j.worker_id WHERE j.status = 'doing' "
            "AND w.last_heartbeat > now() - make_interval(secs => :alive)"
        ),
        {"alive": alive_within_s},
    )
    return int(found or 0)


async def stalled_job_count(session: AsyncSession, *, silent_for_s: float) -> int:
    """Jobs marked running whose worker has been silent for `silent_for_s` (or is gone)."""
    found = await session.scalar(
        text(
            "SELECT count(*) FROM procrastinate_jobs j LEFT JOIN procrastinate_workers w "
            "ON w.id = j.worker_id WHERE j.status = 'doing' AND (w.id IS NULL "
            "OR w.last_heartbeat <= now() - make_interval(secs => :silent))"
        ),
        {"silent": silent_for_s},
    )
    return int(found or 0)
