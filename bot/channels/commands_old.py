"""Every chat command, platform-neutral: adapters translate, this module decides.

Each method returns a `Reply` and never raises for a user's mistake: a bad URL, an unknown
time zone, an unreachable feed or a missing permission becomes one clear sentence
(`ok=False, ephemeral=True`) and nothing is stored. Whether a caller may change a channel is
the adapter's call (`Caller.can_manage`, from platform permissions); the check itself is
here, on every mutating command.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin

from sqlalchemy.ext.asyncio import AsyncSession

from bot.channels import ask as ask_module
from bot.channels.daily import SummariserFor, select_candidates
from bot.channels.timing import latest_digest_at, next_digest_at, parse_time, parse_zone
from bot.channels.topics import (
    Candidate,
    clean_words,
    filter_reason,
    matches_topic,
    split_word_list,
    topic_words,
)
from bot.clock import Clock
from bot.config import Settings
from bot.digest.compose import BuildCache, compose_digest
from bot.errors import BadInput, FeedError, NewsbotError, NotAFeed, PermissionDenied
from bot.feeds.fetch import Fetcher
from bot.feeds.guard import check_url
from bot.feeds.opml import OpmlFeed, read_opml
from bot.feeds.parse import ParsedFeed, ParserPool
from bot.feeds.urls import display_url
from bot.models import Article, Caller, ChannelRef, Digest, Reply
from bot.store import channels as channel_store
from bot.store import digests as digest_store
from bot.store.articles import ArticleStore, article_from_row
from bot.store.channels import ChannelDefaults, SubscriptionView
from bot.store.db import Database
from bot.store.feeds import Backoff, FeedStore
from bot.store.schema import ChannelRow
from bot.summarise.base import Answerer
from bot.summarise.sentences import content_words

HELP = """\
newsbot commands:
  subscribe URL [include:a,b] [exclude:c]   follow an RSS/Atom feed (or every feed of an OPML URL)
  subscribe topic: WORDS [include:..] [exclude:..]   follow a topic across every feed
  unsubscribe URL|TOPIC|NUMBER              stop following (NUMBER as shown by list)
  list                                      this channel's subscriptions and feed health
  summary [hours:N] [feed:URL|NUMBER] [topic:WORDS]   on-demand summary (default: 24 hours)
  digest                                    the digest so far, right now
  ask QUESTION                              a question answered from the news, with sources
  settings [time=HH:MM] [timezone=Area/City] [max_items=N] [summariser=auto|llm|extractive]
           [digest=on|off]                  show or change this channel's settings
  status [ARTICLE-URL]                      feed health, last digest, why articles were skipped
  help                                      this text
