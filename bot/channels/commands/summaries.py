"""summary, digest and ask: news on demand, composed the way daily digests are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.channels import ask as ask_module
from bot.channels.commands.base import NOTHING_FOLLOWED, CommandsBase, since_last_digest_time
from bot.channels.commands.parsing import checked_topic_words, plural
from bot.channels.commands.subscriptions import pick_subscription
from bot.channels.timing import parse_zone
from bot.channels.topics import Candidate, matches_topic, topic_words
from bot.digest.compose import compose_digest
from bot.digest.render import digest_to_dict
from bot.errors import BadInput
from bot.feeds.urls import display_url
from bot.models import Article, Caller, ChannelRef, Digest, Reply
from bot.store import channels as channel_store
from bot.store import digests as digest_store
from bot.store import feeds as feed_store
from bot.store.channels import Channel, SubscriptionView
from bot.store.db import Session

MAX_SUMMARY_HOURS = 24 * 14
# How far back `digest` looks for the articles it explains leaving out.
LOOK_BACK = timedelta(days=14)


def last_hours(hours: int) -> str:
    """ "the last hour", "the last 6 hours"."""
    return "the last hour" if hours == 1 else f"the last {hours} hours"


def stories(digest: Digest) -> str:
    return plural(len(digest.items), "story", "stories")


def count_of(count: int, noun: str, *, past: bool = False) -> str:
    """ "1 article is", "3 articles are" ("was"/"were" when `past`)."""
    verb = ("was" if count == 1 else "were") if past else ("is" if count == 1 else "are")
    return f"{plural(count, noun)} {verb}"


class SummaryCommands(CommandsBase):
    async def summary(
        self,
        where: ChannelRef,
        caller: Caller,
        *,
        topic: str | None = None,
        feed: str | None = None,
        hours: int = 24,
    ) -> Reply:
        """A summary of a topic, one feed, or everything this channel follows, on demand."""

        async def work() -> Reply:
            if not 1 <= hours <= MAX_SUMMARY_HOURS:
                raise BadInput(f"hours must be between 1 and {MAX_SUMMARY_HOURS}.")
            now = self.clock()
            start = now - timedelta(hours=hours)
            articles, label = await self._summary_articles(where, topic, feed, start, now)
            if not articles:
                return Reply(text=f"Nothing was published about {label} in {last_hours(hours)}.")
            digest = await self._compose(
                where, articles, f"Summary of {label}, {last_hours(hours)}", start, now
            )
            return Reply(text=f"{digest.title}: {stories(digest)}.", digest=digest)

        return await self._guarded(work)

    async def _summary_articles(
        self,
        where: ChannelRef,
        topic: str | None,
        feed: str | None,
        start: datetime,
        end: datetime,
    ) -> tuple[list[Article], str]:
        channel = await self._channel(where)
        async with self.db.session() as session:
            subs = await channel_store.list_subscriptions(session, channel.id) if channel else []
            if feed:
                chosen = pick_subscription([s for s in subs if s.kind == "feed"], feed.strip())
                known = await feed_store.feed_by_url(session, feed.strip())
                feed_id = chosen.feed_id if chosen else (known.id if known else None)
                if feed_id is None:
                    raise BadInput(
                        f"no feed {display_url(feed.strip())[:80]!r} is known; "
                        "`list` shows this channel's feeds."
                    )
                found = await digest_store.articles_published_between(
                    session, start=start, end=end, feed_ids=[feed_id]
                )
                label = (chosen.feed_title if chosen else display_url(feed.strip())) or feed
                if not topic:
                    return found, label
                words = checked_topic_words(topic)
                about = [a for a in found if matches_topic(a, words)]
                return about, f"{label}, about {' '.join(words)!r}"
            if topic:
                words = checked_topic_words(topic)
                found = await digest_store.articles_published_between(
                    session, start=start, end=end, words=words[:1]
                )
                return [a for a in found if matches_topic(a, words)], repr(" ".join(words))
            if not subs:
                found = await digest_store.articles_published_between(session, start=start, end=end)
                return found, "everything the bot follows"
            feed_ids = [s.feed_id for s in subs if s.feed_id is not None]
            found = (
                await digest_store.articles_published_between(
                    session, start=start, end=end, feed_ids=feed_ids
                )
                if feed_ids
                else []
            )
            for sub in subs:
                if sub.kind == "topic":
                    words = topic_words(sub.topic)
                    extra = await digest_store.articles_published_between(
                        session, start=start, end=end, words=words[:1]
                    )
                    found += [a for a in extra if matches_topic(a, words)]
            return list({a.id: a for a in found}.values()), "this channel's subscriptions"

    async def _compose(
        self,
        where: ChannelRef,
        articles: Sequence[Article],
        title: str,
        start: datetime,
        end: datetime,
    ) -> Digest:
        channel = await self._channel(where)
        max_items = channel.max_items if channel else self.config.digest.max_items
        mode = channel.summariser if channel else self.config.digest.summariser
        zone = parse_zone(channel.timezone if channel else "UTC")  # the channel's own time
        digest, _ = await compose_digest(
            articles,
            title=title,
            start=start.astimezone(zone),
            end=end.astimezone(zone),
            max_items=max_items,
            summariser=self.summariser_for(mode),
            scope=where.key,
        )
        return digest

    async def digest_now(self, where: ChannelRef, caller: Caller) -> Reply:
        """The digest of everything new since the last scheduled one, right now."""

        async def work() -> Reply:
            channel = await self._channel(where)
            if channel is None:
                return Reply(text=NOTHING_FOLLOWED)
            now = self.clock()
            start = since_last_digest_time(channel, now)
            async with self.db.session() as session:
                subs, candidates = await self._pending_candidates(session, channel, start, now)
                kept = [c.article for c in candidates if c.skipped is None]
                if not kept:
                    return Reply(text=await self._nothing_new(session, channel, subs, candidates))
            local = now.astimezone(parse_zone(channel.timezone))
            digest = await self._compose(
                where,
                kept,
                f"News digest so far ({local:%d %b %Y %H:%M} {channel.timezone})",
                start,
                now,
            )
            return Reply(text=f"{digest.title}: {stories(digest)}.", digest=digest)

        return await self._guarded(work)

    async def _nothing_new(
        self,
        session: Session,
        channel: Channel,
        subs: Sequence[SubscriptionView],
        candidates: Sequence[Candidate],
    ) -> str:
        """Why `digest` has nothing to show, in one sentence: what was left out, and when
        the next digest comes (before the first one, the feeds' old items are the reason)."""
        feed_ids = [s.feed_id for s in subs if s.feed_id is not None]
        seen = {c.article.id for c in candidates}
        every = await self._feed_article_ids(session, feed_ids, include_baseline=True)
        fresh = await self._feed_article_ids(session, feed_ids, include_baseline=False)
        every, fresh = every - seen, fresh - seen
        baseline = len(every - fresh)
        duplicates = sum(1 for c in candidates if (c.skipped or "").startswith("duplicate"))
        parts = [
            f"{count_of(baseline, 'article')} already in the feeds when they were added "
            "(never posted)",
            f"{count_of(len(fresh), 'article')} older than the digest window",
            f"{count_of(len(candidates) - duplicates, 'new article', past=True)} left out by "
            "this channel's include/exclude words",
            f"{count_of(duplicates, 'article', past=True)} in an earlier digest",
        ]
        said = "; ".join(p for p in parts if not p.startswith("0 "))
        first = channel.last_digest_at is None
        head = (
            "No digest yet, and nothing new for one"
            if first
            else "Nothing new since the last digest"
        )
        when = ""
        if channel.next_digest_at is not None and channel.digest_enabled:
            local = channel.next_digest_at.astimezone(parse_zone(channel.timezone))
            when = f" at {local:%Y-%m-%d %H:%M} {channel.timezone}"
        tail = f"the {'first' if first else 'next'} digest{when} covers what arrives from now"
        return f"{head}: {said}; {tail}." if said else f"{head}; {tail}."

    async def _feed_article_ids(
        self, session: Session, feed_ids: Sequence[int], *, include_baseline: bool
    ) -> set[str]:
        now = self.clock()
        found = await digest_store.feed_articles_between(
            session, feed_ids, start=now - LOOK_BACK, end=now, include_baseline=include_baseline
        )
        return {article.id for articles in found.values() for article in articles}

    async def digest_posted(
        self, where: ChannelRef, digest: Digest, message_ids: Sequence[str]
    ) -> None:
        """Remember where an adapter posted a digest asked for (`digest_now`, `summary`): a
        reply under any of its messages is then a question about its articles. Scheduled
        digests are unaffected: they still cover these articles, from the same start."""
        channel = await self._channel(where)
        if channel is None or not message_ids:
            return
        article_ids = [s.article_id for item in digest.items for s in item.sources if s.article_id]
        async with self.db.session() as session:
            await digest_store.record_posted_digest(
                session,
                channel_id=channel.id,
                channel_key=where.key,
                period_start=digest.period_start,
                period_end=digest.period_end,
                payload=digest_to_dict(digest),
                article_ids=article_ids,
                message_ids=message_ids,
                now=self.clock(),
            )

    async def ask(
        self, where: ChannelRef, caller: Caller, question: str, *, thread_id: str | None = None
    ) -> Reply:
        """Answer from the channel's digests first, then the whole store, citing sources."""

        async def work() -> Reply:
            if not question.strip():
                raise BadInput("ask a question, for example: ask what did the council decide?")
            channel = await self._channel(where)

            async def answer(subject: str) -> Reply:
                return await ask_module.answer_question(
                    self.db,
                    self.answerer,
                    question,
                    channel_id=channel.id if channel else None,
                    thread_id=thread_id,
                    now=self.clock(),
                    scope=where.key,
                    subject=subject,
                )

            # A follow-up ("when will it ship?") is read with the question before it, in
            # this thread (a digest's), or else this channel or DM; a question that only
            # sounded like one ("that new handheld") is then answered on its own.
            conversation = f"{where.key}|{thread_id or ''}"
            subject = self.conversations.subject_of(conversation, question.strip())
            reply = await answer(subject)
            if reply.text == ask_module.NOT_FOUND and subject:
                reply = await answer("")
                if reply.text != ask_module.NOT_FOUND:
                    self.conversations.remember(conversation, question.strip())
            return reply

        return await self._guarded(work)
