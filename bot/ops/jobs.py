"""Housekeeping of the PostgreSQL job queue: finished jobs do not pile up.

Workers delete a job as soon as it succeeds; a job that failed, was cancelled or aborted is
kept for the operator to look at, and removed once it is `keep_hours` old by an hourly
periodic job (deduplicated by the queue like the minute tick: one run per hour, whatever the
number of workers). Stalled jobs (their worker fell silent) are put back in line by the tick.

procrastinate is the optional `scale` extra: import this module only where it is installed.
"""

from __future__ import annotations

from procrastinate import App, JobContext

CLEAN_TASK = "newsbot.clean_old_jobs"
CLEAN_QUEUE = "tick"  # every worker that takes the tick takes this too
HOURLY = "17 * * * *"  # off the hour, away from the digests most channels get at :00


async def clean_old_jobs(jobs: App, keep_hours: int) -> None:
    """Remove jobs that finished in any way more than `keep_hours` ago."""
    await jobs.job_manager.delete_old_jobs(
        nb_hours=keep_hours, include_failed=True, include_cancelled=True, include_aborted=True
    )


def register_job_cleanup(jobs: App, *, keep_hours: int, periodic: bool = True) -> None:
    """Add the clean-up task to `jobs`; with `periodic`, this process defers it hourly.

    Register it in every worker (any of them may run it); leave `periodic` off where the
    minute tick is off too.
    """

    async def clean(context: JobContext, timestamp: int) -> None:
        await clean_old_jobs(context.app, keep_hours)

    task = jobs.task(name=CLEAN_TASK, queue=CLEAN_QUEUE, pass_context=True)(clean)
    if periodic:
        jobs.periodic(cron=HOURLY, periodic_id="clean-old-jobs")(task)