Changing subscriptions or settings needs permission to manage the channel."""

REFUSED = "Only people who can manage this channel can change its subscriptions or settings."
MAX_TOPIC_CHARS = 120
# Longer text is never a real feed URL or setting, and echoing it back in a refusal would
# overflow a chat message (Discord: 2,000 characters).
MAX_URL_CHARS = 2000
MAX_SETTING_CHARS = 100
MAX_OPML_FEEDS = 100
MAX_SUMMARY_HOURS = 24 * 14
MAX_ITEMS = 25  # the largest max_items a channel may set (adapters offer the same range)
SETTING_KEYS = ("time", "timezone", "max_items", "summariser", "digest")
_URL_LIKE = re.compile(r"^[\w.-]+\.[a-z]{2,}(?:[/:?]|$)", re.IGNORECASE)


def _sentence(text: str) -> str:
    """A message as one sentence: capital first letter, final full stop."""
    text = text.strip()
    if not text:
        return text
    first = text.split(" ", 1)[0]
    if first.isalpha():  # never capitalise a URL, a setting name or a quoted value
        text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def refusal(text: str) -> Reply:
    """A private one-sentence refusal."""
    return Reply(text=_sentence(text), ok=False, ephemeral=True)


def _looks_like_url(target: str) -> bool:
    return "://" in target or target.startswith(("/", "~", ".")) or bool(_URL_LIKE.match(target))


@dataclass
class Commands:
    """The chat commands of one bot. Build once in the composition root; share everywhere."""

    db: Database
    fetcher: Fetcher
    parser: ParserPool
    config: Settings
    clock: Clock
    summariser_for: SummariserFor
    answerer: Answerer

    HELP = HELP

    # -- plumbing -------------------------------------------------------------------

    def _defaults(self) -> ChannelDefaults:
        digest = self.config.digest
        return ChannelDefaults(
            timezone=digest.default_timezone,
            digest_time=digest.default_time,
            max_items=digest.max_items,
            summariser=digest.summariser,
        )

    @property
    def _feeds(self) -> FeedStore:
        return FeedStore(self.db, Backoff.from_settings(self.config.fetch))

    async def _guarded(self, work: Callable[[], Awaitable[Reply]]) -> Reply:
        try:
            return await work()
        except NewsbotError as error:  # BadInput, FeedError, PermissionDenied...: one sentence
            return refusal(str(error))

    @staticmethod
    def _require_manage(caller: Caller) -> None:
        if not caller.can_manage:
            raise PermissionDenied(REFUSED)

    async def _channel(self, where: ChannelRef) -> ChannelRow | None:
        async with self.db.session() as session:
            return await channel_store.find_channel(session, where)

    async def _ensure_channel(self, where: ChannelRef) -> ChannelRow:
        now = self.clock()
        async with self.db.write() as session:
            row = await channel_store.ensure_channel(session, where, self._defaults(), now)
            if row.next_digest_at is None and row.digest_enabled:
                row.next_digest_at = next_digest_at(
                    now, parse_time(row.digest_time), parse_zone(row.timezone)
                )
            return row

    # -- subscribe ------------------------------------------------------------------

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
            if _looks_like_url(text):
                if len(text) > MAX_URL_CHARS:
                    raise BadInput(f"a feed URL can have at most {MAX_URL_CHARS} characters.")
                return await self._subscribe_url(where, text, wanted, excluded)
            return await self._subscribe_topic(where, text, wanted, excluded)

        return await self._guarded(work)

    async def _subscribe_topic(
        self, where: ChannelRef, topic: str, include: Sequence[str], exclude: Sequence[str]
    ) -> Reply:
        topic = " ".join(_checked_topic_words(topic))
        channel = await self._ensure_channel(where)
        async with self.db.write() as session:
            added = await channel_store.add_topic_subscription(
                session, channel.id, topic, include=include, exclude=exclude, now=self.clock()
            )
        verb = "Subscribed to" if added else "Updated the filters of"
        return Reply(text=f"{verb} the topic {topic!r}{_filters_text(include, exclude)}.")

    async def _subscribe_url(
        self, where: ChannelRef, url: str, include: Sequence[str], exclude: Sequence[str]
    ) -> Reply:
        check_url(url, user_supplied=True, allow_private=self.config.fetch.allow_private_addresses)
        feed_id = await self._known_feed(url)
        if feed_id is None:
            fetched = await self._fetch_feed_or_opml(url)
            if isinstance(fetched, list):
                return await self._subscribe_opml(where, url, fetched, include, exclude)
            feed_id = await self._store_new_feed(url, fetched)
        channel = await self._ensure_channel(where)
        async with self.db.write() as session:
            added = await channel_store.add_feed_subscription(
                session, channel.id, feed_id, include=include, exclude=exclude, now=self.clock()
            )
        feed = await self._feeds.get(feed_id)
        name = feed.name if feed else display_url(url)
        verb = "Subscribed to" if added else "Updated the filters of"
        return Reply(
            text=f"{verb} {name} ({display_url(url)}){_filters_text(include, exclude)}. "
            "Articles it already carried are not posted; new ones appear in the next digest."
        )

    async def _known_feed(self, url: str) -> int | None:
        feed = await self._feeds.get_by_url(url)
        if feed is None:
            return None
        if feed.origin == "operator" and not url.lower().startswith(("http://", "https://")):
            raise BadInput("feeds from chat must be http:// or https:// URLs.")
        if feed.disabled:
            raise FeedError(
                f"{display_url(url)} is disabled after repeated failures "
                f"({feed.disabled_reason}); ask the operator to re-enable it."
            )
        return feed.id if feed.baselined else None

    async def _fetch_feed_or_opml(
        self, url: str
    ) -> tuple[ParsedFeed, str | None, str | None] | list[OpmlFeed]:
        """Fetch once: a parsed feed (with its validators), or the feeds of an OPML file."""
        now = self.clock()
        try:
            result = await self.fetcher.fetch(url)
        except FeedError as error:
            raise FeedError(f"{display_url(url)} could not be fetched: {error}") from None
        try:
            parsed = await self.parser.parse(
                result.body, url=url, headers=result.headers, fetched_at=now
            )
        except NotAFeed as error:
            try:
                feeds = read_opml(result.body)
            except BadInput:
                raise NotAFeed(f"{display_url(url)} is not an RSS or Atom feed: {error}") from None
            if not feeds:
                raise BadInput(f"the OPML file at {display_url(url)} lists no feeds.") from None
            return feeds
        return parsed, result.etag, result.last_modified

    async def _store_new_feed(
        self, url: str, fetched: tuple[ParsedFeed, str | None, str | None]
    ) -> int:
        """Store a feed that was just fetched, its current items as the baseline."""
        parsed, etag, last_modified = fetched
        now = self.clock()
        feeds = self._feeds
        feed = await feeds.add(
            url,
            now=now,
            origin="user",
            interval_s=self.config.fetch.poll_interval_s,
            exist_ok=True,
        )
        await ArticleStore(self.db).add_many(
            parsed.articles, feed_id=feed.id, fetched_at=now, baseline=True
        )
        await feeds.record_success(
            feed.id,
            now=now,
            etag=etag,
            last_modified=last_modified,
            title=parsed.title,
            outlet=parsed.outlet,
        )
        return feed.id

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
                    check_url(
                        entry.url,
                        user_supplied=True,
                        allow_private=self.config.fetch.allow_private_addresses,
                    )
                    feed_id = await self._known_feed(entry.url)
                    if feed_id is None:
                        fetched = await self._fetch_feed_or_opml(entry.url)
                        if isinstance(fetched, list):
                            raise NotAFeed("it is another OPML file")
                        feed_id = await self._store_new_feed(entry.url, fetched)
                    return entry, feed_id, ""
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
        async with self.db.write() as session:
            for _, feed_id in good:
                await channel_store.add_feed_subscription(
                    session, channel.id, feed_id, include=include, exclude=exclude, now=self.clock()
                )
        lines = tuple(f"skipped {display_url(e.url)}: {why}" for e, why in bad)
        text = (
            f"Subscribed to {len(good)} feeds from the OPML file{_filters_text(include, exclude)}."
        )
        if bad:
            text += f" {len(bad)} could not be used (see below)."
        return Reply(text=text, lines=lines)

    # -- unsubscribe / list ----------------------------------------------------------

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
                found = _pick_subscription(subs, text)
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
            return Reply(text="This channel follows nothing yet; try `subscribe URL`.")
        async with self.db.session() as session:
            subs = await channel_store.list_subscriptions(session, channel.id)
        if not subs:
            return Reply(text="This channel follows nothing yet; try `subscribe URL`.")
        lines = tuple(f"{n}. {_describe(s)}{_health(s)}" for n, s in enumerate(subs, start=1))
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

    # -- summary / digest -----------------------------------------------------------

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
                return Reply(text=f"Nothing was published about {label} in the last {hours} hours.")
            digest = await self._compose(
                where, articles, f"Summary of {label}, last {hours} hours", start, now
            )
            return Reply(text=f"{digest.title}: {len(digest.items)} stories.", digest=digest)

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
                chosen = _pick_subscription([s for s in subs if s.kind == "feed"], feed.strip())
                feed_row = await channel_store.find_feed_by_url(session, feed.strip())
                feed_id = chosen.feed_id if chosen else (feed_row.id if feed_row else None)
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
                words = _checked_topic_words(topic)
                about = [a for a in found if matches_topic(a, words)]
                return about, f"{label}, about {' '.join(words)!r}"
            if topic:
                words = _checked_topic_words(topic)
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
        digest, _ = await compose_digest(
            articles,
            title=title,
            start=start,
            end=end,
            max_items=max_items,
            summariser=self.summariser_for(mode),
            cache=BuildCache(),
            scope=where.key,
        )
        return digest

    async def digest_now(self, where: ChannelRef, caller: Caller) -> Reply:
        """The digest of everything new since the last scheduled one, right now."""

        async def work() -> Reply:
            channel = await self._channel(where)
            if channel is None:
                return Reply(text="This channel follows nothing yet; try `subscribe URL`.")
            now = self.clock()
            start = _since_last_digest_time(channel, now)
            async with self.db.session() as session:
                _, candidates = await self._pending_candidates(session, channel, start, now)
            kept = [c.article for c in candidates if c.skipped is None]
            if not kept:
                return Reply(text="Nothing new since the last digest.")
            digest = await self._compose(
                where, kept, f"News digest so far ({now:%d %b %Y %H:%M} UTC)", start, now
            )
            return Reply(text=f"{digest.title}: {len(digest.items)} stories.", digest=digest)

        return await self._guarded(work)

    # -- ask ------------------------------------------------------------------------

    async def ask(
        self, where: ChannelRef, caller: Caller, question: str, *, thread_id: str | None = None
    ) -> Reply:
        """Answer from the channel's digests first, then the whole store, citing sources."""

        async def work() -> Reply:
            if not question.strip():
                raise BadInput("ask a question, for example: ask what did the council decide?")
            channel = await self._channel(where)
            return await ask_module.answer_question(
                self.db,
                self.answerer,
                question,
                channel_id=channel.id if channel else None,
                thread_id=thread_id,
                now=self.clock(),
                scope=where.key,
            )

        return await self._guarded(work)

    # -- settings / status -------------------------------------------------------------

    async def settings(
        self, where: ChannelRef, caller: Caller, changes: Mapping[str, str]
    ) -> Reply:
        """Show the channel's settings, or change them (all valid, or nothing changes)."""

        async def work() -> Reply:
            if not changes:
                channel = await self._channel(where)
                return _settings_reply(channel, self._defaults())
            self._require_manage(caller)
            values = _validate_settings(changes)
            await self._ensure_channel(where)
            now = self.clock()
            async with self.db.write() as session:
                row = await channel_store.find_channel(session, where)
                assert row is not None
                for name, value in values.items():
                    setattr(row, name, value)
                row.next_digest_at = (
                    next_digest_at(now, parse_time(row.digest_time), parse_zone(row.timezone))
                    if row.digest_enabled
                    else None
                )
            channel = await self._channel(where)
            reply = _settings_reply(channel, self._defaults())
            return Reply(text="Settings saved. " + reply.text, lines=reply.lines, ephemeral=True)

        return await self._guarded(work)

    async def status(self, where: ChannelRef, article: str | None = None) -> Reply:
        """Feed health, the last and next digest, and why recent articles were skipped."""

        async def work() -> Reply:
            channel = await self._channel(where)
            if channel is None:
                return Reply(text="This channel follows nothing yet; try `subscribe URL`.")
            if article:
                return await self._explain_article(channel, article.strip())
            return await self._status_overview(channel)

        return await self._guarded(work)

    async def _pending_candidates(
        self, session: AsyncSession, channel: ChannelRow, start: datetime, end: datetime
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

    async def _status_overview(self, channel: ChannelRow) -> Reply:
        now = self.clock()
        async with self.db.session() as session:
            last = await digest_store.latest_digest(session, channel.id)
            start = _since_last_digest_time(channel, now)
            subs, candidates = await self._pending_candidates(session, channel, start, now)
        lines = [f"feed {s.feed_title or s.feed_url}{_health(s)}" for s in subs if s.kind == "feed"]
        if last is None:
            lines.append("last digest: none yet")
        else:
            state = f"sent {last.sent_at:%Y-%m-%d %H:%M} UTC" if last.sent_at else last.state
            error = (
                f" (last error: {last.last_error})" if last.last_error and not last.sent_at else ""
            )
            lines.append(f"last digest: {last.period_key}, {last.items} stories, {state}{error}")
        lines.append(_next_digest_line(channel))
        skipped = [c for c in candidates if c.skipped][:10]
        waiting = sum(1 for c in candidates if c.skipped is None)
        lines.append(f"articles waiting for the next digest: {waiting}")
        lines += [f"skipped {c.article.title[:80]!r}: {c.skipped}" for c in skipped]
        return Reply(
            text=f"Status of this channel ({len(subs)} subscriptions):", lines=tuple(lines)
        )

    async def _explain_article(self, channel: ChannelRow, url_or_id: str) -> Reply:
        async with self.db.session() as session:
            row = await digest_store.find_article(session, url_or_id)
            if row is None:
                return Reply(text="That article is not in the store: no followed feed carried it.")
            article = article_from_row(row)
            subs = await channel_store.list_subscriptions(session, channel.id)
            feed_ids = set(await digest_store.feed_ids_of_article(session, row.id))
            sent = await digest_store.digested_article_ids(session, channel.id, [row.id])
        reason = _article_reason(article, row.baseline, subs, feed_ids, sent, channel, self.config)
        return Reply(text=f"{article.title[:100]!r}: {reason}")

    # -- text form ------------------------------------------------------------------

    async def execute(
        self, where: ChannelRef, caller: Caller, text: str, *, thread_id: str | None = None
    ) -> Reply:
        """Run a command typed as text (Slack, console): `subscribe URL include:a,b`, ..."""
        # Any whitespace separates the words: a tab, or the no-break space pasted text carries.
        words = text.strip().lstrip("/").split(None, 1)
        if words and words[0].lower() == "news":  # "/news list" as typed on Slack or Discord
            words = words[1].split(None, 1) if len(words) > 1 else []
        name = words[0].lower() if words else ""
        rest = words[1].strip() if len(words) > 1 else ""
        try:
            return await self._dispatch(where, caller, name, rest, thread_id)
        except NewsbotError as error:
            return refusal(str(error))

    async def _dispatch(
        self, where: ChannelRef, caller: Caller, name: str, rest: str, thread_id: str | None
    ) -> Reply:
        if name in ("", "help"):
            return Reply(text=HELP, ephemeral=True)
        if name == "subscribe":
            target, options = _split_options(rest, ("include", "exclude"))
            return await self.subscribe(
                where,
                caller,
                target,
                include=split_word_list(options.get("include", "")),
                exclude=split_word_list(options.get("exclude", "")),
            )
        if name == "unsubscribe":
            return await self.unsubscribe(where, caller, rest)
        if name == "list":
            return await self.list_subscriptions(where)
        if name == "summary":
            return await self._summary_text(where, caller, rest)
        if name == "digest":
            return await self.digest_now(where, caller)
        if name == "ask":
            return await self.ask(where, caller, rest, thread_id=thread_id)
        if name == "settings":
            return await self.settings(where, caller, _parse_settings(rest))
        if name == "status":
            return await self.status(where, rest or None)
        return Reply(text=f"Unknown command {name[:40]!r}.\n{HELP}", ok=False, ephemeral=True)

    async def _summary_text(self, where: ChannelRef, caller: Caller, rest: str) -> Reply:
        free, options = _split_options(rest, ("hours", "feed", "topic"))
        hours_text = options.get("hours", "")
        words = free.split()
        if not hours_text and words and _whole_number(words[0]) is not None:
            hours_text, free = words[0], " ".join(words[1:])
        hours = 24
        if hours_text:
            number = _whole_number(hours_text)
            if number is None:
                raise BadInput(f"hours must be a whole number, not {hours_text[:20]!r}.")
            hours = number
        feed, topic = options.get("feed"), options.get("topic")
        if free and not feed and not topic:
            if _looks_like_url(free) or _whole_number(free) is not None:
                feed = free
            else:
                topic = free
        return await self.summary(where, caller, topic=topic, feed=feed, hours=hours)


# -- helpers ---------------------------------------------------------------------------


def _whole_number(text: str) -> int | None:
    """`text` as a number if it is all decimal digits (any script's, as int() reads them);
    not isdigit(), which also passes "²" that int() refuses."""
    return int(text) if text.isdecimal() else None


def _checked_topic_words(topic: str) -> tuple[str, ...]:
    """The words of a topic; BadInput if it has none, or is too long to be one."""
    topic = " ".join(topic.split())
    words = topic_words(topic)
    if not words:
        raise BadInput("a topic needs at least one word, for example: topic: climate policy.")
    if len(topic) > MAX_TOPIC_CHARS or len(words) > 8:
        raise BadInput(f"a topic can have at most 8 words and {MAX_TOPIC_CHARS} characters.")
    if not content_words(topic):
        # "the of and" is in every article: such a topic would follow everything.
        raise BadInput(
            f"{topic!r} has only common words; name the subject, "
            "for example: topic: climate policy."
        )
    return words


def _absolute(link: str, base: str) -> str:
    """`link` resolved against `base`; unchanged if either will not parse (check_url says so)."""
    try:
        return urljoin(base, link.strip())
    except ValueError:
        return link


def _split_options(text: str, names: Sequence[str]) -> tuple[str, dict[str, str]]:
    """`URL include:a,b exclude:c` -> ("URL", {"include": "a,b", "exclude": "c"}).

    An option's value runs to the next option, so `topic:climate policy hours:6` works.
    """
    pattern = re.compile(r"(?:^|\s)(" + "|".join(names) + r"):", re.IGNORECASE)
    matches = list(pattern.finditer(text))
    if not matches:
        return text.strip(), {}
    options: dict[str, str] = {}
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        options[match.group(1).lower()] = text[match.end() : end].strip()
    return text[: matches[0].start()].strip(), options


def _parse_settings(text: str) -> dict[str, str]:
    """`timezone=Europe/Berlin time=07:30` -> {"timezone": ..., "time": ...}."""
    try:
        parts = shlex.split(text)
    except ValueError:
        raise BadInput("settings must look like key=value, e.g. settings time=07:30.") from None
    changes: dict[str, str] = {}
    for part in parts:
        key, sep, value = part.partition("=")
        if not sep:
            raise BadInput(
                f"{part[:40]!r} is not key=value; for example: settings timezone=Europe/Berlin."
            )
        if len(value) > MAX_SETTING_CHARS:
            raise BadInput(
                f"the value of {key[:30]!r} is too long; `help` shows what each setting takes."
            )
        changes[key.strip().lower()] = value.strip()
    return changes


def _validate_settings(changes: Mapping[str, str]) -> dict[str, object]:
    """Column values for valid changes; BadInput on the first invalid one (nothing applied)."""
    values: dict[str, object] = {}
    for key, value in changes.items():
        name = key.strip().lower().replace("-", "_")
        if name == "time":
            at = parse_time(value)
            values["digest_time"] = f"{at.hour:02d}:{at.minute:02d}"
        elif name in ("timezone", "tz", "zone"):
            values["timezone"] = parse_zone(value).key
        elif name == "max_items":
            number = _whole_number(value.strip())
            if number is None or not 1 <= number <= MAX_ITEMS:
                raise BadInput(
                    f"the max_items setting must be a whole number from 1 to {MAX_ITEMS}."
                )
            values["max_items"] = number
        elif name == "summariser" or name == "summarizer":
            if value.strip().lower() not in ("auto", "llm", "extractive"):
                raise BadInput("the summariser setting must be auto, llm or extractive.")
            values["summariser"] = value.strip().lower()
        elif name == "digest":
            if value.strip().lower() not in ("on", "off"):
                raise BadInput("the digest setting must be on or off.")
            values["digest_enabled"] = value.strip().lower() == "on"
        else:
            raise BadInput(
                f"unknown setting {key[:30]!r}; the settings are: " + ", ".join(SETTING_KEYS) + "."
            )
    return values


def _settings_reply(channel: ChannelRow | None, defaults: ChannelDefaults) -> Reply:
    lines: tuple[str, ...]
    if channel is None:
        lines = (
            f"time={defaults.digest_time}",
            f"timezone={defaults.timezone}",
            f"max_items={defaults.max_items}",
            f"summariser={defaults.summariser}",
            "digest=on",
        )
        return Reply(text="This channel uses the default settings:", lines=lines, ephemeral=True)
    lines = (
        f"time={channel.digest_time}",
        f"timezone={channel.timezone}",
        f"max_items={channel.max_items}",
        f"summariser={channel.summariser}",
        f"digest={'on' if channel.digest_enabled else 'off'}",
        _next_digest_line(channel),
    )
    return Reply(text="This channel's settings:", lines=lines, ephemeral=True)


def _since_last_digest_time(channel: ChannelRow, now: datetime) -> datetime:
    """The channel's most recent digest time: what is newer goes into the next digest."""
    return latest_digest_at(now, parse_time(channel.digest_time), parse_zone(channel.timezone))


def _next_digest_line(channel: ChannelRow) -> str:
    if not channel.digest_enabled or channel.next_digest_at is None:
        return "next digest: off"
    local = channel.next_digest_at.astimezone(parse_zone(channel.timezone))
    return f"next digest: {local:%Y-%m-%d %H:%M} {channel.timezone}"


def _filters_text(include: Sequence[str], exclude: Sequence[str]) -> str:
    parts = []
    if include:
        parts.append("only with " + ", ".join(include))
    if exclude:
        parts.append("never with " + ", ".join(exclude))
    return f" ({'; '.join(parts)})" if parts else ""


def _describe(sub: SubscriptionView) -> str:
    filters = _filters_text(sub.include_words, sub.exclude_words)
    if sub.kind == "topic":
        return f"topic {sub.topic!r}{filters}"
    name = sub.feed_title or "feed"
    return f"{name} ({display_url(sub.feed_url)}){filters}"


def _health(sub: SubscriptionView) -> str:
    if sub.kind != "feed":
        return ""
    if sub.feed_disabled:
        return f" — disabled: {sub.feed_disabled_reason}"
    if sub.feed_failures:
        return f" — failing ({sub.feed_failures} in a row): {sub.feed_error}"
    if sub.feed_last_success is None:
        return " — not polled yet"
    return f" — ok (last fetched {sub.feed_last_success:%Y-%m-%d %H:%M} UTC)"


def _pick_subscription(subs: Sequence[SubscriptionView], text: str) -> SubscriptionView | None:
    number = _whole_number(text)
    if number is not None:
        index = number - 1
        return subs[index] if 0 <= index < len(subs) else None
    lowered = text.lower()
    if lowered.startswith("topic:"):
        lowered = lowered[6:].strip()
    words = " ".join(topic_words(lowered))
    for sub in subs:
        if sub.kind == "feed" and sub.feed_url.lower() == lowered:
            return sub
        if sub.kind == "topic" and sub.topic == words:
            return sub
    return None


def _article_reason(
    article: Article,
    baseline: bool,
    subs: Sequence[SubscriptionView],
    feed_ids: set[int],
    sent: Mapping[str, str],
    channel: ChannelRow,
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
