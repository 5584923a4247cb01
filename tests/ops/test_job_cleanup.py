"""The job queue's housekeeping on PostgreSQL: failed jobs are kept for a while, then removed;
jobs still waiting or running are never touched."""

from __future__ import annotations

import pytest
from procrastinate.jobs import Status

from bot.ops.jobs import CLEAN_TASK, clean_old_jobs, register_job_cleanup
from bot.store import dispatch
from tests.workers.procs import Cluster

pytestmark = pytest.mark.postgres


async def job_statuses(scale: Cluster) -> list[str]:
    async with scale.db.session() as session:
        depths = await dispatch.queue_depths(session)
    manager = scale.jobs.job_manager
    listed = await manager.list_jobs_async()
    assert sum(depths.values()) == sum(1 for job in listed if job.status == "todo")
    return sorted(str(job.status) for job in listed)


async def test_failed_jobs_older_than_kept_are_removed_waiting_ones_stay(scale: Cluster) -> None:
    poll = scale.jobs.tasks["newsbot.poll_feeds"]
    await poll.defer_async(feed_ids=[1], timestamp=0)
    await poll.defer_async(feed_ids=[2], timestamp=0)
    manager = scale.jobs.job_manager
    worker_id = await manager.register_worker()
    failed = await manager.fetch_job(["poll"], worker_id)
    assert failed is not None
    await manager.finish_job(failed, Status.FAILED, delete_job=False)
    assert await job_statuses(scale) == ["failed", "todo"]

    await clean_old_jobs(scale.jobs, keep_hours=1)  # failed a moment ago: kept for a look
    assert await job_statuses(scale) == ["failed", "todo"]
    await clean_old_jobs(scale.jobs, keep_hours=0)
    assert await job_statuses(scale) == ["todo"]


def test_every_worker_can_run_the_cleanup_but_only_tickers_schedule_it() -> None:
    from procrastinate import App
    from procrastinate.testing import InMemoryConnector

    ticking, quiet = App(connector=InMemoryConnector()), App(connector=InMemoryConnector())
    register_job_cleanup(ticking, keep_hours=24)
    register_job_cleanup(quiet, keep_hours=24, periodic=False)
    assert CLEAN_TASK in ticking.tasks and CLEAN_TASK in quiet.tasks
    scheduled = [t.task.name for t in ticking.periodic_registry.periodic_tasks.values()]
    assert scheduled == [CLEAN_TASK]
    assert not quiet.periodic_registry.periodic_tasks
