"""Exactly-once posting of stored digests through a platform `Poster`.

The digest and its outbox row were committed together before anything is posted. Delivering
one row is then: lease it (attempts + 1, committed), ask the platform whether an earlier
attempt already got through (`find_posted`, only when there was one), post it if not, and mark
it sent. A crash before the post leaves the row pending and the next attempt finds nothing and
posts; a crash after the platform accepted it but before the commit leaves the row pending and
the next attempt finds the post and only marks it. Either way the digest appears once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, Protocol

from bot.clock import Clock
from bot.digest.render import digest_from_dict
from bot.models import ChannelRef, Digest
from bot.store import channels as channel_store
from bot.store import outbox as outbox_store
from bot.store.channels import run_write
from bot.store.db import Database, WriteBatcher
from bot.store.outbox import LeasedPost

if TYPE_CHECKING:
    from bot.ops.metrics import Metrics

log = logging.getLogger(__name__)

DeliveryOutcome = Literal["sent", "found", "retry", "failed", "skipped"]


@dataclass(frozen=True)
class PostResult:
    """Where a digest was posted: its message, and the thread for follow-up questions."""

    message_id: str
    thread_id: str = ""  # "" when the platform opened no thread
    # The post's later messages when the platform took several (Slack): a reply under any
    # of them is a question about this digest.
    part_ids: tuple[str, ...] = ()


class PostError(Exception):
    """A poster could not post. `retryable` False means retrying soon will not help
    (e.g. the bot lacks permission in the channel); `retry_after_s` when the platform said.
    `channel_unreachable`: no message can reach the channel at all (deleted, the bot removed
    from its server), so telling the channel why would only be one more refused request."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = True,
        retry_after_s: float | None = None,
        channel_unreachable: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.channel_unreachable = channel_unreachable


class Poster(Protocol):
    """One per platform, implemented by its adapter. Rate limiting is the poster's job."""

    @property
    def platform(self) -> str:
        """The `ChannelRef.platform` this poster delivers to ("discord", "slack", ...)."""
        ...

    async def post_digest(
        self, where: ChannelRef, digest: Digest, *, idempotency_key: str
    ) -> PostResult: ...

    async def find_posted(self, where: ChannelRef, idempotency_key: str) -> PostResult | None: ...

    async def notify(self, where: ChannelRef, text: str) -> None: ...


@dataclass(frozen=True)
class DeliveryPolicy:
    """Retry timing. The lease is how long a taken row stays invisible to other runners."""

    lease_s: float = 60.0
    backoff_base_s: float = 30.0
    backoff_max_s: float = 3600.0
    blocked_retry_s: float = 3600.0  # non-retryable errors (permissions): try again much later
    no_poster_retry_s: float = 300.0  # the platform's adapter is not running in this process
    give_up_after_h: float = 48.0  # a digest this much past its period is no longer news
    metrics: Metrics | None = None  # counts posts sent and refused, by platform


@dataclass(frozen=True)
class ReadyPost:
    """A digest its builder just stored: delivery needs no read to post it."""

    outbox_id: int
    idempotency_key: str
    where: ChannelRef
    channel_id: int
    digest: Digest
    period_end: datetime


