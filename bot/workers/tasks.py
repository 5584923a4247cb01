"""The job queue's tasks: thin wrappers that unpack plain arguments and call the units of work.

Four tasks, each on its own queue so workers can be split by kind of work:

- `newsbot.tick` (queue `tick`), deferred every minute by the queue's periodic deferrer with
  the minute's timestamp: claims what is due then and defers the three below; it also puts
  the jobs of workers that stopped answering back in line (stalled-job retry).
- `newsbot.poll_feeds` (queue `poll`): poll these feeds at the tick's time.
- `newsbot.build_digests` (queue `build`): build these channels' digests as due at the tick's
  time, and defer the delivery of each digest stored.
- `newsbot.deliver` (queue `send.<platform>`): deliver this outbox row, run only by that
  platform's one sender; `newsbot.notify` tells a channel that a feed it follows was disabled.
- `newsbot.prune` (queue `tick`), deferred hourly like the tick (the queue keeps one job per
  hour whatever the number of workers): retention (`database.retention_days`), as
  `newsbot run` applies it.

The dependencies of a process (`Units`) reach a task through the worker's context.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from procrastinate import App, JobContext
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.jobs import JobDeferrer

from bot.channels.daily import BuildOutcome
from bot.channels.delivery import deliver_outbox_row
from bot.models import ChannelRef
from bot.store import dispatch
from bot.store.retention import prune
from bot.workers.tick import TickPlan, forget_old_summaries, plan_tick
from bot.workers.units import Units, build_channels, feed_disabled_notices

log = logging.getLogger(__name__)

TICK, POLL, BUILD = "newsbot.tick", "newsbot.poll_feeds", "newsbot.build_digests"
DELIVER, NOTIFY, PRUNE = "newsbot.deliver", "newsbot.notify", "newsbot.prune"
TICK_QUEUE, POLL_QUEUE, BUILD_QUEUE = "tick", "poll", "build"
UNITS_KEY = "newsbot_units"
# The tick (and the hourly prune) run before any waiting poll or build: in a digest wave of
# 100,000 channels the build jobs wait for half an hour, and a tick queued behind them would
# hand out no poll, retry no stalled job and queue no retried post until the wave is built.
HOUSEKEEPING_PRIORITY = 10
EVERY_MINUTE = "* * * * *"
HOURLY_PRUNE = "43 * * * *"  # away from :00, when most digests are built, and the :17 clean-up


def send_queue(platform: str) -> str:
    """The queue a platform's deliveries wait in (drained by its one sender)."""
    return f"send.{platform}"


def _units(context: JobContext) -> Units:
    units = context.additional_context.get(UNITS_KEY)
    if not isinstance(units, Units):
        raise RuntimeError("this worker was started without newsbot's units of work")
    return units


