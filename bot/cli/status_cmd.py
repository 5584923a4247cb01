"""`newsbot status`: what waits and who works, for the operator, on any database.

It reads the database only (no process needs to be running, none is disturbed): feeds due
for a poll, digests due, posts in the outbox and how long the oldest due one has waited, and
on PostgreSQL with workers the job queue (waiting per queue, running, the oldest waiting job)
and which platforms have a sender. On SQLite the job queue and senders say "not used": one
`newsbot run` does all the work there.
"""

from __future__ import annotations

import argparse
from typing import Any

from bot.clock import utc_now
from bot.config import Settings
from bot.ops.state import SENDER_PLATFORMS, OpsState, read_state
from bot.store.db import open_database


def register(subparsers: Any) -> None:
    """Add `status` to the `newsbot` command line."""
    status = subparsers.add_parser(
        "status",
        help="what is due and waiting: feeds, digests, the outbox, the job queue, senders",
        description="Read the database and say what is due and waiting, and (PostgreSQL "
        "scale-out) the job queue's depth and which platforms have a sender.",
    )
    status.set_defaults(handler=run_status)


async def run_status(args: argparse.Namespace, settings: Settings) -> int:
    db = await open_database(settings.database.url)
    try:
        state = await read_state(db, utc_now(), silent_after_s=settings.workers.stalled_after_s)
    finally:
        await db.close()
    print("\n".join(status_lines(state)))
    return 0


def status_lines(state: OpsState) -> list[str]:
    """The report, one fact per line."""
    backlog = state.backlog
    lines = [
        f"Database: {state.dialect}",
        f"Feeds due for a poll: {backlog.feeds_due}",
        f"Digests due: {backlog.digests_due}",
        _outbox_line(state),
    ]
    jobs = state.jobs
    if jobs is None:
        why = (
            "SQLite: one `newsbot run` does all the work"
            if state.dialect == "sqlite"
            else "no job queue in this database; `newsbot db upgrade` adds it for workers"
        )
        lines.append(f"Job queue: not used ({why})")
        lines.append("Senders alive: not used")
        return lines
    per_queue = ", ".join(f"{name} {count}" for name, count in sorted(jobs.waiting.items()))
    lag = state.job_lag_s()
    oldest = "" if lag is None else f"; the oldest has waited {_duration(lag)}"
    lines.append(
        f"Job queue: {jobs.depth} waiting{f' ({per_queue})' if per_queue else ''}, "
        f"{jobs.running} running, {jobs.stalled} stalled{oldest}"
    )
    missing = [p for p in SENDER_PLATFORMS if p not in jobs.senders_alive]
    alive = ", ".join(jobs.senders_alive) or "none"
    lines.append(
        f"Senders alive: {alive}" + (f" (none for {', '.join(missing)})" if missing else "")
    )
    return lines


def _outbox_line(state: OpsState) -> str:
    backlog = state.backlog
    posts = "1 post" if backlog.posts_pending == 1 else f"{backlog.posts_pending} posts"
    age = state.oldest_post_age_s()
    if not backlog.posts_due or age is None:
        return f"Outbox: {posts} pending, none due"
    return (
        f"Outbox: {posts} pending, {backlog.posts_due} due; "
        f"the oldest due has waited {_duration(age)}"
    )


def _duration(seconds: float) -> str:
    """A short human duration: 45 s, 12 min, 3 h 5 min."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"
