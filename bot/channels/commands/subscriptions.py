"""subscribe, unsubscribe, list and feed autocomplete: what a channel follows."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from urllib.parse import urljoin

from bot.channels.commands.base import (
    NOTHING_FOLLOWED,
    CommandsBase,
    feed_health,
    filters_text,
)
from bot.channels.commands.parsing import (
    MAX_URL_CHARS,
    checked_topic_words,
    looks_like_url,
    plural,
    whole_number,
)
from bot.channels.topics import clean_words, topic_words
from bot.errors import BadInput, FeedError, NewsbotError, NotAFeed
from bot.feeds.opml import OpmlFeed
from bot.feeds.probe import OpmlListing
from bot.feeds.urls import display_url
from bot.models import Caller, ChannelRef, Reply
from bot.store import channels as channel_store
from bot.store import feeds as feed_store
from bot.store.channels import SubscriptionView

MAX_OPML_FEEDS = 100


class SubscriptionCommands(CommandsBase):
    async def subscribe(
        self,
        where: ChannelRef,
        caller: Caller,
        target: str,
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> Reply:
        """Follow a feed URL, every feed of an OPML URL, or a topic (with word filters)."""

        async def work() -> Reply:
            self._require_manage(caller)
            wanted, excluded = clean_words(include), clean_words(exclude)
            text = target.strip()
            if not text:
                raise BadInput("give a feed URL or a topic to subscribe to.")
            lowered = text.lower()
            if lowered.startswith("topic:"):
                return await self._subscribe_topic(where, text[6:], wanted, excluded)
            if looks_like_url(text):
                if len(text) > MAX_URL_CHARS:
                    raise BadInput(f"a feed URL can have at most {MAX_URL_CHARS} characters.")
                return await self._subscribe_url(where, text, wanted, excluded)
            # A bare word is more often a mistyped URL than a topic: say how to ask for either.
            raise BadInput(
                f"{text[:60]!r} is not a feed URL; to follow a topic, use: subscribe topic: WORDS."
            )

        return await self._guarded(work)

    async def _subscribe_topic(
        self, where: ChannelRef, topic: str, include: Sequence[str], exclude: Sequence[str]
    ) -> Reply:
        topic = " ".join(checked_topic_words(topic))
        channel = await self._ensure_channel(where)
        async with self.db.write() as session:
            added = await channel_store.add_topic_subscription(
                session, channel.id, topic, include=include, exclude=exclude, now=self.clock()
            )
        verb = "Subscribed to" if added else "Updated the filters of"
        return Reply(text=f"{verb} the topic {topic!r}{filters_text(include, exclude)}.")

    async def _subscribe_url(
        self, where: ChannelRef, url: str, include: Sequence[str], exclude: Sequence[str]
    ) -> Reply:
        found = await self.add_feed(url)
        if isinstance(found, OpmlListing):
            return await self._subscribe_opml(where, url, found.feeds, include, exclude)
        channel = await self._ensure_channel(where)
        async with self.db.write() as session:
            added = await channel_store.add_feed_subscription(
                session, channel.id, found, include=include, exclude=exclude, now=self.clock()
            )
            feed = await feed_store.feed_by_id(session, found)
        name = feed.name if feed else display_url(url)
        verb = "Subscribed to" if added else "Updated the filters of"
        return Reply(
            text=f"{verb} {name} ({display_url(url)}){filters_text(include, exclude)}. "
            "Articles it already carried are not posted; new ones appear in the next digest."
        )

    async def _subscribe_opml(
        self,
        where: ChannelRef,
        url: str,
        listed: Sequence[OpmlFeed],
        include: Sequence[str],
        exclude: Sequence[str],
    ) -> Reply:
        if len(listed) > MAX_OPML_FEEDS:
            raise BadInput(
                f"the OPML file lists {len(listed)} feeds; at most {MAX_OPML_FEEDS} "
                "can be added at once."
            )
        # Relative feed links (xmlUrl="news.xml") are relative to the OPML file's own URL.
        listed = [OpmlFeed(url=_absolute(entry.url, url), title=entry.title) for entry in listed]
        gate = asyncio.Semaphore(8)

        async def check_one(entry: OpmlFeed) -> tuple[OpmlFeed, int | None, str]:
            async with gate:
                try:
                    found = await self.add_feed(entry.url)
                    if isinstance(found, OpmlListing):
                        raise NotAFeed("it is another OPML file")
                    return entry, found, ""
                except NewsbotError as error:
                    return entry, None, str(error)

        results = await asyncio.gather(*(check_one(entry) for entry in listed))
        good = [(entry, fid) for entry, fid, _ in results if fid is not None]
        bad = [(entry, why) for entry, fid, why in results if fid is None]
        if not good:
            raise FeedError(
                f"none of the {len(listed)} feeds in the OPML file at {display_url(url)} "
                f"could be used (first problem: {bad[0][1]})"
            )
        channel = await self._ensure_channel(where)
        added, followed = 0, []
        async with self.db.write() as session:
            for entry, feed_id in good:
                if await channel_store.add_feed_subscription(
                    session, channel.id, feed_id, include=include, exclude=exclude, now=self.clock()
                ):
                    added += 1
                else:
                    feed = await feed_store.feed_by_id(session, feed_id)
                    followed.append((feed.name if feed else "") or display_url(entry.url))
        lines = tuple(f"skipped {display_url(e.url)}: {why}" for e, why in bad)
        return Reply(text=_opml_summary(added, followed, len(bad), include, exclude), lines=lines)

    async def unsubscribe(self, where: ChannelRef, caller: Caller, target: str) -> Reply:
        """Stop following a feed (URL), a topic, or the subscription numbered by `list`."""

        async def work() -> Reply:
            self._require_manage(caller)
            channel = await self._channel(where)
            text = target.strip()
            if not text:
                raise BadInput("say what to unsubscribe from: a feed URL, a topic or a number.")
            async with self.db.write() as session:
                subs = (
                    await channel_store.list_subscriptions(session, channel.id) if channel else []
                )
                found = pick_subscription(subs, text)
                if found is None:
                    raise BadInput(
                        f"this channel has no subscription matching {text[:80]!r}; "
                        "`list` shows what it follows."
                    )
                await channel_store.remove_subscription(session, found.id)
            return Reply(text=f"Unsubscribed from {_describe(found)}.")

        return await self._guarded(work)

    async def list_subscriptions(self, where: ChannelRef) -> Reply:
        """The channel's subscriptions, numbered, with each feed's health."""
        channel = await self._channel(where)
        if channel is None:
            return Reply(text=NOTHING_FOLLOWED)
        async with self.db.session() as session:
            subs = await channel_store.list_subscriptions(session, channel.id)
        if not subs:
            return Reply(text=NOTHING_FOLLOWED)
        # Numbered by subscription id, which never changes: `unsubscribe 2` typed twice must
        # not remove whatever moved up into second place.
        lines = tuple(f"{s.id}. {_describe(s)}{feed_health(s)}" for s in subs)
        return Reply(text=f"This channel follows {len(subs)}:", lines=lines)

    async def feed_choices(self, where: ChannelRef, prefix: str) -> list[str]:
        """Feed URLs of this channel starting with (or naming) `prefix`, for autocomplete."""
        channel = await self._channel(where)
        if channel is None:
            return []
        async with self.db.session() as session:
            subs = await channel_store.list_subscriptions(session, channel.id)
        wanted = prefix.strip().lower()
        return [
            s.feed_url
            for s in subs
            if s.kind == "feed" and (wanted in s.feed_url.lower() or wanted in s.feed_title.lower())
        ][:25]


def pick_subscription(subs: Sequence[SubscriptionView], text: str) -> SubscriptionView | None:
    """The subscription `text` names: its number in `list`, its feed URL or name, its topic."""
    number = whole_number(text)
    if number is not None:
        return next((sub for sub in subs if sub.id == number), None)
    lowered = text.lower()
    if lowered.startswith("topic:"):
        lowered = lowered[6:].strip()
    words = " ".join(topic_words(lowered))
    for sub in subs:
        if sub.kind == "feed" and lowered in (sub.feed_url.lower(), sub.feed_title.lower()):
            return sub
        if sub.kind == "topic" and sub.topic == words:
            return sub
    return None


def _opml_summary(
    added: int,
    followed: Sequence[str],
    unusable: int,
    include: Sequence[str],
    exclude: Sequence[str],
) -> str:
    """What an OPML subscribe did: only new feeds counted, those already followed named."""
    filters = filters_text(include, exclude)
    if added:
        text = f"Subscribed to {plural(added, 'feed')} from the OPML file{filters}."
        if followed:
            text += f" This channel already follows {', '.join(followed)}."
    else:
        text = (
            f"This channel already follows all {plural(len(followed), 'feed')} of the OPML file "
            f"that could be used{filters}: {', '.join(followed)}."
        )
    if unusable:
        text += f" {unusable} could not be used (see below)."
    return text


def _describe(sub: SubscriptionView) -> str:
    filters = filters_text(sub.include_words, sub.exclude_words)
    if sub.kind == "topic":
        return f"topic {sub.topic!r}{filters}"
    name = sub.feed_title or "feed"
    return f"{name} ({display_url(sub.feed_url)}){filters}"


def _absolute(link: str, base: str) -> str:
    """`link` resolved against `base`; unchanged if either will not parse (check_url says so)."""
    try:
        return urljoin(base, link.strip())
    except ValueError:
        return link
