"""Outbox queries: which posts are due, leasing one for delivery, recording the outcome.

A row is leased with one conditional UPDATE (state pending and due -> attempts + 1, due again
after the lease), which is atomic on SQLite and PostgreSQL alike, so two runners never post
the same row at the same time. `attempts > 0` at lease time tells the deliverer that an
earlier attempt may have reached the platform, so it asks the platform before posting again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ChannelRef
from bot.store.schema import ChannelRow, DigestRow, OutboxRow, PostPartRow


@dataclass(frozen=True)
class LeasedPost:
    """An outbox row taken for one delivery attempt."""

    outbox_id: int
    idempotency_key: str
    where: ChannelRef
    channel_id: int
    digest_id: str
    payload: dict[str, Any]
    period_end: datetime
    earlier_attempts: int  # attempts before this one: > 0 means "ask the platform first"


async def due_outbox_ids(session: AsyncSession, now: datetime, *, limit: int) -> list[int]:
    """Pending outbox rows whose next attempt is due, oldest first."""
    result = await session.execute(
        select(OutboxRow.id)
        .where(OutboxRow.state == "pending", OutboxRow.next_attempt_at <= now)
        .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
        .limit(limit)
    )
    return list(result.scalars())


async def pending_post_count(session: AsyncSession) -> int:
    """Posts still waiting to be delivered (due now or later)."""
    count = await session.scalar(
        select(func.count()).select_from(OutboxRow).where(OutboxRow.state == "pending")
    )
    return int(count or 0)


async def lease_outbox_row(
    session: AsyncSession, outbox_id: int, now: datetime, *, lease_s: float
) -> LeasedPost | None:
    """Take a due row for one attempt (None when it is sent, not due or taken by another)."""
    attempts = await lease_known_row(session, outbox_id, now, lease_s=lease_s)
    if attempts is None:
        return None
    found = await session.execute(
        select(OutboxRow, ChannelRow, DigestRow)
        .join(ChannelRow, ChannelRow.id == OutboxRow.channel_id)
        .join(DigestRow, DigestRow.id == OutboxRow.digest_id)
        .where(OutboxRow.id == outbox_id)
    )
    row, channel, digest = found.one()
    return LeasedPost(
        outbox_id=row.id,
        idempotency_key=row.idempotency_key,
        where=ChannelRef(channel.platform, channel.workspace, channel.channel),
        channel_id=channel.id,
        digest_id=digest.id,
        payload=digest.payload,
        period_end=digest.period_end,
        earlier_attempts=attempts - 1,
    )


async def lease_known_row(
    session: AsyncSession, outbox_id: int, now: datetime, *, lease_s: float
) -> int | None:
    """Lease a row whose contents the caller already has: its attempts count, or None."""
    result = await session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.id == outbox_id,
            OutboxRow.state == "pending",
            OutboxRow.next_attempt_at <= now,
        )
        .values(
            attempts=OutboxRow.attempts + 1,
            next_attempt_at=now + timedelta(seconds=lease_s),
        )
        .returning(OutboxRow.attempts)
        .execution_options(synchronize_session=False)
    )
    attempts: int | None = result.scalar_one_or_none()
    return attempts


async def renew_lease(
    session: AsyncSession, outbox_id: int, *, attempts: int, now: datetime, lease_s: float
) -> bool:
    """Extend a lease this attempt still holds (False when the row moved on without it)."""
    result = await session.execute(
        update(OutboxRow)
        .where(
            OutboxRow.id == outbox_id,
            OutboxRow.state == "pending",
            OutboxRow.attempts == attempts,
        )
        .values(next_attempt_at=now + timedelta(seconds=lease_s))
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def mark_sent(
    session: AsyncSession,
    outbox_id: int,
    *,
    channel_id: int,
    message_id: str,
    thread_id: str,
    now: datetime,
    part_ids: Sequence[str] = (),
    scheduled: bool = True,
) -> None:
    """Record a delivered post, where its follow-up thread is, and its later messages.

    A scheduled digest also becomes the channel's last digest; one posted on request
    (`scheduled=False`) leaves the next digest's window where it was."""
    await session.execute(
        update(OutboxRow)
        .where(OutboxRow.id == outbox_id)
        .values(
            state="sent",
            platform_message_id=message_id,
            thread_id=thread_id,
            sent_at=now,
            last_error="",
        )
    )
    parts = [p for p in dict.fromkeys(part_ids) if p and p != message_id]
    if parts:
        await session.execute(delete(PostPartRow).where(PostPartRow.outbox_id == outbox_id))
        await session.execute(
            insert(PostPartRow), [{"outbox_id": outbox_id, "message_id": p} for p in parts]
        )
    if scheduled:
        await session.execute(
            update(ChannelRow).where(ChannelRow.id == channel_id).values(last_digest_at=now)
        )


async def record_failure(
    session: AsyncSession,
    outbox_id: int,
    *,
    error: str,
    retry_at: datetime | None,
) -> None:
    """Record a failed attempt: due again at `retry_at`, or given up (state failed) when None."""
    values: dict[str, Any] = {"last_error": error[:2000]}
    if retry_at is None:
        values["state"] = "failed"
    else:
        values["next_attempt_at"] = retry_at
    await session.execute(update(OutboxRow).where(OutboxRow.id == outbox_id).values(**values))
