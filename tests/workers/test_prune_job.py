"""Retention in the scaled-out bot: the workers prune old rows through the job queue, once an
hour however many workers defer the hourly job (procrastinate's in-memory connector)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from procrastinate import App
from procrastinate.periodic import PeriodicDeferrer
from procrastinate.testing import InMemoryConnector

from bot.feeds.poll import PollOutcome
from bot.store.db import Database
from bot.store.retention import RetentionPolicy
from bot.workers.tasks import PRUNE, UNITS_KEY, register_tasks
from bot.workers.units import Units
from tests.channels.helpers import Clock, build_deps
from tests.store.test_retention import NOW, article, store_articles, stored_ids


def worker_units(db: Database, retention: RetentionPolicy) -> Units:
    clock = Clock(NOW)

    async def poll(feed_ids: Sequence[int], now: datetime) -> list[PollOutcome]:
        return []  # polling is the feed stage's, tested there

    return Units(
        db=db, build=build_deps(db, clock), poll=poll, clock=clock, posters={}, retention=retention
    )


async def run_hour(db: Database, retention: RetentionPolicy, workers: int) -> list[str]:
    """`workers` processes each defer the periodic jobs due a little after the hourly prune's
    minute; then every job runs. The names of the jobs that ran."""
    connector = InMemoryConnector()
    deferring = App(connector=connector)
    register_tasks(deferring)
    # The jobs run in an app without periodic tasks: its worker would defer for the real clock.
    running = App(connector=connector)
    register_tasks(running, periodic_tick=False)
    at = NOW.replace(minute=45)
    async with deferring.open_async():
        for _ in range(workers):
            deferrer = PeriodicDeferrer(deferring.periodic_registry)
            await deferrer.defer_jobs(deferrer.get_previous_tasks(at=at.timestamp()))
    async with running.open_async():
        await running.run_worker_async(
            wait=False,
            install_signal_handlers=False,
            additional_context={UNITS_KEY: worker_units(db, retention)},
        )
    return [job["task_name"] for job in connector.finished_jobs]


async def test_workers_prune_old_rows_once_an_hour(db: Database) -> None:
    await store_articles(db, article("stale", 45), article("fresh", 1))
    ran = await run_hour(db, RetentionPolicy(keep_days=30), workers=3)
    assert ran.count(PRUNE) == 1  # three workers, one prune for the hour
    assert await stored_ids(db) == {"id-fresh"}


async def test_retention_days_zero_keeps_everything(db: Database) -> None:
    await store_articles(db, article("stale", 400), article("fresh", 1))
    assert PRUNE in await run_hour(db, RetentionPolicy(keep_days=0), workers=1)
    assert await stored_ids(db) == {"id-stale", "id-fresh"}


def test_the_prune_is_deferred_hourly_only_where_the_tick_is() -> None:
    ticking = App(connector=InMemoryConnector())
    register_tasks(ticking)
    crons = {
        task.task.name: task.cron for task in ticking.periodic_registry.periodic_tasks.values()
    }
    assert crons[PRUNE].split()[1:] == ["*", "*", "*", "*"]  # one minute of every hour
    quiet = App(connector=InMemoryConnector())
    register_tasks(quiet, periodic_tick=False)
    assert PRUNE in quiet.tasks and not quiet.periodic_registry.periodic_tasks
