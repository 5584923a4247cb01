"""`newsbot worker` (scale-out on PostgreSQL) and `newsbot db upgrade`.

A worker runs the minute tick, feed polls and digest builds as jobs of the queue; with
`--send PLATFORM` it is that platform's sender instead (one at a time; others wait). The
chat connections run in `newsbot run --distributed`. The job queue (procrastinate) is the
optional `scale` extra, imported only here and only when one of these commands runs.
"""

from __future__ import annotations

import argparse
import importlib.util
from contextlib import AsyncExitStack
from types import ModuleType
from typing import Any

from bot.app import build_app, build_units
from bot.config import Settings
from bot.errors import ConfigError
from bot.ops.server import start_ops_server
from bot.store.db import open_database
from bot.store.dispatch import postgres_conninfo

QUEUE_NAMES = ("tick", "poll", "build")


def register(subparsers: Any) -> None:
    """Add `worker` to the `newsbot` command line."""
    worker = subparsers.add_parser(
        "worker",
        help="PostgreSQL scale-out: run polls, digest builds (or, with --send, one platform's "
        "posts) as jobs",
        description="Run jobs of the PostgreSQL job queue until stopped. Start as many as "
        "needed, on any machine; the chat connections run in `newsbot run --distributed`.",
    )
    worker.add_argument(
        "--queues",
        type=_queues,
        default=QUEUE_NAMES,
        metavar="LIST",
        help="comma-separated kinds of work to take: tick, poll, build (default: all three)",
    )
    worker.add_argument(
        "--send",
        metavar="PLATFORM",
        help="be the one sender of discord, slack or webhook (others started wait to take over)",
    )
    worker.add_argument(
        "--webhook", metavar="URL", help="with --send webhook: the endpoint digests are POSTed to"
    )
    worker.add_argument(
        "--no-tick",
        action="store_true",
        help="never defer the minute tick from this process (other workers do)",
    )
    worker.set_defaults(handler=run_worker_command)


def add_upgrade_action(actions: Any) -> None:
    """Add `newsbot db upgrade` to the `db` group."""
    upgrade = actions.add_parser(
        "upgrade",
        help="bring the database schema up to date (and, on PostgreSQL, add the job queue)",
        description="Apply newsbot's migrations; on PostgreSQL with the `scale` extra "
        "installed, also create the job queue's tables the workers need.",
    )
    upgrade.set_defaults(handler=run_db_upgrade)


def _queues(value: str) -> tuple[str, ...]:
    """A comma-separated subset of tick, poll, build; an argparse `type=`."""
    names = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [n for n in names if n not in QUEUE_NAMES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a list of queues; give some of tick, poll, build, e.g. poll,build"
        )
    return names


def _job_queue_module() -> ModuleType:
    if importlib.util.find_spec("procrastinate") is None:
        raise ConfigError(
            "workers need the job queue: install newsbot with the scale extra "
            "(pip install 'newsbot[scale]')."
        )
    from bot.workers import app as workers_app

    return workers_app


async def run_worker_command(args: argparse.Namespace, settings: Settings) -> int:
    postgres_conninfo(settings.database.url)  # one sentence on SQLite, before anything starts
    workers = _job_queue_module()
    jobs = workers.job_app(settings.database.url, periodic_tick=not args.no_tick)
    from bot.ops.jobs import register_job_cleanup  # the job queue is installed: checked above

    keep_h = settings.ops.keep_failed_jobs_h
    register_job_cleanup(jobs, keep_hours=keep_h, periodic=not args.no_tick)
    async with AsyncExitStack() as stack:
        app = await build_app(settings)
        stack.push_async_callback(app.aclose)
        await workers.check_job_schema(app.db)
        await stack.enter_async_context(jobs.open_async())
        await start_ops_server(app, stack, worker=True)  # when ops.enabled
        if args.send:
            from adapters.launch import sender_poster

            poster = await sender_poster(app, args.send, stack, webhook=args.webhook)
            units = build_units(app, {poster.platform: poster})
            await workers.run_sender(jobs, units, settings.workers, poster.platform)
        else:
            units = build_units(app, {})
            await workers.run_worker(jobs, units, settings.workers, queues=args.queues)
    return 0


async def run_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_database(settings.database.url)  # applies newsbot's migrations
    try:
        if db.dialect != "postgresql" or importlib.util.find_spec("procrastinate") is None:
            print("The database schema is up to date.")
            return 0
        workers = _job_queue_module()
        jobs = workers.job_app(settings.database.url)
        async with jobs.open_async():
            created = await workers.ensure_job_schema(jobs, db)
    finally:
        await db.close()
    print(
        "The database schema is up to date; "
        + ("the job queue's tables were created." if created else "the job queue was there.")
    )
    return 0
