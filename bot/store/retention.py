"""Retention: what the store may forget, removed in small batches so the bot never waits on it.

Without it the database grows for ever (every article, digest, sent post and LLM usage
counter is kept). A prune removes, older than the retention period:

- digests whose post is no longer pending (their sent or given-up outbox rows, article
  links and post parts go with them: foreign keys cascade);
- articles that no remaining digest refers to (their feed links go with them, and the
  search index shrinks through its delete trigger on SQLite, or with the row on PostgreSQL);
- LLM usage counters of past days.

It never removes what a digest still needs: the retention period is never shorter than
`digest_floor` (the oldest article a digest may still pick, plus margin, and the digests
`ask` and the "already sent" check look back on), a digest with a pending outbox row is
kept whatever its age, and so is every article such a digest or any kept digest refers to
(a thread's articles for `ask`).

Each batch is one short transaction (on SQLite it holds the write lock for milliseconds), so
polls, digests and deliveries go on between batches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.store.db import Database
from bot.store.schema import ArticleRow, DigestArticleRow, DigestRow, LlmUsageRow, OutboxRow

# "Already sent" looks back 4 days and `ask` finds a channel's digests of the last 7: never
# forget less than this, whatever the setting says.
LOOKBACK_FLOOR = timedelta(days=7)
MARGIN = timedelta(days=1)
BATCH = 500
FTS_MERGE_PAGES = 500  # the work one compaction may do, in index pages (4 kB each)
OneBatch = Callable[[AsyncSession, datetime, int], Awaitable[int]]


@dataclass(frozen=True)
class RetentionPolicy:
    """How long things are kept. `keep_days=0` keeps everything."""

    keep_days: int = 30
    window_hours: int = 24  # digest.window_hours: how far back a digest looks
    batch: int = BATCH

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionPolicy:
        return cls(settings.database.retention_days, settings.digest.window_hours)

    @property
    def enabled(self) -> bool:
        return self.keep_days > 0

    @property
    def digest_floor(self) -> timedelta:
        """The least that is kept: a digest's period (a day), the articles it may still
        pick (twice its window), what "already sent" and `ask` look back on, plus margin."""
        articles = timedelta(days=1) + 2 * timedelta(hours=self.window_hours)
        return max(articles, LOOKBACK_FLOOR) + MARGIN

    def cutoff(self, now: datetime) -> datetime:
        """Everything older than this may go."""
        return now - max(timedelta(days=self.keep_days), self.digest_floor)


@dataclass(frozen=True)
class PruneReport:
    """What one prune removed."""

    cutoff: datetime
    digests: int = 0
    outbox_rows: int = 0
    articles: int = 0
    usage_rows: int = 0

    @property
    def total(self) -> int:
        return self.digests + self.outbox_rows + self.articles + self.usage_rows

    def describe(self) -> str:
        """One line for the log: what went, from before when."""
        return (
            f"removed {self.articles} articles, {self.digests} digests, {self.outbox_rows} "
            f"posts and {self.usage_rows} usage counters from before "
            f"{self.cutoff:%Y-%m-%d %H:%M} UTC"
        )


def _pending_post() -> Any:
    return exists().where(OutboxRow.digest_id == DigestRow.id, OutboxRow.state == "pending")


async def delete_old_digests(
    session: AsyncSession, cutoff: datetime, limit: int
) -> tuple[int, int]:
    """One batch of digests older than `cutoff` with no pending post: (digests, outbox rows)."""
    ids = list(
        (
            await session.scalars(
                select(DigestRow.id)
                .where(DigestRow.created_at < cutoff, ~_pending_post())
                .limit(limit)
            )
        ).all()
    )
    if not ids:
        return 0, 0
    # Counted before the cascade removes them: the report says what went.
    outbox = await session.scalars(select(OutboxRow.id).where(OutboxRow.digest_id.in_(ids)))
    outbox_count = len(outbox.all())
    await session.execute(delete(DigestRow).where(DigestRow.id.in_(ids)))
    return len(ids), outbox_count


async def delete_old_articles(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """One batch of articles fetched and published before `cutoff` that no digest refers to."""
    referred = exists().where(DigestArticleRow.article_id == ArticleRow.id)
    ids = list(
        (
            await session.scalars(
                select(ArticleRow.id)
                .where(
                    ArticleRow.fetched_at < cutoff,
                    ArticleRow.published_at < cutoff,
                    ~referred,
                )
                .limit(limit)
            )
        ).all()
    )
    if ids:
        await session.execute(delete(ArticleRow).where(ArticleRow.id.in_(ids)))
    return len(ids)


async def delete_old_usage(session: AsyncSession, cutoff: datetime, limit: int) -> int:
    """One batch of LLM usage counters of UTC days before `cutoff`'s day."""
    day = cutoff.date().isoformat()
    ids = list(
        await session.scalars(select(LlmUsageRow.id).where(LlmUsageRow.day < day).limit(limit))
    )
    if ids:
        await session.execute(delete(LlmUsageRow).where(LlmUsageRow.id.in_(ids)))
    return len(ids)


async def prune(db: Database, policy: RetentionPolicy, *, now: datetime) -> PruneReport:
    """Remove what `policy` lets go, batch by batch; returns what went.

    Digests go first, so the articles only they referred to can go in the same prune.
    """
    cutoff = policy.cutoff(now)
    if not policy.enabled:
        return PruneReport(cutoff=cutoff)
    digests = outbox = 0
    while True:
        async with db.write() as session:
            gone, posts = await delete_old_digests(session, cutoff, policy.batch)
        digests, outbox = digests + gone, outbox + posts
        await asyncio.sleep(0)  # let polls and deliveries in between batches
        if gone < policy.batch:
            break
    articles = await _in_batches(db, delete_old_articles, cutoff, policy.batch)
    if articles:
        await compact_search_index(db)
    usage = await _in_batches(db, delete_old_usage, cutoff, policy.batch)
    return PruneReport(
        cutoff=cutoff, digests=digests, outbox_rows=outbox, articles=articles, usage_rows=usage
    )


async def compact_search_index(db: Database) -> None:
    """Let SQLite's full-text index give back what deleted articles held.

    FTS5 records a deletion as a marker that is only dropped when its segment is merged; with
    articles deleted every hour and few new segments to trigger a merge, the index kept
    growing while the articles did not (a month of 300 feeds: 1.3 -> 4.4 MB while the articles
    stayed level). A merge after each prune (`-N`: whatever the number of segments, at most
    N pages of work) keeps it in step.
    PostgreSQL's index entries go with their rows (and autovacuum reuses the space).
    """
    if db.dialect != "sqlite":
        return
    async with db.write() as session:
        await session.execute(
            text("INSERT INTO articles_fts(articles_fts, rank) VALUES ('merge', -:pages)"),
            {"pages": FTS_MERGE_PAGES},
        )


async def _in_batches(db: Database, one_batch: OneBatch, cutoff: datetime, batch: int) -> int:
    total = 0
    while True:
        # A write transaction: on SQLite the search index's delete trigger reads, then writes.
        async with db.write() as session:
            gone = await one_batch(session, cutoff, batch)
        total += gone
        await asyncio.sleep(0)
        if gone < batch:
            return total
