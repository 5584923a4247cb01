"""What waits and who works: the one read behind `newsbot status`, /readyz and the queue gauges.

On SQLite (one `newsbot run`) there is no job queue and no sender lock: those parts are
`None`, shown as "not used". On PostgreSQL they come from the job queue's tables and the
senders' advisory locks, when `newsbot db upgrade` has created the queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.ops.metrics import Metrics
from bot.store import dispatch
from bot.store.backlog import Backlog, read_backlog
from bot.store.db import Database

SENDER_PLATFORMS = ("discord", "slack", "webhook")


@dataclass(frozen=True)
class JobQueue:
    """The PostgreSQL job queue's state (scale-out)."""

    waiting: dict[str, int]  # queue name -> jobs waiting
    running: int  # by workers heard from lately
    stalled: int  # marked running, but their worker fell silent: the next tick retries them
    oldest_waiting_since: datetime | None
    senders_alive: tuple[str, ...]

    @property
    def depth(self) -> int:
        return sum(self.waiting.values())


@dataclass(frozen=True)
class OpsState:
    """One snapshot of the backlog and, on PostgreSQL with workers, the job queue."""

    at: datetime
    dialect: str
    backlog: Backlog
    jobs: JobQueue | None  # None: no job queue in this database (SQLite, or not upgraded)

    def oldest_post_age_s(self) -> float | None:
        due = self.backlog.oldest_post_due_at
        return None if due is None else max((self.at - due).total_seconds(), 0.0)

    def job_lag_s(self) -> float | None:
        since = self.jobs.oldest_waiting_since if self.jobs else None
        return None if since is None else max((self.at - since).total_seconds(), 0.0)


async def read_state(db: Database, now: datetime, *, silent_after_s: float) -> OpsState:
    """Read the backlog and the job queue (when there is one) in one session.

    A worker silent for `silent_after_s` (`workers.stalled_after_s`) is taken for dead.
    """
    async with db.session() as session:
        backlog = await read_backlog(session, now)
        jobs = None
        if db.dialect == "postgresql" and await dispatch.job_tables_exist(session):
            jobs = JobQueue(
                waiting=await dispatch.queue_depths(session),
                running=await dispatch.running_job_count(session, alive_within_s=silent_after_s),
                stalled=await dispatch.stalled_job_count(session, silent_for_s=silent_after_s),
                oldest_waiting_since=await dispatch.oldest_waiting_job_at(session),
                senders_alive=tuple(await dispatch.senders_alive(session, SENDER_PLATFORMS)),
            )
    return OpsState(at=now, dialect=db.dialect, backlog=backlog, jobs=jobs)


def record_queue_gauges(metrics: Metrics, state: OpsState) -> None:
    """Set the queue depth and lag gauges from a snapshot (the jobs' only when there are)."""
    metrics.set_queue(
        "outbox", depth=state.backlog.posts_due, lag_s=state.oldest_post_age_s() or 0.0
    )
    if state.jobs is not None:
        metrics.set_queue("jobs", depth=state.jobs.depth, lag_s=state.job_lag_s() or 0.0)
