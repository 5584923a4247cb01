"""What every command shares: its dependencies, the permission check, the channel lookup.

Each method returns a `Reply` and never raises for a user's mistake: a bad URL, an unknown
time zone, an unreachable feed or a missing permission becomes one clear sentence
(`ok=False, ephemeral=True`) and nothing is stored. Whether a caller may change a channel is
the adapter's call (`Caller.can_manage`, from platform permissions); the check itself is
here, on every mutating command.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from bot.channels.ask import Conversations
from bot.channels.commands.parsing import refusal
from bot.channels.daily import SummariserFor, select_candidates
from bot.channels.timing import latest_digest_at, next_digest_at, parse_time, parse_zone
from bot.channels.topics import Candidate
from bot.clock import Clock
from bot.config import Settings
from bot.digest.compose import BuildCache
from bot.errors import NewsbotError, PermissionDenied
from bot.feeds.probe import AddFeed
from bot.models import Caller, ChannelRef, Reply
from bot.store import channels as channel_store
from bot.store.channels import Channel, ChannelDefaults, SubscriptionView
from bot.store.db import Database, Session
from bot.summarise.base import Answerer

REFUSED = "Only people who can manage this channel can change its subscriptions or settings."
NOTHING_FOLLOWED = "This channel follows nothing yet; try `subscribe URL`."


@dataclass
class CommandsBase:
    """The dependencies of the chat commands, passed in by the composition root."""

    db: Database
    config: Settings
    clock: Clock
    summariser_for: SummariserFor
    answerer: Answerer
    add_feed: AddFeed  # the feed stage's probe-and-store (bot.feeds.probe)
    conversations: Conversations = field(default_factory=Conversations)

    def _defaults(self) -> ChannelDefaults:
        digest = self.config.digest
        return ChannelDefaults(
            timezone=digest.default_timezone,
            digest_time=digest.default_time,
            max_items=digest.max_items,
            summariser=digest.summariser,
        )

    async def _guarded(self, work: Callable[[], Awaitable[Reply]]) -> Reply:
        try:
            return await work()
        except NewsbotError as error:  # BadInput, FeedError, PermissionDenied...: one sentence
            return refusal(str(error))

    @staticmethod
    def _require_manage(caller: Caller) -> None:
        if not caller.can_manage:
            raise PermissionDenied(REFUSED)

    async def _channel(self, where: ChannelRef) -> Channel | None:
        async with self.db.session() as session:
            return await channel_store.find_channel(session, where)

    async def _ensure_channel(self, where: ChannelRef) -> Channel:
        now = self.clock()
        async with self.db.write() as session:
            channel = await channel_store.ensure_channel(session, where, self._defaults(), now)
            if channel.next_digest_at is None and channel.digest_enabled:
                at = next_digest_at(
                    now, parse_time(channel.digest_time), parse_zone(channel.timezone)
                )
                await channel_store.set_next_digest(session, channel.id, at)
                channel = replace(channel, next_digest_at=at)
            return channel

    async def _pending_candidates(
        self, session: Session, channel: Channel, start: datetime, end: datetime
    ) -> tuple[list[SubscriptionView], list[Candidate]]:
        """The channel's subscriptions and what they bring in for (start, end], with skips."""
        subs = await channel_store.list_subscriptions(session, channel.id)
        candidates = await select_candidates(
            session,
            channel.id,
            subs,
            start=start,
            end=end,
            max_age_hours=self.config.digest.window_hours,
            cache=BuildCache(),
        )
        return subs, candidates


def since_last_digest_time(channel: Channel, now: datetime) -> datetime:
    """The channel's most recent digest time: what is newer goes into the next digest."""
    return latest_digest_at(now, parse_time(channel.digest_time), parse_zone(channel.timezone))


def next_digest_line(channel: Channel) -> str:
    if not channel.digest_enabled or channel.next_digest_at is None:
        return "next digest: off"
    local = channel.next_digest_at.astimezone(parse_zone(channel.timezone))
    return f"next digest: {local:%Y-%m-%d %H:%M} {channel.timezone}"


def filters_text(include: Sequence[str], exclude: Sequence[str]) -> str:
    parts = []
    if include:
        parts.append("only with " + ", ".join(include))
    if exclude:
        parts.append("never with " + ", ".join(exclude))
    return f" ({'; '.join(parts)})" if parts else ""


def feed_health(sub: SubscriptionView) -> str:
    if sub.kind != "feed":
        return ""
    if sub.feed_disabled:
        return f" — disabled: {sub.feed_disabled_reason}"
    if sub.feed_failures:
        return f" — failing ({sub.feed_failures} in a row): {sub.feed_error}"
    if sub.feed_last_success is None:
        return " — not polled yet"
    return f" — ok (last fetched {sub.feed_last_success:%Y-%m-%d %H:%M} UTC)"
