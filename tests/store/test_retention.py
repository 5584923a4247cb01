"""Retention on SQLite and PostgreSQL: old things go, nothing a digest still needs does."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from bot.channels.daily import BuildDeps
from bot.channels.scheduler import Scheduler
from bot.models import Article, ChannelRef
from bot.store.articles import ArticleStore
from bot.store.channels import ChannelDefaults, ensure_channel
from bot.store.db import Database
from bot.store.digests import articles_of_digests, digest_for_thread, store_digest_with_outbox
from bot.store.feeds import FeedStore
from bot.store.outbox import mark_sent
from bot.store.retention import RetentionPolicy, prune
from bot.store.schema import FeedArticleRow, OutboxRow
from bot.store.usage import UsageStore
from bot.summarise.extractive import ExtractiveSummariser

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
WHERE = ChannelRef("console", "local", "news")


def article(slug: str, days_ago: float, *, fetched_days_ago: float | None = None) -> Article:
    fetched = NOW - timedelta(days=days_ago if fetched_days_ago is None else fetched_days_ago)
    return Article(
        id=f"id-{slug}",
        url=f"https://news.example/{slug}",
        title=f"Story {slug}",
        text=f"Report {slug} with the marker word zq{slug}x.",
        outlet="Harbour Gazette",
        published=NOW - timedelta(days=days_ago),
        fetched=fetched,
    )


async def store_articles(db: Database, *articles: Article) -> None:
    feed = await FeedStore(db).add("https://harbour.example/rss", now=NOW, exist_ok=True)
    for item in articles:
        assert item.fetched is not None
        await ArticleStore(db).add_many([item], feed_id=feed.id, fetched_at=item.fetched)


async def store_digest(
    db: Database, period: str, days_ago: float, article_ids: list[str], *, sent: bool
) -> tuple[int, str]:
    """A digest built `days_ago`, with its outbox row (sent in thread T-period, or pending)."""
    built = NOW - timedelta(days=days_ago)
    async with db.write() as session:
        channel = await ensure_channel(session, WHERE, ChannelDefaults(), built)
        stored = await store_digest_with_outbox(
            session,
            channel_id=channel.id,
            channel_key=WHERE.key,
            period_key=f"daily:{period}",
            period_start=built - timedelta(days=1),
            period_end=built,
            payload={"items": []},
            article_ids=article_ids,
            now=built,
        )
        if sent:
            await mark_sent(
                session,
                stored.outbox_id,
                channel_id=channel.id,
                message_id=f"M-{period}",
                thread_id=f"T-{period}",
                now=built,
            )
    return channel.id, stored.digest_id


async def stored_ids(db: Database) -> set[str]:
    articles = await ArticleStore(db).since(NOW - timedelta(days=3650))
    return {a.id for a in articles}


async def test_prune_removes_old_things_and_keeps_what_digests_need(db: Database) -> None:
    await store_articles(
        db,
        article("stale", 40),
        article("in-sent-old-digest", 40),
        article("in-kept-digest", 40),
        article("in-pending-digest", 40),
        article("fresh", 2),
        article("old-date-new-fetch", 40, fetched_days_ago=1),
    )
    await store_digest(db, "old-sent", 35, ["id-in-sent-old-digest"], sent=True)
    channel_id, kept_digest = await store_digest(
        db, "recent-sent", 10, ["id-in-kept-digest"], sent=True
    )
    await store_digest(db, "old-pending", 35, ["id-in-pending-digest"], sent=False)
    usage = UsageStore(db)
    await usage.add_tokens("channel:1", (NOW - timedelta(days=40)).date().isoformat(), 900)
    await usage.add_tokens("channel:1", NOW.date().isoformat(), 100)

    report = await prune(db, RetentionPolicy(keep_days=30, batch=2), now=NOW)

    assert (report.digests, report.outbox_rows, report.articles, report.usage_rows) == (1, 1, 2, 1)
    assert await stored_ids(db) == {
        "id-in-kept-digest",
        "id-in-pending-digest",
        "id-fresh",
        "id-old-date-new-fetch",
    }
    # `ask` in the kept digest's thread still finds the digest and its articles.
    async with db.session() as session:
        assert await digest_for_thread(session, channel_id, "T-recent-sent") == kept_digest
        assert await digest_for_thread(session, channel_id, "T-old-sent") is None
        behind = await articles_of_digests(session, [kept_digest])
        states = (await session.scalars(select(OutboxRow.state))).all()
        links = await session.scalar(select(func.count()).select_from(FeedArticleRow))
    assert [a.id for a in behind] == ["id-in-kept-digest"]
    assert sorted(states) == ["pending", "sent"]  # the pending post is still there to deliver
    assert links == 4  # the removed articles' feed links went with them
    assert await usage.tokens_used("channel:1", NOW.date().isoformat()) == 100

    again = await prune(db, RetentionPolicy(keep_days=30), now=NOW)
    assert again.total == 0


async def test_a_short_setting_never_cuts_into_the_digest_window(db: Database) -> None:
    await store_articles(db, article("five-days", 5), article("twelve-days", 12))
    report = await prune(db, RetentionPolicy(keep_days=1, window_hours=24), now=NOW)
    assert report.articles == 1
    assert await stored_ids(db) == {"id-five-days"}
    # A longer digest window keeps more: a week back plus two windows.
    await store_articles(db, article("twelve-again", 12))
    wide = await prune(db, RetentionPolicy(keep_days=1, window_hours=24 * 7), now=NOW)
    assert wide.articles == 0


async def test_zero_keeps_everything(db: Database) -> None:
    await store_articles(db, article("ancient", 2000))
    await store_digest(db, "ancient", 1900, ["id-ancient"], sent=True)
    report = await prune(db, RetentionPolicy(keep_days=0), now=NOW)
    assert report.total == 0
    assert await stored_ids(db) == {"id-ancient"}


async def test_the_search_index_shrinks_with_the_articles(db: Database) -> None:
    await store_articles(db, *(article(f"gone{i}", 60) for i in range(30)), article("kept", 1))
    await prune(db, RetentionPolicy(keep_days=30, batch=7), now=NOW)
    async with db.session() as session:
        if db.dialect == "sqlite":
            indexed = await session.scalar(text("SELECT count(*) FROM articles_fts_docsize"))
            found = await session.scalar(
                text("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH 'zqgone3x'")
            )
        else:
            indexed = await session.scalar(
                text("SELECT count(*) FROM articles WHERE search_vector IS NOT NULL")
            )
            found = await session.scalar(
                text(
                    "SELECT count(*) FROM articles "
                    "WHERE search_vector @@ plainto_tsquery('english', 'zqgone3x')"
                )
            )
    assert (indexed, found) == (1, 0)


async def test_the_running_scheduler_prunes_in_the_background(db: Database) -> None:
    await store_articles(db, article("stale", 45), article("fresh", 1))
    summariser = ExtractiveSummariser()
    scheduler = Scheduler(
        db=db,
        build=BuildDeps(db=db, summariser_for=lambda _mode: summariser, clock=lambda: NOW),
        posters={},
        clock=lambda: NOW,
        retention=RetentionPolicy(keep_days=30),
    )
    try:
        await scheduler.tick()  # starts the prune as a task of its own and returns
        for _ in range(100):
            if await stored_ids(db) == {"id-fresh"}:
                break
            await asyncio.sleep(0.05)
        await scheduler.tick()  # within the hour: no second prune
    finally:
        await scheduler.stop()
    assert await stored_ids(db) == {"id-fresh"}
