"""Channel and subscription queries: who gets which feeds and topics, and when.

Plain functions over an `AsyncSession`, so any unit of work (a command, the scheduler tick,
a worker of a future task queue) composes them inside its own transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ChannelRef
from bot.store.db import Database, WriteBatcher, insert_ignoring_conflict
from bot.store.schema import ChannelRow, FeedRow, SubscriptionRow

T = TypeVar("T")


async def run_write(
    db: Database, writer: WriteBatcher | None, write: Callable[[AsyncSession], Awaitable[T]]
) -> T:
    """Run a read-then-write in its own transaction, or group-committed through `writer`.

    Thousands of digests in one tick each need a few small writes; on SQLite one commit per
    write (and writers waiting on each other's locks) would cost more than the work itself.
    """
    if writer is not None:
        return await writer.run(write)
    async with db.write() as session:
        return await write(session)


@dataclass(frozen=True)
class ChannelDefaults:
    """Settings a channel starts with (from `[digest]` in the configuration)."""

    timezone: str = "UTC"
    digest_time: str = "08:00"
    max_items: int = 8
    summariser: str = "auto"


@dataclass(frozen=True)
class SubscriptionView:
    """One subscription as `list` shows it, with the feed's health when it is a feed."""

    id: int
    kind: str  # "feed" | "topic"
    topic: str
    include_words: tuple[str, ...]
    exclude_words: tuple[str, ...]
    feed_id: int | None = None
    feed_url: str = ""
    feed_title: str = ""
    feed_status: str = ""
    feed_error: str = ""
    feed_failures: int = 0
    feed_disabled: bool = False
    feed_disabled_reason: str = ""
    feed_last_success: datetime | None = None


@dataclass(frozen=True)
class Channel:
    """A chat channel as stored: where it is, its digest settings and schedule."""

    id: int
    where: ChannelRef
    timezone: str
    digest_time: str  # local HH:MM
    max_items: int
    summariser: str  # auto | llm | extractive
    digest_enabled: bool
    next_digest_at: datetime | None
    last_digest_at: datetime | None
    # Set when the platform said the channel takes no posts; no digest is built meanwhile.
    paused_at: datetime | None = None
    paused_reason: str = ""


def _to_channel(row: ChannelRow) -> Channel:
    return Channel(
        id=row.id,
        where=ChannelRef(platform=row.platform, workspace=row.workspace, channel=row.channel),
        timezone=row.timezone,
        digest_time=row.digest_time,
        max_items=row.max_items,
        summariser=row.summariser,
        digest_enabled=row.digest_enabled,
        next_digest_at=row.next_digest_at,
        last_digest_at=row.last_digest_at,
        paused_at=row.paused_at,
        paused_reason=row.paused_reason,
    )


def _where_is(where: ChannelRef) -> Any:
    return (
        (ChannelRow.platform == where.platform)
        & (ChannelRow.workspace == where.workspace)
        & (ChannelRow.channel == where.channel)
    )


async def find_channel(session: AsyncSession, where: ChannelRef) -> Channel | None:
    """The channel of a platform channel, or None when it never used the bot."""
    row = await session.scalar(select(ChannelRow).where(_where_is(where)))
    return _to_channel(row) if row is not None else None


async def ensure_channel(
    session: AsyncSession, where: ChannelRef, defaults: ChannelDefaults, now: datetime
) -> Channel:
    """The channel, created with `defaults` on first use (safe against a concurrent insert)."""
    found = await find_channel(session, where)
    if found is not None:
        return found
    await insert_ignoring_conflict(
        session,
        ChannelRow,
        {
            "platform": where.platform,
            "workspace": where.workspace,
            "channel": where.channel,
            "timezone": defaults.timezone,
            "digest_time": defaults.digest_time,
            "max_items": defaults.max_items,
            "summariser": defaults.summariser,
            "digest_enabled": True,
            "created_at": now,
        },
    )
    created = await find_channel(session, where)
    assert created is not None
    return created


async def channels_by_ids(session: AsyncSession, channel_ids: Sequence[int]) -> list[Channel]:
    """The channels with these ids that exist (the scheduler loads them in bulk)."""
    if not channel_ids:
        return []
    rows = await session.scalars(select(ChannelRow).where(ChannelRow.id.in_(list(channel_ids))))
    return [_to_channel(row) for row in rows]


async def save_settings(session: AsyncSession, channel: Channel) -> None:
    """Store a channel's digest settings and next digest time as `channel` holds them."""
    await session.execute(
        update(ChannelRow)
        .where(ChannelRow.id == channel.id)
        .values(
            timezone=channel.timezone,
            digest_time=channel.digest_time,
            max_items=channel.max_items,
            summariser=channel.summariser,
            digest_enabled=channel.digest_enabled,
            next_digest_at=channel.next_digest_at,
        )
    )


async def set_next_digest(session: AsyncSession, channel_id: int, at: datetime | None) -> None:
    """Store when the channel's next digest is due (None: no digest scheduled)."""
    await session.execute(
        update(ChannelRow).where(ChannelRow.id == channel_id).values(next_digest_at=at)
    )


def due_channels(now: datetime, *, limit: int) -> Select[int]:
    """The query of the channels whose digest is due: enabled, not paused, next_digest_at at
    or before `now`, oldest first (the scaled-out tick claims the same rows)."""
    return (
        select(ChannelRow.id)
        .where(
            ChannelRow.digest_enabled.is_(True),
            ChannelRow.paused_at.is_(None),
            ChannelRow.next_digest_at <= now,
        )
        .order_by(ChannelRow.next_digest_at, ChannelRow.id)
        .limit(limit)
    )


async def due_channel_ids(session: AsyncSession, now: datetime, *, limit: int) -> list[int]:
    """Channels whose digest is due (`due_channels`)."""
    return list((await session.execute(due_channels(now, limit=limit))).scalars())


async def add_feed_subscription(
    session: AsyncSession,
    channel_id: int,
    feed_id: int,
    *,
    include: Sequence[str],
    exclude: Sequence[str],
    now: datetime,
) -> bool:
    """Subscribe a channel to a feed; False when it already was (its filters are updated)."""
    return await _add_subscription(
        session, channel_id, "feed", feed_id, "", include=include, exclude=exclude, now=now
    )


async def add_topic_subscription(
    session: AsyncSession,
    channel_id: int,
    topic: str,
    *,
    include: Sequence[str],
    exclude: Sequence[str],
    now: datetime,
) -> bool:
    """Subscribe a channel to a topic; False when it already was (its filters are updated)."""
    return await _add_subscription(
        session, channel_id, "topic", None, topic, include=include, exclude=exclude, now=now
    )


async def _add_subscription(
    session: AsyncSession,
    channel_id: int,
    kind: str,
    feed_id: int | None,
    topic: str,
    *,
    include: Sequence[str],
    exclude: Sequence[str],
    now: datetime,
) -> bool:
    query = select(SubscriptionRow).where(
        SubscriptionRow.channel_id == channel_id, SubscriptionRow.kind == kind
    )
    if kind == "feed":
        query = query.where(SubscriptionRow.feed_id == feed_id)
    else:
        query = query.where(SubscriptionRow.topic == topic)
    existing = (await session.execute(query)).scalar_one_or_none()
    if existing is not None:
        existing.include_words = list(include)
        existing.exclude_words = list(exclude)
        return False
    session.add(
        SubscriptionRow(
            channel_id=channel_id,
            kind=kind,
            feed_id=feed_id,
            topic=topic,
            include_words=list(include),
            exclude_words=list(exclude),
            created_at=now,
        )
    )
    await session.flush()
    return True


async def list_subscriptions(session: AsyncSession, channel_id: int) -> list[SubscriptionView]:
    """The channel's subscriptions in the order they were made, feeds with their health."""
    result = await session.execute(
        select(SubscriptionRow, FeedRow)
        .outerjoin(FeedRow, FeedRow.id == SubscriptionRow.feed_id)
        .where(SubscriptionRow.channel_id == channel_id)
        .order_by(SubscriptionRow.id)
    )
    return [_view(sub, feed) for sub, feed in result]


def _view(sub: SubscriptionRow, feed: FeedRow | None) -> SubscriptionView:
    base = SubscriptionView(
        id=sub.id,
        kind=sub.kind,
        topic=sub.topic,
        include_words=tuple(sub.include_words or ()),
        exclude_words=tuple(sub.exclude_words or ()),
    )
    if feed is None:
        return base
    return SubscriptionView(
        id=base.id,
        kind=base.kind,
        topic=base.topic,
        include_words=base.include_words,
        exclude_words=base.exclude_words,
        feed_id=feed.id,
        feed_url=feed.url,
        feed_title=feed.title or feed.outlet,
        feed_status=feed.last_status,
        feed_error=feed.last_error,
        feed_failures=feed.consecutive_failures,
        feed_disabled=feed.disabled,
        feed_disabled_reason=feed.disabled_reason,
        feed_last_success=feed.last_success_at,
    )


async def remove_subscription(session: AsyncSession, subscription_id: int) -> None:
    """Delete one subscription by id."""
    await session.execute(delete(SubscriptionRow).where(SubscriptionRow.id == subscription_id))


async def subscriptions_of_channels(
    session: AsyncSession, channel_ids: Sequence[int]
) -> dict[int, list[SubscriptionView]]:
    """Subscriptions of many channels in one query (the scheduler builds digests in bulk)."""
    found: dict[int, list[SubscriptionView]] = {cid: [] for cid in channel_ids}
    if not channel_ids:
        return found
    result = await session.execute(
        select(SubscriptionRow, FeedRow)
        .outerjoin(FeedRow, FeedRow.id == SubscriptionRow.feed_id)
        .where(SubscriptionRow.channel_id.in_(list(channel_ids)))
        .order_by(SubscriptionRow.id)
    )
    for sub, feed in result:
        found[sub.channel_id].append(_view(sub, feed))
    return found


async def channels_following_feed(session: AsyncSession, feed_id: int) -> list[ChannelRef]:
    """Every channel subscribed to a feed (to tell them when it is disabled)."""
    result = await session.execute(
        select(ChannelRow)
        .join(SubscriptionRow, SubscriptionRow.channel_id == ChannelRow.id)
        .where(SubscriptionRow.feed_id == feed_id)
        .distinct()
    )
    return [_to_channel(row).where for row in result.scalars()]


async def pause_channel(session: AsyncSession, channel_id: int, reason: str, now: datetime) -> bool:
    """Mark a channel paused (it takes no posts); False when it already was, or is gone."""
    result = await session.execute(
        update(ChannelRow)
        .where(ChannelRow.id == channel_id, ChannelRow.paused_at.is_(None))
        .values(paused_at=now, paused_reason=reason[:2000])
    )
    return bool(getattr(result, "rowcount", 0))


async def resume_channel(
    session: AsyncSession, channel_id: int, next_digest_at: datetime | None
) -> None:
    """Take a channel out of pause; its next digest is due at `next_digest_at`."""
    await session.execute(
        update(ChannelRow)
        .where(ChannelRow.id == channel_id)
        .values(paused_at=None, paused_reason="", next_digest_at=next_digest_at)
    )


async def channel_by_id(session: AsyncSession, channel_id: int) -> Channel | None:
    row = await session.get(ChannelRow, channel_id)
    return _to_channel(row) if row is not None else None


async def all_channels(session: AsyncSession) -> list[tuple[Channel, int]]:
    """Every channel with its number of subscriptions, oldest first (`newsbot channels list`)."""
    count = (
        select(func.count(SubscriptionRow.id))
        .where(SubscriptionRow.channel_id == ChannelRow.id)
        .scalar_subquery()
    )
    result = await session.execute(select(ChannelRow, count).order_by(ChannelRow.id))
    return [(_to_channel(row), int(subs)) for row, subs in result.all()]


async def remove_channel(session: AsyncSession, channel_id: int) -> bool:
    """Delete a channel with its subscriptions, digests and outbox rows (they cascade)."""
    result = await session.execute(delete(ChannelRow).where(ChannelRow.id == channel_id))
    return bool(getattr(result, "rowcount", 0))
