"""Queries of the operator's view: what is due and waiting (`newsbot status`, /readyz, metrics).

Read-only and cheap (each is one indexed count or min), so a scrape every few seconds costs
the database nothing noticeable. The job queue's own tables are read in `dispatch`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.schema import ChannelRow, FeedRow, OutboxRow


@dataclass(frozen=True)
class Backlog:
    """Work whose time has come and that no runner has done yet."""

    feeds_due: int
    digests_due: int
    posts_pending: int  # due now or later
    posts_due: int
    oldest_post_due_at: datetime | None  # the longest-waiting due post's next attempt time


async def read_backlog(session: AsyncSession, now: datetime) -> Backlog:
    """Feeds due for a poll, channels due for a digest, and posts waiting in the outbox."""
    feeds_due = await session.scalar(
        select(func.count())
        .select_from(FeedRow)
        .where(FeedRow.disabled.is_(False), FeedRow.next_poll_at <= now)
    )
    digests_due = await session.scalar(
        select(func.count())
        .select_from(ChannelRow)
        .where(
            ChannelRow.digest_enabled.is_(True),
            ChannelRow.paused_at.is_(None),
            ChannelRow.next_digest_at <= now,
        )
    )
    pending = OutboxRow.state == "pending"
    posts_pending = await session.scalar(select(func.count()).select_from(OutboxRow).where(pending))
    due = await session.execute(
        select(func.count(), func.min(OutboxRow.next_attempt_at)).where(
            pending, OutboxRow.next_attempt_at <= now
        )
    )
    posts_due, oldest = due.one()
    return Backlog(
        feeds_due=int(feeds_due or 0),
        digests_due=int(digests_due or 0),
        posts_pending=int(posts_pending or 0),
        posts_due=int(posts_due or 0),
        oldest_post_due_at=oldest,
    )


async def database_answers(session: AsyncSession) -> bool:
    """Whether the database runs a trivial query (readiness)."""
    answer = await session.scalar(text("SELECT 1"))
    return bool(answer == 1)
