"""The in-process runner: one APScheduler interval job asks the database what is due.

Every schedule lives in our own UTC columns (feeds.next_poll_at, channels.next_digest_at,
outbox.next_attempt_at), so a restart rebuilds everything from the tables and a distributed
task queue could later run the same units of work (`poll_feeds`, `build_channel_digest`,
`deliver_outbox_row`) without a rewrite. The APScheduler job itself holds no state: it has
an explicit id, replaces any older copy, coalesces missed runs into one and never overlaps.

After downtime a channel gets one catch-up digest (its most recent missed period), never
one per missed day.

Polling never holds digests back: a tick starts a poll pass as a task of its own (never two
at once), gives it a short head start so that fresh articles make a digest due now, then
builds and delivers whatever the feeds are doing. A pass ends at its deadline; the feeds it
did not finish stay claimed until the claim runs out, then are due again. Retention runs the
same way, as an hourly task of its own, in small batches.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.channels.daily import (
    BuildDeps,
    ChannelJob,
    build_job,
    load_channel_jobs,
    prefetch_articles,
)
from bot.channels.delivery import DeliveryPolicy, Poster, ReadyPost, deliver_outbox_row
from bot.channels.timing import (
    latest_digest_at,
    local_date_of,
    next_digest_at,
    parse_time,
    parse_zone,
)
from bot.clock import Clock
from bot.digest.compose import BuildCache
from bot.feeds.poll import PollOutcome
from bot.store import channels as channel_store
from bot.store import feeds as feed_store
from bot.store import outbox as outbox_store
from bot.store.db import Database, WriteBatcher
from bot.store.retention import RetentionPolicy, prune

log = logging.getLogger(__name__)

TICK_JOB_ID = "newsbot-tick"
# Poll these feeds now; returns one outcome per feed (bot.feeds.poll.poll_feeds).
PollFeeds = Callable[[Sequence[int], datetime], Awaitable[Sequence[PollOutcome]]]
BUILD_RETRY = timedelta(minutes=5)
POLL_HEAD_START_S = 2.0  # a tick waits this long for its poll pass before building digests
CLAIM_MARGIN_S = 60.0  # a claimed feed is due again this long after its pass's deadline
PRUNE_EVERY_S = 3600.0
FIRST_BATCH = 50
Delivery = tuple[int, ReadyPost | None]  # an outbox row, and its contents when just built


def feed_disabled_notice(outcome: PollOutcome) -> str:
    """What the channels following a feed are told when it was disabled."""
    return (
        f"The feed {outcome.name or outcome.url} was disabled after repeated failures "
        f"({outcome.error.rstrip('.')}). New articles from it will not appear until the "
        "operator re-enables it (newsbot feeds enable)."
    )


@dataclass
class TickReport:
    """What one tick did (logged, and read by tests and the benchmark)."""

    feeds_polled: int = 0
    digests_built: int = 0
    digests_empty: int = 0
    build_errors: int = 0
    deliveries: Counter[str] = field(default_factory=Counter)
    cache: BuildCache | None = None
    build_phase_s: float = 0.0  # from the start of the tick until the last digest was built
    total_s: float = 0.0


@dataclass
class Scheduler:
    """Runs ticks: poll due feeds, build due digests, deliver due posts (pipelined)."""

    db: Database
    build: BuildDeps
    posters: MutableMapping[str, Poster]
    clock: Clock
    poll_feeds: PollFeeds | None = None
    policy: DeliveryPolicy = field(default_factory=DeliveryPolicy)
    tick_s: float = 30.0
    delivery_concurrency: int = 32
    build_concurrency: int = 4
    batch: int = 1000
    poll_deadline_s: float = 300.0
    poll_head_start_s: float = POLL_HEAD_START_S
    retention: RetentionPolicy | None = None
    _aps: AsyncIOScheduler | None = None
    _running: asyncio.Task[None] | None = None
    _polling: asyncio.Task[int] | None = None
    _pruning: asyncio.Task[None] | None = None
    _last_prune: float | None = None
    _stopping: bool = False

    async def tick(self) -> TickReport:
        """One pass over everything due now. Safe to run again at any time (idempotent)."""
        report = TickReport(cache=BuildCache())
        writer = WriteBatcher(self.db)
        started = time.perf_counter()
        now = self.clock()
        report.feeds_polled = await self._start_poll_pass(now)
        self._start_prune(now)
        queue: asyncio.Queue[Delivery | None] = asyncio.Queue()
        workers = [
            asyncio.create_task(self._deliver_worker(queue, report, writer))
            for _ in range(self.delivery_concurrency)
        ]
        try:
            async with self.db.session() as session:
                for outbox_id in await outbox_store.due_outbox_ids(session, now, limit=self.batch):
                    queue.put_nowait((outbox_id, None))
            await self._build_due_digests(now, queue, report, writer)
            report.build_phase_s = time.perf_counter() - started
        except BaseException:
            # A stop (or a failure) ends the posts in flight too: waiting for them held the
            # stop until a held post timed out. An interrupted post is found again through the
            # outbox on the next start, exactly as after a crash.
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers)
        report.total_s = time.perf_counter() - started
        return report

    async def _start_poll_pass(self, now: datetime) -> int:
        """Start a poll pass unless one is running; wait for it a moment, never longer.

        Returns how many feeds the pass took, once it finished within the head start (0 when
        it is still going, or when the pass before is still running).
        """
        if self.poll_feeds is None:
            return 0
        if self._polling is None or self._polling.done():
            self._polling = asyncio.create_task(self._poll_pass(now), name="newsbot-poll-pass")
            self._polling.add_done_callback(_log_failure)
        done, _ = await asyncio.wait({self._polling}, timeout=self.poll_head_start_s)
        task = next(iter(done), None)
        if task is None or task.cancelled() or task.exception() is not None:
            return 0  # still going, or failed (`_log_failure` said why)
        return task.result()

    async def _poll_pass(self, now: datetime) -> int:
        """Claim the due feeds and poll them, within the pass's deadline."""
        assert self.poll_feeds is not None
        claim_s = self.poll_deadline_s + CLAIM_MARGIN_S
        async with self.db.write() as session:
            due = await feed_store.claim_due_feeds(session, now, limit=self.batch, claim_s=claim_s)
        if not due:
            return 0
        try:
            outcomes = await asyncio.wait_for(self.poll_feeds(due, now), self.poll_deadline_s)
        except TimeoutError:
            log.warning(
                "a poll pass of %d feeds reached its %.0f s deadline (scheduler.poll_deadline_s); "
                "the feeds it did not finish are polled again in %.0f s",
                len(due),
                self.poll_deadline_s,
                CLAIM_MARGIN_S,
            )
            return len(due)
        except Exception:
            log.exception("polling %d due feeds failed", len(due))
            return len(due)
        for outcome in outcomes:
            if outcome.status == "disabled":
                await self._tell_feed_disabled(outcome)
        return len(due)

    def _start_prune(self, now: datetime) -> None:
        """Apply retention in the background, at most hourly, never two at once."""
        if self.retention is None or not self.retention.enabled:
            return
        if self._pruning is not None and not self._pruning.done():
            return
        started = time.monotonic()
        if self._last_prune is not None and started - self._last_prune < PRUNE_EVERY_S:
            return
        self._last_prune = started
        self._pruning = asyncio.create_task(self._prune(now), name="newsbot-prune")
        self._pruning.add_done_callback(_log_failure)

    async def _prune(self, now: datetime) -> None:
        assert self.retention is not None
        report = await prune(self.db, self.retention, now=now)
        if report.total:
            log.info("retention: %s", report.describe())

    async def _tell_feed_disabled(self, outcome: PollOutcome) -> None:
        """Tell every channel following a feed that it was disabled, and why (once: a
        disabled feed is never due again until the operator re-enables it)."""
        async with self.db.session() as session:
            followers = await channel_store.channels_following_feed(session, outcome.feed_id)
        text = feed_disabled_notice(outcome)
        for where in followers:
            poster = self.posters.get(where.platform)
            if poster is None:
                continue
            try:
                await poster.notify(where, text)
            except Exception as error:  # the channel may refuse; the log keeps the reason
                log.warning("could not tell %s that a feed was disabled: %s", where.key, error)

    async def _build_due_digests(
        self,
        now: datetime,
        queue: asyncio.Queue[Delivery | None],
        report: TickReport,
        writer: WriteBatcher,
    ) -> None:
        """Build every due channel's digest, a batch of channels at a time.

        Each batch is loaded in a handful of queries (channels, subscriptions, recent
        digests, the articles of every feed and topic involved); building a channel is then
        CPU work on shared, cached clusters and summaries, plus one group-committed write.
        """
        gate = asyncio.Semaphore(self.build_concurrency)
        seen: set[int] = set()
        assert report.cache is not None
        # A small first batch gets the first posts out (and the rate limit busy) at once.
        limit = min(self.batch, FIRST_BATCH)
        while True:
            async with self.db.session() as session:
                due = [
                    cid
                    for cid in await channel_store.due_channel_ids(session, now, limit=limit)
                    if cid not in seen
                ]
                if not due:
                    return
                seen.update(due)
                limit = self.batch
                jobs = await load_channel_jobs(session, due, now=now)
                plans = [(job, *self._plan(job, now)) for job in jobs.values()]
                await prefetch_articles(
                    session,
                    [(job, job.period(day)) for job, day, _ in plans],
                    max_age_hours=self.build.max_age_hours,
                    cache=report.cache,
                )

            async def one(job: ChannelJob, day: date, following: datetime) -> None:
                async with gate:
                    await self._build_one(job, day, following, queue, report, writer)

            await asyncio.gather(*(one(job, day, following) for job, day, following in plans))

    @staticmethod
    def _plan(job: ChannelJob, now: datetime) -> tuple[date, datetime]:
        """The local date to build (the latest due one: one catch-up, never a burst) and
        when the channel is due next."""
        at, zone = parse_time(job.digest_time), parse_zone(job.timezone)
        return local_date_of(latest_digest_at(now, at, zone), zone), next_digest_at(now, at, zone)

    async def _build_one(
        self,
        job: ChannelJob,
        day: date,
        following: datetime,
        queue: asyncio.Queue[Delivery | None],
        report: TickReport,
        writer: WriteBatcher,
    ) -> None:
        assert report.cache is not None
        try:
            outcome = await build_job(
                self.db,
                job,
                day,
                deps=self.build,
                cache=report.cache,
                writer=writer,
                next_digest_at=following,
            )
        except Exception:
            log.exception("building the digest of channel %d failed", job.channel_id)
            report.build_errors += 1
            retry = min(self.clock() + BUILD_RETRY, following)
            await writer.run(lambda s: channel_store.set_next_digest(s, job.channel_id, retry))
            return
        if outcome.outbox_id is None:
            report.digests_empty += 1
            return
        report.digests_built += int(outcome.created)
        queue.put_nowait((outcome.outbox_id, outcome.ready))

    async def _deliver_worker(
        self, queue: asyncio.Queue[Delivery | None], report: TickReport, writer: WriteBatcher
    ) -> None:
        while (item := await queue.get()) is not None:
            outbox_id, ready = item
            try:
                outcome = await deliver_outbox_row(
                    self.db,
                    self.posters,
                    outbox_id,
                    clock=self.clock,
                    policy=self.policy,
                    writer=writer,
                    ready=ready,
                )
            except Exception:
                log.exception("delivering outbox row %d failed", outbox_id)
                outcome = "retry"
            report.deliveries[outcome] += 1

    async def _run_tick(self) -> None:
        if self._stopping:  # submitted just before the stop: nothing more may start
            return
        self._running = asyncio.current_task()
        try:
            report = await self.tick()
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # Our own stop: the outbox finishes any interrupted post on the next start, so
            # this is an orderly end, not a job failure for the APScheduler log.
            log.debug("tick interrupted by shutdown")
            return
        except Exception:
            log.exception("scheduler tick failed")
            return
        if report.feeds_polled or report.digests_built or report.deliveries:
            # Routine, every few seconds: at INFO it would bury (and, on the console,
            # interrupt) what matters; failures and deliveries are logged where they happen.
            log.debug(
                "tick: %d feeds polled, %d digests built, deliveries %s",
                report.feeds_polled,
                report.digests_built,
                dict(report.deliveries),
            )

    def start(self) -> None:
        """Start the interval job (first tick at once). Needs a running event loop."""
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(
            self._run_tick,
            "interval",
            seconds=self.tick_s,
            id=TICK_JOB_ID,
            replace_existing=True,
            # A late or missed tick runs once, not once per missed interval: the tick
            # itself reads what is due from the tables, so nothing is lost by coalescing.
            coalesce=True,
            max_instances=1,
            # A tick delayed by a busy loop still runs if it is less than one interval
            # late; later than that the next regular tick covers it.
            misfire_grace_time=max(1, int(self.tick_s)),
            next_run_time=datetime.now(UTC),
        )
        scheduler.start()
        self._aps = scheduler

    async def stop(self) -> None:
        """Stop the interval job and cancel a tick in progress.

        Cancelling is safe at any point: a post interrupted mid-way is found again through
        the outbox (`find_posted`) by the next run, exactly as after a crash.
        """
        self._stopping = True
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
        await asyncio.sleep(0)  # a tick APScheduler submitted just now starts, and sees the stop
        tasks = [self._running, self._polling, self._pruning]
        self._running = self._polling = self._pruning = None
        pending = {task for task in tasks if task is not None and not task.done()}
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)


def _log_failure(task: asyncio.Task[object]) -> None:
    """A background pass that failed says so (its error would otherwise go unseen)."""
    if not task.cancelled() and task.exception() is not None:
        log.error("%s failed", task.get_name(), exc_info=task.exception())