async def deliver_outbox_row(
    db: Database,
    posters: Mapping[str, Poster],
    outbox_id: int,
    *,
    clock: Clock,
    policy: DeliveryPolicy = DeliveryPolicy(),
    writer: WriteBatcher | None = None,
    ready: ReadyPost | None = None,
) -> DeliveryOutcome:
    """Deliver one outbox row exactly once (idempotent: a sent row is left alone).

    `writer` group-commits the row's small writes with other deliveries (the scheduler
    passes one); each write is still committed before the step that depends on it.
    `ready` carries what the builder already knows, which saves reading the row back.
    """
    leased = await _lease(db, writer, outbox_id, clock(), policy, ready)
    if leased is None:
        return "skipped"
    digest = ready.digest if ready is not None else _digest_of(leased)
    poster = posters.get(leased.where.platform)
    if poster is None:
        await _retry_later(
            db,
            leased,
            f"no {leased.where.platform} connection is running in this process",
            clock() + timedelta(seconds=policy.no_poster_retry_s),
            policy,
        )
        return "retry"
    try:
        async with _lease_kept(db, leased, clock, policy):
            found = None
            if leased.earlier_attempts > 0:
                found = await poster.find_posted(leased.where, leased.idempotency_key)
            result = found or await poster.post_digest(
                leased.where, digest, idempotency_key=leased.idempotency_key
            )
    except PostError as error:
        if not error.retryable and policy.metrics is not None:
            policy.metrics.post_refused(leased.where.platform)
        return await _handle_post_error(db, poster, leased, error, clock, policy)
    except Exception as error:  # a poster bug or network error: log it, retry with backoff
        log.exception("posting digest %s to %s failed", leased.idempotency_key, leased.where.key)
        delay = _backoff_s(leased.earlier_attempts + 1, None, policy)
        await _retry_later(
            db,
            leased,
            f"{type(error).__name__}: {error}",
            clock() + timedelta(seconds=delay),
            policy,
        )
        return "retry"
    sent_at = clock()
    await run_write(
        db,
        writer,
        lambda session: outbox_store.mark_sent(
            session,
            leased.outbox_id,
            channel_id=leased.channel_id,
            message_id=result.message_id,
            thread_id=result.thread_id,
            part_ids=result.part_ids,
            now=sent_at,
        ),
    )
    if policy.metrics is not None:  # found: posted by an attempt that died before counting
        policy.metrics.post_sent(leased.where.platform)
    return "found" if found is not None else "sent"


@asynccontextmanager
async def _lease_kept(
    db: Database, leased: LeasedPost, clock: Clock, policy: DeliveryPolicy
) -> AsyncIterator[None]:
    """Renew the lease while the platform call lasts, so that however long a post takes
    (a long rate-limit wait) no other runner takes the row and posts it a second time."""

    async def renew() -> None:
        while True:
            await asyncio.sleep(policy.lease_s / 3)
            try:
                async with db.session() as session:
                    await outbox_store.renew_lease(
                        session,
                        leased.outbox_id,
                        attempts=leased.earlier_attempts + 1,
                        now=clock(),
                        lease_s=policy.lease_s,
                    )
            except Exception as error:  # the database is busy or gone: try again next time
                log.warning("could not renew the lease of %s: %s", leased.idempotency_key, error)

    renewing = asyncio.create_task(renew(), name=f"newsbot-lease-{leased.outbox_id}")
    try:
        yield
    finally:
        renewing.cancel()
        await asyncio.wait({renewing})


async def _lease(
    db: Database,
    writer: WriteBatcher | None,
    outbox_id: int,
    now: datetime,
    policy: DeliveryPolicy,
    ready: ReadyPost | None,
) -> LeasedPost | None:
    if ready is None:
        return await run_write(
            db,
            writer,
            lambda s: outbox_store.lease_outbox_row(s, outbox_id, now, lease_s=policy.lease_s),
        )
    attempts = await run_write(
        db,
        writer,
        lambda s: outbox_store.lease_known_row(s, outbox_id, now, lease_s=policy.lease_s),
    )
    if attempts is None:
        return None
    return LeasedPost(
        outbox_id=outbox_id,
        idempotency_key=ready.idempotency_key,
        where=ready.where,
        channel_id=ready.channel_id,
        digest_id=ready.digest.id,
        payload={},
        period_end=ready.period_end,
        earlier_attempts=attempts - 1,
    )


def _digest_of(leased: LeasedPost) -> Digest:
    return replace(digest_from_dict(leased.payload), id=leased.digest_id)


# Longer than any give-up time. A platform's "retry after 1e12 s" (or inf) is capped to it, so
# the retry time stays a valid date and the row is given up instead of the delivery crashing
# and the row coming back every lease.
_LONGEST_WAIT_S = 366 * 24 * 3600.0


