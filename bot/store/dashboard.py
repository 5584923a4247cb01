"""Read-only queries for the web dashboard: channels, feed health, deliveries, LLM use.

Each query takes the workspaces the viewer may see (`Scope`): None means every workspace
(the local operator), a set limits every row to channels in those (platform, workspace)
pairs, so a page can never show another server's data by forgetting a filter.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import ChannelRef
from bot.store.channels import Channel, _to_channel
from bot.store.digests import digests_with_outbox
from bot.store.feeds import Feed, _to_feed
from bot.store.schema import ChannelRow, DigestRow, FeedRow, LlmUsageRow, SubscriptionRow

# (platform, workspace) pairs a viewer may manage; None = all of them.
Scope = Collection[tuple[str, str]] | None


@dataclass(frozen=True)
class ChannelSummary(Channel):
    """A stored channel and how many subscriptions it has."""

    subscriptions: int = 0


@dataclass(frozen=True)
class FeedHealth(Feed):
    """A feed's polling health, and how many of the viewer's channels follow it."""

    followers: int = 0


@dataclass(frozen=True)
class DeliveryEntry:
    """One digest of a channel and what became of its post."""

    digest_id: str
    period_key: str
    built_at: datetime
    state: str  # pending | sent | failed | stored (no outbox row)
    attempts: int
    last_error: str
    sent_at: datetime | None
    next_attempt_at: datetime | None
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class StoredDigest:
    """A digest's payload with the channel it was built for."""

    channel_id: int
    period_key: str
    built_at: datetime
    payload: Mapping[str, Any]


def _in_scope(scope: Scope) -> Any:
    """The WHERE clause limiting channels to `scope`."""
    if scope is None:
        return ChannelRow.id.is_not(None)
    pairs = sorted(set(scope))
    if not pairs:
        return false()
    return or_(
        *(
            and_(ChannelRow.platform == platform, ChannelRow.workspace == workspace)
            for platform, workspace in pairs
        )
    )


async def channels_in_scope(session: AsyncSession, scope: Scope) -> list[ChannelSummary]:
    """Every stored channel the scope covers, with its number of subscriptions."""
    counts = (
        select(SubscriptionRow.channel_id, func.count().label("n"))
        .group_by(SubscriptionRow.channel_id)
        .subquery()
    )
    result = await session.execute(
        select(ChannelRow, counts.c.n)
        .outerjoin(counts, counts.c.channel_id == ChannelRow.id)
        .where(_in_scope(scope))
        .order_by(ChannelRow.platform, ChannelRow.workspace, ChannelRow.channel)
    )
    return [_summary(row, n or 0) for row, n in result]


async def channel_summary(session: AsyncSession, where: ChannelRef) -> ChannelSummary | None:
    """One stored channel with its number of subscriptions; None if it never used the bot."""
    counts = select(func.count()).where(SubscriptionRow.channel_id == ChannelRow.id)
    result = await session.execute(
        select(ChannelRow, counts.scalar_subquery()).where(
            ChannelRow.platform == where.platform,
            ChannelRow.workspace == where.workspace,
            ChannelRow.channel == where.channel,
        )
    )
    found = result.first()
    return _summary(found[0], found[1] or 0) if found else None


def _summary(row: ChannelRow, subscriptions: int) -> ChannelSummary:
    return ChannelSummary(**vars(_to_channel(row)), subscriptions=subscriptions)


def _followed_feeds(scope: Scope) -> Any:
    return (
        select(SubscriptionRow.feed_id, func.count(func.distinct(ChannelRow.id)).label("n"))
        .join(ChannelRow, ChannelRow.id == SubscriptionRow.channel_id)
        .where(SubscriptionRow.feed_id.is_not(None), _in_scope(scope))
        .group_by(SubscriptionRow.feed_id)
    )


async def feeds_in_scope(session: AsyncSession, scope: Scope) -> list[FeedHealth]:
    """Feeds followed by a channel in the scope (every feed for the operator), worst first."""
    followed = _followed_feeds(scope).subquery()
    query = select(FeedRow, followed.c.n)
    if scope is None:
        query = query.outerjoin(followed, followed.c.feed_id == FeedRow.id)
    else:
        query = query.join(followed, followed.c.feed_id == FeedRow.id)
    result = await session.execute(
        query.order_by(FeedRow.disabled.desc(), FeedRow.consecutive_failures.desc(), FeedRow.id)
    )
    return [_health(row, n or 0) for row, n in result]


def _health(row: FeedRow, followers: int) -> FeedHealth:
    return FeedHealth(**vars(_to_feed(row)), followers=followers)


async def feed_in_scope(session: AsyncSession, feed_id: int, scope: Scope) -> bool:
    """True when the feed exists and (unless the scope is everything) a channel in it follows it."""
    if scope is None:
        return await session.get(FeedRow, feed_id) is not None
    found = await session.execute(
        _followed_feeds(scope).where(SubscriptionRow.feed_id == feed_id).limit(1)
    )
    return found.first() is not None


async def delivery_log(
    session: AsyncSession, channel_id: int, *, limit: int = 30
) -> list[DeliveryEntry]:
    """The channel's latest digests, newest first, each with its outbox state."""
    result = await session.execute(
        digests_with_outbox()
        .where(DigestRow.channel_id == channel_id)
        .order_by(DigestRow.period_end.desc(), DigestRow.created_at.desc())
        .limit(limit)
    )
    return [
        DeliveryEntry(
            digest_id=digest.id,
            period_key=digest.period_key,
            built_at=digest.created_at,
            state=outbox.state if outbox else "stored",
            attempts=outbox.attempts if outbox else 0,
            last_error=outbox.last_error if outbox else "",
            sent_at=outbox.sent_at if outbox else None,
            next_attempt_at=outbox.next_attempt_at if outbox else None,
            payload=digest.payload,
        )
        for digest, outbox in result
    ]


async def recent_digests(
    session: AsyncSession, channel_ids: Sequence[int], *, since: datetime
) -> list[StoredDigest]:
    """Digests of these channels built since `since`, newest first."""
    if not channel_ids:
        return []
    result = await session.execute(
        select(DigestRow)
        .where(DigestRow.channel_id.in_(list(channel_ids)), DigestRow.created_at >= since)
        .order_by(DigestRow.created_at.desc())
    )
    return [
        StoredDigest(
            channel_id=row.channel_id,
            period_key=row.period_key,
            built_at=row.created_at,
            payload=row.payload,
        )
        for row in result.scalars()
    ]


async def tokens_by_scope(session: AsyncSession, scopes: Sequence[str], day: str) -> dict[str, int]:
    """LLM tokens each of these budget scopes spent on `day` (YYYY-MM-DD, UTC)."""
    if not scopes:
        return {}
    result = await session.execute(
        select(LlmUsageRow.scope, LlmUsageRow.tokens).where(
            LlmUsageRow.scope.in_(list(scopes)), LlmUsageRow.day == day
        )
    )
    return {scope: int(tokens) for scope, tokens in result}
