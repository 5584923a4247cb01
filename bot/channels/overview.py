"""What the web dashboard shows, assembled from the store, limited to what a viewer may manage.

The dashboard has no rules of its own: changes go through the chat commands
(`bot.channels.ports.ChatCommands`), and every read here is scoped by the `Viewer`, so a page
cannot show another server's channels, feeds, deliveries or LLM use. The one change made here,
re-enabling a disabled feed, is allowed only to someone who manages a channel following it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.digest.render import digest_from_dict
from bot.errors import BadInput, PermissionDenied
from bot.feeds.urls import display_url
from bot.models import Caller, ChannelRef, DigestItem, Reply
from bot.store import channels as channel_store
from bot.store import dashboard as queries
from bot.store.channels import SubscriptionView
from bot.store.dashboard import ChannelSummary, DeliveryEntry, FeedHealth
from bot.store.db import Database
from bot.store.feeds import Backoff, FeedStore

NOT_YOURS = "You cannot manage this channel: it is not in a server or workspace you manage."
FALLBACK_DAYS = 7


@dataclass(frozen=True)
class Viewer:
    """Someone using the dashboard, and the (platform, workspace) pairs they may manage."""

    user_id: str
    display_name: str
    workspaces: frozenset[tuple[str, str]] | None  # None: the local operator manages all

    @property
    def scope(self) -> queries.Scope:
        return self.workspaces

    def may_manage(self, where: ChannelRef) -> bool:
        """The same rule as chat: only channels of a server or workspace this person manages."""
        return self.workspaces is None or (where.platform, where.workspace) in self.workspaces

    def caller(self, where: ChannelRef) -> Caller:
        """The `Caller` a chat command gets for this person in this channel."""
        return Caller(
            self.user_id, can_manage=self.may_manage(where), display_name=self.display_name
        )


@dataclass(frozen=True)
class ChannelPage:
    """One channel: its settings (None until it first used the bot) and its subscriptions."""

    where: ChannelRef
    channel: ChannelSummary | None
    subscriptions: tuple[SubscriptionView, ...]


@dataclass(frozen=True)
class Delivery:
    """One digest of a channel and what became of its post, with the headlines it held."""

    entry: DeliveryEntry
    headlines: tuple[str, ...]


@dataclass(frozen=True)
class Fallback:
    """A digest item summarised without the LLM, and why."""

    where: ChannelRef
    period_key: str
    headline: str
    reason: str


@dataclass(frozen=True)
class LlmUse:
    """Tokens each of the viewer's channels spent today, against the daily budget."""

    day: str
    budget: int  # 0: no daily limit
    configured: bool
    tokens: tuple[tuple[ChannelRef, int], ...]
    fallbacks: tuple[Fallback, ...]


@dataclass(frozen=True)
class Overview:
    """Read-only views for the dashboard, and the feed re-enable it offers."""

    db: Database
    settings: Settings
    clock: Clock

    def check(self, viewer: Viewer, where: ChannelRef) -> None:
        """PermissionDenied unless the viewer may manage this channel."""
        if not viewer.may_manage(where):
            raise PermissionDenied(NOT_YOURS)

    async def channels(self, viewer: Viewer) -> list[ChannelSummary]:
        """Every channel that has used the bot in the viewer's servers and workspaces."""
        async with self.db.session() as session:
            return await queries.channels_in_scope(session, viewer.scope)

    async def channel(self, viewer: Viewer, where: ChannelRef) -> ChannelPage:
        """One channel's settings and subscriptions (feeds with their health)."""
        self.check(viewer, where)
        async with self.db.session() as session:
            summary = await queries.channel_summary(session, where)
            if summary is None:
                return ChannelPage(where=where, channel=None, subscriptions=())
            subs = await channel_store.list_subscriptions(session, summary.id)
        return ChannelPage(where=where, channel=summary, subscriptions=tuple(subs))

    async def feeds(self, viewer: Viewer) -> list[FeedHealth]:
        """Health of the feeds the viewer's channels follow (every feed for the operator)."""
        async with self.db.session() as session:
            return await queries.feeds_in_scope(session, viewer.scope)

    async def enable_feed(self, viewer: Viewer, feed_id: int) -> Reply:
        """Poll a disabled feed again, if one of the viewer's channels follows it."""
        async with self.db.session() as session:
            allowed = await queries.feed_in_scope(session, feed_id, viewer.scope)
        if not allowed:
            raise PermissionDenied("None of the channels you manage follows that feed.")
        feeds = FeedStore(self.db, Backoff.from_settings(self.settings.fetch))
        feed = await feeds.get(feed_id)
        if feed is None:
            raise BadInput("That feed no longer exists.")
        if not feed.disabled:
            return Reply(text=f"{feed.name} is not disabled; it is polled as usual.")
        await feeds.enable(feed_id, now=self.clock())
        return Reply(text=f"{feed.name} ({display_url(feed.url)}) is enabled and polled next.")

    async def deliveries(self, viewer: Viewer, where: ChannelRef) -> list[Delivery]:
        """The channel's latest digests and their delivery state, newest first."""
        self.check(viewer, where)
        async with self.db.session() as session:
            row = await channel_store.find_channel(session, where)
            entries = await queries.delivery_log(session, row.id) if row else []
        return [Delivery(e, tuple(item.headline for item in _items(e.payload))) for e in entries]

    async def llm_use(self, viewer: Viewer) -> LlmUse:
        """Today's tokens per channel against the budget; recent fallbacks with their reasons."""
        now = self.clock()
        day = now.date().isoformat()
        async with self.db.session() as session:
            channels = await queries.channels_in_scope(session, viewer.scope)
            spent = await queries.tokens_by_scope(session, [c.where.key for c in channels], day)
            digests = await queries.recent_digests(
                session, [c.id for c in channels], since=now - timedelta(days=FALLBACK_DAYS)
            )
        where_of = {c.id: c.where for c in channels}
        fallbacks = [
            Fallback(where_of[d.channel_id], d.period_key, item.headline, item.note)
            for d in digests
            for item in _items(d.payload)
            if item.summariser == "extractive" and item.note
        ]
        llm = self.settings.llm
        return LlmUse(
            day=day,
            budget=llm.daily_token_budget,
            configured=bool(llm.base_url or llm.api_key),
            tokens=tuple((c.where, spent.get(c.where.key, 0)) for c in channels),
            fallbacks=tuple(fallbacks),
        )


def _items(payload: Mapping[str, Any]) -> tuple[DigestItem, ...]:
    """A stored digest's items; none when the row does not hold a readable digest."""
    try:
        return digest_from_dict(payload).items
    except BadInput:
        return ()
