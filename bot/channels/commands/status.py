"""status: feed health, the last and next digest, and why an article was or was not posted."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from bot.channels.commands.base import (
    NOTHING_FOLLOWED,
    CommandsBase,
    feed_health,
    next_digest_line,
    since_last_digest_time,
)
from bot.channels.topics import filter_reason, matches_topic, topic_words
from bot.config import Settings
from bot.models import Article, ChannelRef, Reply
from bot.store import channels as channel_store
from bot.store import digests as digest_store
from bot.store.channels import Channel, SubscriptionView


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
            lines.append(f"last digest: {last.period_key}, {last.items} stories, {state}{error}")
        lines.append(next_digest_line(channel))
        skipped = [c for c in candidates if c.skipped][:10]
        waiting = sum(1 for c in candidates if c.skipped is None)
        lines.append(f"articles waiting for the next digest: {waiting}")
        lines += [f"skipped {c.article.title[:80]!r}: {c.skipped}" for c in skipped]
        return Reply(
            text=f"Status of this channel ({len(subs)} subscriptions):", lines=tuple(lines)
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
        reason = _article_reason(
            article, found.baseline, subs, feed_ids, sent, channel, self.config
        )
        return Reply(text=f"{article.title[:100]!r}: {reason}")


def _article_reason(
    article: Article,
    baseline: bool,
    subs: Sequence[SubscriptionView],
    feed_ids: set[int],
    sent: Mapping[str, str],
    channel: Channel,
    settings: Settings,
) -> str:
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
    last = channel.last_digest_at
    if article.fetched is not None and last is not None and article.fetched <= last:
        return "skipped: it arrived before the window of the digests this channel received."
    oldest = (article.fetched or article.published) - timedelta(
        hours=settings.digest.window_hours * 2
    )
    if article.published < oldest:
        return "skipped: it was published long before the digest window (old news)."
    return "waiting: it will be in the next digest (unless more important stories fill it)."