def _at(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


async def tick(context: JobContext, timestamp: int) -> None:
    """Hand out everything due at `timestamp` (the minute this tick was deferred for)."""
    units = _units(context)
    await retry_stalled_jobs(context.app, units.stalled_after_s)
    await forget_old_summaries(units.db, _at(timestamp))
    first = True
    while True:  # a wave larger than one round (100,000 channels at 07:00) in several
        plan = await plan_tick(
            units.db, _at(timestamp), batch=units.batch, claim_s=units.claim_s, with_posts=first
        )
        await defer_plan(context.app, plan, timestamp)
        if not plan.more:
            return
        first = False


async def poll_feeds(context: JobContext, feed_ids: list[int], timestamp: float) -> None:
    units = _units(context)
    outcomes = await units.poll(feed_ids, _at(timestamp))
    for where, text in await feed_disabled_notices(units.db, outcomes):
        await context.app.configure_task(NOTIFY, queue=send_queue(where.platform)).defer_async(
            platform=where.platform, workspace=where.workspace, channel=where.channel, text=text
        )


async def build_digests(context: JobContext, channel_ids: list[int], timestamp: float) -> None:
    units = _units(context)

    async def deliver_when_stored(outcome: BuildOutcome) -> None:
        if outcome.ready is not None:
            await defer_delivery(context.app, outcome.ready.where.platform, outcome.ready.outbox_id)

    await build_channels(
        units.db,
        units.build,
        channel_ids,
        _at(timestamp),
        on_built=deliver_when_stored,
        writer=units.writer,
    )


async def deliver(context: JobContext, outbox_id: int) -> None:
    units = _units(context)
    await deliver_outbox_row(
        units.db,
        units.posters,
        outbox_id,
        clock=units.clock,
        policy=units.policy,
        writer=units.writer,
    )


async def notify(
    context: JobContext, platform: str, workspace: str, channel: str, text: str
) -> None:
    """Tell a channel something (a feed was disabled); a channel that refuses is logged."""
    where = ChannelRef(platform, workspace, channel)
    poster = _units(context).posters.get(platform)
    if poster is None:
        log.warning("no %s poster in this sender: %s not told: %s", platform, where.key, text)
        return
    try:
        await poster.notify(where, text)
    except Exception as error:  # the channel may refuse; the log keeps the reason
        log.warning("could not tell %s: %s (%s)", where.key, text, error)


async def prune_old_rows(context: JobContext, timestamp: int) -> None:
    """Apply retention as of `timestamp` (the hour this job was deferred for)."""
    units = _units(context)
    if units.retention is None or not units.retention.enabled:
        return
    report = await prune(units.db, units.retention, now=_at(timestamp))
    if report.total:
        log.info("retention: %s", report.describe())


def register_tasks(app: App, *, periodic_tick: bool = True) -> None:
    """Add newsbot's tasks to `app`; with `periodic_tick` its workers defer the minute tick
    and the hourly prune."""
    app.task(name=POLL, queue=POLL_QUEUE, pass_context=True)(poll_feeds)
    app.task(name=BUILD, queue=BUILD_QUEUE, pass_context=True)(build_digests)
    app.task(name=DELIVER, pass_context=True)(deliver)
    app.task(name=NOTIFY, pass_context=True)(notify)
    first = HOUSEKEEPING_PRIORITY
    ticking = app.task(name=TICK, queue=TICK_QUEUE, priority=first, pass_context=True)(tick)
    pruning = app.task(name=PRUNE, queue=TICK_QUEUE, priority=first, pass_context=True)(
        prune_old_rows
    )
    if periodic_tick:
        app.periodic(cron=EVERY_MINUTE, periodic_id="minute")(ticking)
        app.periodic(cron=HOURLY_PRUNE, periodic_id="prune")(pruning)


async def defer_plan(app: App, plan: TickPlan, timestamp: float) -> None:
    """Defer one job per batch of the plan, and one delivery per post due."""
    await _batch_defer(
        app, POLL, [{"feed_ids": list(b), "timestamp": timestamp} for b in plan.feed_batches]
    )
    await _batch_defer(
        app, BUILD, [{"channel_ids": list(b), "timestamp": timestamp} for b in plan.channel_batches]
    )
    for platform, outbox_ids in plan.posts.items():
        await defer_deliveries(app, platform, outbox_ids)


async def _batch_defer(app: App, task: str, kwargs: Sequence[dict[str, Any]]) -> None:
    if kwargs:
        await app.tasks[task].batch_defer_async(*kwargs)


async def defer_delivery(app: App, platform: str, outbox_id: int) -> None:
    """Queue the delivery of one outbox row for its platform's sender.

    The queueing lock only keeps one *waiting* job per row (a tick finding the row still due
    adds nothing); that the post appears once is the outbox's doing, not the lock's.
    """
    with contextlib.suppress(AlreadyEnqueued):
        await _delivery(app, platform, outbox_id).defer_async(outbox_id=outbox_id)


async def defer_deliveries(app: App, platform: str, outbox_ids: Sequence[int]) -> None:
    """Queue many deliveries in one round trip; one by one if a row's job was queued
    meanwhile (the queue refuses the whole batch then)."""
    jobs = [_delivery(app, platform, i).make_new_job(outbox_id=i) for i in outbox_ids]
    if not jobs:
        return
    try:
        await app.job_manager.batch_defer_jobs_async(jobs)
    except AlreadyEnqueued:
        for outbox_id in outbox_ids:
            await defer_delivery(app, platform, outbox_id)


def _delivery(app: App, platform: str, outbox_id: int) -> JobDeferrer:
    lock = f"{dispatch.POST_LOCK_PREFIX}{outbox_id}"
    return app.configure_task(DELIVER, queue=send_queue(platform), queueing_lock=lock)


async def retry_stalled_jobs(app: App, silent_s: float) -> int:
    """Put the running jobs of workers silent for `silent_s` back in line; how many."""
    stalled = list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=silent_s))
    for job in stalled:
        log.warning("retrying job %s (%s): its worker stopped answering", job.id, job.task_name)
        await app.job_manager.retry_job(job)
    return len(stalled)
