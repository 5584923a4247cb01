"""The job queue (procrastinate on PostgreSQL) and the two kinds of worker process.

A *worker* runs the tick, poll and build jobs (any number of them, on any machine). A
*sender* runs one platform's deliveries, and only while it is that platform's one sender: it
waits for the platform's advisory lock first, so a second sender started beside it waits and
takes over within `sender_wait_s` of the first one's death. Everything rate-limited (the
platform's poster) lives in the sender, so one process owns the platform's budget.

procrastinate is the optional `scale` extra: this module imports it, so it is imported only
by the commands that need it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import replace

from procrastinate import App, PsycopgConnector

from bot.config import WorkersSettings
from bot.errors import ConfigError
from bot.store import dispatch
from bot.store.db import Database, WriteBatcher
from bot.workers.tasks import UNITS_KEY, register_tasks, send_queue
from bot.workers.units import Units

log = logging.getLogger(__name__)

WORK_QUEUES = ("tick", "poll", "build")


def job_app(database_url: str, *, periodic_tick: bool = True) -> App:
    """A job-queue app on the bot's PostgreSQL database with newsbot's tasks (not opened)."""
    jobs = App(connector=PsycopgConnector(conninfo=dispatch.postgres_conninfo(database_url)))
    register_tasks(jobs, periodic_tick=periodic_tick)
    return jobs


async def ensure_job_schema(jobs: App, db: Database) -> bool:
    """Create the job queue's tables beside newsbot's unless there; True when created."""
    async with db.session() as session:
        if await dispatch.job_tables_exist(session):
            return False
    await jobs.schema_manager.apply_schema_async()
    return True


async def check_job_schema(db: Database) -> None:
    """Refuse to start a worker on a database `newsbot db upgrade` has not prepared."""
    async with db.session() as session:
        if not await dispatch.job_tables_exist(session):
            raise ConfigError(
                "the database has no job queue tables yet; run `newsbot db upgrade` once first."
            )


async def run_worker(
    jobs: App,
    units: Units,
    settings: WorkersSettings,
    *,
    queues: Sequence[str] = WORK_QUEUES,
    name: str = "newsbot-worker",
    concurrency: int | None = None,
) -> None:
    """Run jobs from `queues` until stopped (SIGINT/SIGTERM finish the running jobs first)."""
    if units.writer is None:  # the jobs of one process share one group-committing writer
        units = replace(units, writer=WriteBatcher(units.db))
    await jobs.run_worker_async(
        queues=list(queues),
        name=name,
        concurrency=concurrency or settings.concurrency,
        additional_context={UNITS_KEY: units},
        update_heartbeat_interval=settings.heartbeat_s,
        stalled_worker_timeout=settings.stalled_after_s,
        delete_jobs="successful",  # finished jobs are not kept: the table stays small
    )


async def run_sender(jobs: App, units: Units, settings: WorkersSettings, platform: str) -> None:
    """Become `platform`'s one sender (waiting while another one is), then drain its queue.

    Many posts are in flight at once (`sender_concurrency`): each spends most of its time
    waiting for the platform's pace or the database, and the poster keeps the platform's
    rate. Their small writes (lease, mark sent) are group-committed (see `run_worker`).
    """
    waiting = f"another {platform} sender is running; this one waits to take over"
    async with dispatch.hold_sender_lock(
        units.db, platform, retry_s=settings.sender_wait_s, on_wait=waiting
    ):
        log.info("this process is now the %s sender", platform)
        await run_worker(
            jobs,
            units,
            settings,
            queues=[send_queue(platform)],
            name=f"newsbot-{platform}-sender",
            concurrency=settings.sender_concurrency,
        )