def _backoff_s(attempt: int, retry_after_s: float | None, policy: DeliveryPolicy) -> float:
    exponent = min(max(attempt - 1, 0), 20)
    delay = min(policy.backoff_base_s * float(2**exponent), policy.backoff_max_s)
    if retry_after_s is not None and retry_after_s > 0:
        delay = max(delay, min(retry_after_s, _LONGEST_WAIT_S))
    return delay


async def _handle_post_error(
    db: Database,
    poster: Poster,
    leased: LeasedPost,
    error: PostError,
    clock: Clock,
    policy: DeliveryPolicy,
) -> DeliveryOutcome:
    now = clock()
    if error.retryable:
        delay = _backoff_s(leased.earlier_attempts + 1, error.retry_after_s, policy)
        log.warning(
            "posting digest %s failed (%s); retrying in %.0f s",
            leased.idempotency_key,
            error,
            delay,
        )
        return await _retry_later(db, leased, str(error), now + timedelta(seconds=delay), policy)
    paused = error.channel_unreachable and await _pause_channel(db, leased, str(error), now)
    log.error(
        "cannot post digest %s to %s: %s; the digest is kept and retried in %.0f min%s",
        leased.idempotency_key,
        leased.where.key,
        error,
        policy.blocked_retry_s / 60,
        f"; the channel is paused (no new digests) until `newsbot channels resume "
        f"{leased.channel_id}` (or `newsbot channels remove {leased.channel_id}`)"
        if paused
        else "",
    )
    if not error.channel_unreachable:
        try:
            await poster.notify(
                leased.where,
                f"newsbot could not post its digest here: {error} "
                "The digest is kept and will be tried again later.",
            )
        except Exception as notify_error:  # the channel may refuse this too; the log has it
            log.warning("could not tell %s why: %s", leased.where.key, notify_error)
    retry_at = now + timedelta(seconds=policy.blocked_retry_s)
    return await _retry_later(db, leased, str(error), retry_at, policy)


async def _pause_channel(db: Database, leased: LeasedPost, reason: str, now: datetime) -> bool:
    """The channel takes no posts: no digest is built for it until an operator resumes it
    (this row is still retried, in case the platform's answer was wrong). False when it
    already was paused."""
    async with db.session() as session:
        return await channel_store.pause_channel(session, leased.channel_id, reason, now)


async def _retry_later(
    db: Database, leased: LeasedPost, error: str, retry_at: datetime, policy: DeliveryPolicy
) -> DeliveryOutcome:
    give_up = retry_at > leased.period_end + timedelta(hours=policy.give_up_after_h)
    async with db.session() as session:
        await outbox_store.record_failure(
            session, leased.outbox_id, error=error, retry_at=None if give_up else retry_at
        )
    if give_up:
        log.error("gave up on digest %s: %s", leased.idempotency_key, error)
        return "failed"
    return "retry"


async def deliver_due(
    db: Database,
    posters: Mapping[str, Poster],
    *,
    clock: Clock,
    policy: DeliveryPolicy = DeliveryPolicy(),
    concurrency: int = 32,
    limit: int = 10_000,
) -> list[DeliveryOutcome]:
    """Deliver every outbox row that is due now, `concurrency` at a time."""
    async with db.session() as session:
        due = await outbox_store.due_outbox_ids(session, clock(), limit=limit)
    return await deliver_rows(db, posters, due, clock=clock, policy=policy, concurrency=concurrency)


async def deliver_rows(
    db: Database,
    posters: Mapping[str, Poster],
    outbox_ids: Sequence[int],
    *,
    clock: Clock,
    policy: DeliveryPolicy = DeliveryPolicy(),
    concurrency: int = 32,
) -> list[DeliveryOutcome]:
    """Deliver these outbox rows with bounded concurrency; outcomes in the same order."""
    gate = asyncio.Semaphore(concurrency)

    async def one(outbox_id: int) -> DeliveryOutcome:
        async with gate:
            return await deliver_outbox_row(db, posters, outbox_id, clock=clock, policy=policy)

    return list(await asyncio.gather(*(one(i) for i in outbox_ids)))
