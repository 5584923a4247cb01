"""The unit of work "poll these feeds": fetch, parse, store what is new, update health.

It is idempotent: articles are deduplicated by canonical URL in the database and each feed's
next poll time moves forward with every outcome, so a retry, a restart or a second process
polling the same feed stores nothing twice. Any runner can call it with plain arguments
(the CLI, the in-process scheduler, a worker of a task queue later).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from bot.config import FetchSettings, Settings
from bot.errors import FeedError, NewsbotError
from bot.feeds.fetch import Fetcher
from bot.feeds.fulltext import fetch_full_text
from bot.feeds.parse import ParserPool
from bot.feeds.urls import display_url
from bot.models import Article
from bot.store.articles import ArticleStore, write_articles
from bot.store.db import Database, Session, WriteBatcher
from bot.store.feeds import (
    Backoff,
    Feed,
    FeedStore,
    write_failure,
    write_moved,
    write_not_modified,
    write_success,
)

if TYPE_CHECKING:
    from bot.ops.metrics import Metrics

log = logging.getLogger("newsbot.poll")

PollStatus = Literal["new", "unchanged", "failed", "disabled"]
# Entries shorter than this are taken for teasers when `fetch.full_text` is on.
TEASER_CHARS = 400


@dataclass(frozen=True)
class PollOutcome:
    """What polling one feed did. `error` says why it failed or was disabled."""

    feed_id: int
    url: str  # without credentials: safe to show and log
    status: PollStatus
    new_articles: int = 0
    error: str = ""
    name: str = ""  # outlet or title, for tables


async def poll_feeds(
    db: Database,
    fetcher: Fetcher,
    parser: ParserPool,
    feed_ids: Sequence[int],
    *,
    now: datetime,
    settings: Settings | FetchSettings,
    on_outcome: Callable[[PollOutcome], None] | None = None,
    metrics: Metrics | None = None,
) -> list[PollOutcome]:
    """Poll the given feeds concurrently and return one outcome per feed that exists.

    A failure of one feed (network, HTTP status, not a feed, a bug in parsing) is recorded
    on that feed and never stops the others. `on_outcome` is called as each feed finishes
    (progress bars); `metrics` counts each feed polled, failed and its new articles.
    """
    fetch_settings = settings.fetch if isinstance(settings, Settings) else settings
    poller = _Poller(
        feeds=FeedStore(db, Backoff.from_settings(fetch_settings)),
        articles=ArticleStore(db),
        fetcher=fetcher,
        parser=parser,
        now=now,
        # Results are stored in shared transactions: one commit per batch, not per feed.
        writer=WriteBatcher(db),
        full_text=fetch_settings.full_text,
    )
    feeds = await poller.feeds.get_many(list(dict.fromkeys(feed_ids)))

    async def poll_and_report(feed: Feed) -> PollOutcome:
        try:
            outcome = await poller.poll(feed)
        except Exception:  # even recording the failure failed (database gone): say so
            log.exception("could not record the poll of %s", display_url(feed.url))
            error = "the outcome could not be stored (database error; details in the log)."
            outcome = PollOutcome(feed.id, display_url(feed.url), "failed", error=error)
        if metrics is not None and not feed.disabled:  # a disabled feed was not polled
            failed = outcome.status in ("failed", "disabled")
            metrics.feed_polled(failed=failed, new_articles=outcome.new_articles)
        if on_outcome is not None:
            on_outcome(outcome)
        return outcome

    return list(await asyncio.gather(*(poll_and_report(feed) for feed in feeds)))


@dataclass
class _Poller:
    feeds: FeedStore
    articles: ArticleStore
    fetcher: Fetcher
    parser: ParserPool
    now: datetime
    writer: WriteBatcher
    full_text: bool = False

    async def poll(self, feed: Feed) -> PollOutcome:
        shown = display_url(feed.url)
        if feed.disabled:
            return PollOutcome(
                feed.id, shown, "disabled", error=feed.disabled_reason, name=feed.name
            )
        try:
            outcome = await self._fetch_and_store(feed, shown)
        except FeedError as error:
            return await self._failed(feed, shown, str(error), error.retry_after_s)
        except NewsbotError as error:  # e.g. a refused URL: the feed cannot be polled as it is
            return await self._failed(feed, shown, str(error), None)
        except Exception as error:  # a bug must not stop the other feeds; it is logged in full
            log.exception("polling %s failed unexpectedly", shown)
            return await self._failed(
                feed, shown, f"unexpected error ({type(error).__name__}).", None
            )
        log.debug("polled %s: %s, %d new", shown, outcome.status, outcome.new_articles)
        return outcome

    async def _fetch_and_store(self, feed: Feed, shown: str) -> PollOutcome:
        result = await self.fetcher.fetch(
            feed.url,
            etag=feed.etag,
            last_modified=feed.last_modified,
            # Local files only for feeds the operator added; chat users get http(s) only.
            allow_file=feed.origin == "operator",
        )
        if result.moved_to is not None and result.moved_to != feed.url:
            await self._moved(feed, result.moved_to)
        if result.not_modified:
            await self.writer.run(
                lambda session: write_not_modified(
                    session, feed.id, interval_s=feed.poll_interval_s, now=self.now
                )
            )
            return PollOutcome(feed.id, shown, "unchanged", name=feed.name)
        parsed = await self.parser.parse(
            result.body,
            url=feed.url,
            headers=result.headers,
            fetched_at=self.now,
            outlet=feed.outlet,
        )
        if parsed.warning:
            log.info("%s: %s", shown, parsed.warning)
        if parsed.skipped:
            log.info(
                "%s: %d older items left out (fetch.max_items_per_poll keeps the %d newest)",
                shown,
                parsed.skipped,
                len(parsed.articles),
            )

        async def store(session: Session) -> list[Article]:
            new = await write_articles(
                session,
                parsed.articles,
                feed_id=feed.id,
                fetched_at=self.now,
                # The first successful poll only sets a baseline: a new subscription must
                # not flood a channel with the feed's old items.
                baseline=not feed.baselined,
            )
            await write_success(
                session,
                feed.id,
                interval_s=feed.poll_interval_s,
                now=self.now,
                etag=result.etag,
                last_modified=result.last_modified,
                title=parsed.title,
                outlet=parsed.outlet,
            )
            return new

        new = await self.writer.run(store)
        if self.full_text and feed.baselined:  # baseline items never reach a digest
            await self._fill_teasers(new)
        status: PollStatus = "new" if new else "unchanged"
        return PollOutcome(feed.id, shown, status, len(new), name=feed.outlet or parsed.outlet)

    async def _moved(self, feed: Feed, url: str) -> None:
        """A permanent redirect: poll the new address from now on (a temporary one keeps it)."""
        if await self.writer.run(lambda session: write_moved(session, feed.id, url)):
            log.info(
                "feed %d moved permanently: %s is now %s",
                feed.id,
                display_url(feed.url),
                display_url(url),
            )
        else:
            log.info(
                "feed %d redirects permanently to %s, which feed is already stored; kept as is",
                feed.id,
                display_url(url),
            )

    async def _fill_teasers(self, articles: Sequence[Article]) -> None:
        """Fetch the linked page of teaser-only articles and keep its main text."""
        teasers = [a for a in articles if len(a.text) < TEASER_CHARS and a.url.startswith("http")]
        limit = asyncio.Semaphore(4)

        async def fill(article: Article) -> None:
            async with limit:
                try:
                    text = await fetch_full_text(self.fetcher, article.url)
                except NewsbotError as error:
                    log.info("no full text for %s: %s", display_url(article.url), error)
                    return
            if len(text) > len(article.text):
                await self.articles.update_text(article.id, text)

        await asyncio.gather(*(fill(a) for a in teasers))

    async def _failed(
        self, feed: Feed, shown: str, error: str, retry_after_s: float | None
    ) -> PollOutcome:
        updated = await self.writer.run(
            lambda session: write_failure(
                session,
                feed.id,
                now=self.now,
                error=error,
                retry_after_s=retry_after_s,
                backoff=self.feeds.backoff,
            )
        )
        if updated is not None and updated.disabled:
            log.warning("feed %s disabled: %s", shown, updated.disabled_reason)
            return PollOutcome(
                feed.id, shown, "disabled", error=updated.disabled_reason, name=feed.name
            )
        log.info("polling %s failed: %s", shown, error)
        return PollOutcome(feed.id, shown, "failed", error=error, name=feed.name)
