"""status: feed health, the last and next digest, and why an article was or was not posted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.channels.commands.base import (
    NOTHING_FOLLOWED,
    CommandsBase,
    feed_health,
    next_digest_line,
    since_last_digest_time,
)
from bot.channels.commands.parsing import plural
from bot.channels.timing import PERIOD_PREFIX, parse_zone
from bot.channels.topics import filter_reason, matches_topic, topic_words
from bot.models import Article, ChannelRef, Reply
from bot.store import channels as channel_store
from bot.store import digests as digest_store
from bot.store.channels import Channel, SubscriptionView
from bot.store.db import Session
from bot.summarise.cluster import cluster_articles


class StatusCommands(CommandsBase):
    async def status(self, where: ChannelRef, article: str | None = None) -> Reply:
        """Feed health, the last and next digest, and why recent articles were skipped."""

        async def work() -> Reply:
            channel = await self._channel(where)
            if channel is None:
                return Reply(text=NOTHING_FOLLOWED)
            if article:
                return await self._explain_article(channel, article.strip())
            return await self._status_overview(channel)

        return await self._guarded(work)

    async def _status_overview(self, channel: Channel) -> Reply:
        now = self.clock()
        async with self.db.session() as session:
            last = await digest_store.latest_digest(session, channel.id)
            start = since_last_digest_time(channel, now)
            subs, candidates = await self._pending_candidates(session, channel, start, now)
        lines = [
            f"feed {s.feed_title or s.feed_url}{feed_health(s)}" for s in subs if s.kind == "feed"
        ]
        if last is None:
            lines.append("last digest: none yet")
        else:
            state = f"sent {last.sent_at:%Y-%m-%d %H:%M} UTC" if last.sent_at else last.state
            error = (
                f" (last error: {last.last_error})" if last.last_error and not last.sent_at else ""
            )
            told = plural(last.items, "story", "stories")
            lines.append(f"last digest: {last.period_key}, {told}, {state}{error}")
        if channel.paused_at is not None:  # the platform refused every post (channel gone)
            paused = f"paused since {channel.paused_at:%Y-%m-%d %H:%M} UTC, no digests"
            lines.append(f"{paused}: {channel.paused_reason}")
        lines.append(next_digest_line(channel))
        skipped = [c for c in candidates if c.skipped][:10]
        waiting = sum(1 for c in candidates if c.skipped is None)
        lines.append(f"articles waiting for the next digest: {waiting}")
        lines += [f"skipped {c.article.title[:80]!r}: {c.skipped}" for c in skipped]
        return Reply(
            text=f"Status of this channel ({plural(len(subs), 'subscription')}):",
            lines=tuple(lines),
        )

    async def _explain_article(self, channel: Channel, url_or_id: str) -> Reply:
        async with self.db.session() as session:
            found = await digest_store.find_article(session, url_or_id)
            if found is None:
                return Reply(text="That article is not in the store: no followed feed carried it.")
            article = found.article
            subs = await channel_store.list_subscriptions(session, channel.id)
            feed_ids = set(await digest_store.feed_ids_of_article(session, article.id))
            sent = await digest_store.digested_article_ids(session, channel.id, [article.id])
            reason = _early_reason(article, found.baseline, subs, feed_ids, sent)
            if reason is None:
                reason = await self._window_reason(session, channel, article)
        return Reply(text=f"{article.title[:100]!r}: {reason}")

    async def _window_reason(self, session: Session, channel: Channel, article: Article) -> str:
        """Why an article that passed the channel's filters is (not yet) in a digest."""
        arrived = article.fetched or article.published
        now = self.clock()
        covering = await digest_store.digest_covering(session, channel.id, arrived)
        if covering is None:
            # Not in any digest's period: in the next one's, or from before the channel's.
            start, end, key, limit = (
                since_last_digest_time(channel, now),
                now,
                "",
                channel.max_items,
            )
            if arrived <= start:
                local = arrived.astimezone(parse_zone(channel.timezone))
                return (
                    f"skipped: it arrived {local:%Y-%m-%d %H:%M} {channel.timezone}, before this "
                    "channel's digests covered it (the feed was followed later, or digests "
                    "were off)."
                )
        else:
            start, end = covering.period_start, covering.period_end
            key, limit = covering.period_key, covering.items
        window_hours = self.config.digest.window_hours
        if article.published <= start - timedelta(hours=window_hours):
            return (
                f"skipped: old news, published {article.published:%Y-%m-%d %H:%M} UTC, more "
                f"than {window_hours} hours before its digest window."
            )
        place = await self._place(session, channel, article, start, end, key)
        if isinstance(place, str):
            return place
        rank, count = place
        day = key.removeprefix(PERIOD_PREFIX)
        if not key:  # the next digest's stories so far
            if rank <= limit:
                return f"waiting: #{rank} of {count} stories so far; it will be in the next digest."
            return (
                f"waiting: #{rank} of {count} stories so far, so cut by the item limit of "
                f"{limit} unless it rises (settings max_items=N makes digests longer)."
            )
        if rank <= limit:
            return f"skipped: it was not chosen for the digest of {day}."
        return (
            f"skipped: cut by the item limit: it was #{rank} of {count} stories in the "
            f"period of a {limit}-item digest ({day}); settings max_items=N makes digests longer."
        )

    async def _place(
        self,
        session: Session,
        channel: Channel,
        article: Article,
        start: datetime,
        end: datetime,
        period_key: str,
    ) -> tuple[int, int] | str:
        """The article's story rank among the period's stories (and how many there are), as
        the digest of that period ranks them; or why it is not among them."""
        _, candidates = await self._pending_candidates(session, channel, start, end)
        # Articles of this very digest count as its own, not as sent before it.
        own = f"duplicate: already in the digest {period_key}" if period_key else None
        skipped = next((c.skipped for c in candidates if c.article.id == article.id), None)
        if skipped and skipped != own:
            return f"skipped: {skipped}."
        stories = cluster_articles([c.article for c in candidates if c.skipped in (None, own)])
        for rank, story in enumerate(stories, 1):
            if any(a.id == article.id for a in story.articles):
                return rank, len(stories)
        return "skipped: it is not among the stories of its digest period."


def _early_reason(
    article: Article,
    baseline: bool,
    subs: Sequence[SubscriptionView],
    feed_ids: set[int],
    sent: Mapping[str, str],
) -> str | None:
    """The reasons that need no digest window: sent, not followed, baseline, filtered."""
    if article.id in sent:
        return f"posted in the digest {sent[article.id]}."
    covering = [
        s
        for s in subs
        if (s.feed_id is not None and s.feed_id in feed_ids)
        or (s.kind == "topic" and matches_topic(article, topic_words(s.topic)))
    ]
    if not covering:
        return "skipped: none of this channel's subscriptions carries or matches it."
    if baseline:
        return (
            "skipped: it was already in the feed when the feed was first added (baseline), "
            "and old items are never posted."
        )
    reasons = [filter_reason(article, s.include_words, s.exclude_words) for s in covering]
    if all(reasons):
        return f"skipped: {reasons[0]}."
    return None
