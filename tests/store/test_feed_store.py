"""FeedStore on SQLite and PostgreSQL: adding, due times, backoff, disabling, re-enabling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Connection

from bot.errors import BadInput
from bot.store.db import Database, alembic_config, open_database
from bot.store.feeds import Backoff, FeedStore

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_added_feed_is_due_at_once_and_listed(db: Database) -> None:
    feeds = FeedStore(db)
    feed = await feeds.add("https://a.example/feed", now=NOW, outlet="A Times", interval_s=600)
    assert await feeds.due_feed_ids(NOW) == [feed.id]
    listed = await feeds.list()
    assert [(f.url, f.outlet, f.poll_interval_s, f.health) for f in listed] == [
        ("https://a.example/feed", "A Times", 600, "not polled yet")
    ]
    assert (await feeds.get(feed.id)) == listed[0]
    assert (await feeds.get_by_url("https://a.example/feed")) == listed[0]


async def test_adding_the_same_url_twice_is_refused_unless_exist_ok(db: Database) -> None:
    feeds = FeedStore(db)
    first = await feeds.add("https://a.example/feed", now=NOW)
    with pytest.raises(BadInput, match="already added"):
        await feeds.add("https://a.example/feed", now=NOW)
    again = await feeds.add("https://a.example/feed", now=NOW, exist_ok=True)
    assert again.id == first.id


async def test_success_schedules_the_next_poll_one_interval_later(db: Database) -> None:
    feeds = FeedStore(db)
    feed = await feeds.add("https://a.example/feed", now=NOW, interval_s=900)
    await feeds.record_success(feed.id, now=NOW, etag='"v1"', last_modified="Sun, 01 Mar 2026")
    assert await feeds.due_feed_ids(NOW + timedelta(seconds=899)) == []
    assert await feeds.due_feed_ids(NOW + timedelta(seconds=900)) == [feed.id]
    stored = await feeds.get(feed.id)
    assert stored is not None
    assert (stored.etag, stored.baselined, stored.health) == ('"v1"', True, "ok")


async def test_failures_back_off_exponentially_then_disable_with_reason(db: Database) -> None:
    feeds = FeedStore(db, Backoff(base_s=60, max_s=600, disable_after=5))
    feed = await feeds.add("https://a.example/feed", now=NOW)
    waits = []
    failed = None
    for attempt in range(5):
        failed = await feeds.record_failure(feed.id, now=NOW, error=f"HTTP 500 (try {attempt})")
        assert failed is not None
        waits.append((failed.next_poll_at - NOW).total_seconds())
    assert waits == [60, 120, 240, 480, 600]
    assert failed is not None and failed.disabled
    assert "5 failures in a row" in failed.disabled_reason
    assert "HTTP 500 (try 4)" in failed.disabled_reason
    assert await feeds.due_feed_ids(NOW + timedelta(days=30)) == []
    assert failed.health == "disabled"


async def test_retry_after_is_a_floor_for_the_next_poll(db: Database) -> None:
    feeds = FeedStore(db, Backoff(base_s=60, max_s=3600, disable_after=10))
    feed = await feeds.add("https://a.example/feed", now=NOW)
    failed = await feeds.record_failure(feed.id, now=NOW, error="HTTP 429", retry_after_s=120)
    assert failed is not None
    assert failed.next_poll_at == NOW + timedelta(seconds=120)
    assert await feeds.due_feed_ids(NOW + timedelta(seconds=119)) == []


async def test_a_success_resets_the_failure_count(db: Database) -> None:
    feeds = FeedStore(db, Backoff(base_s=60, max_s=600, disable_after=3))
    feed = await feeds.add("https://a.example/feed", now=NOW)
    await feeds.record_failure(feed.id, now=NOW, error="timeout")
    await feeds.record_failure(feed.id, now=NOW, error="timeout")
    await feeds.record_not_modified(feed.id, now=NOW)
    after = await feeds.record_failure(feed.id, now=NOW, error="timeout")
    assert after is not None
    assert (after.consecutive_failures, after.disabled) == (1, False)


async def test_reenabling_a_disabled_feed_makes_it_due(db: Database) -> None:
    feeds = FeedStore(db, Backoff(base_s=60, max_s=600, disable_after=1))
    feed = await feeds.add("https://a.example/feed", now=NOW)
    await feeds.record_failure(feed.id, now=NOW, error="HTTP 410 Gone")
    assert await feeds.due_feed_ids(NOW + timedelta(days=1)) == []
    assert await feeds.enable(feed.id, now=NOW + timedelta(days=1))
    enabled = await feeds.get(feed.id)
    assert enabled is not None
    assert (enabled.disabled, enabled.disabled_reason, enabled.consecutive_failures) == (
        False,
        "",
        0,
    )
    assert await feeds.due_feed_ids(NOW + timedelta(days=1)) == [feed.id]


async def test_remove_deletes_the_feed_and_reports_unknown_ids(db: Database) -> None:
    feeds = FeedStore(db)
    feed = await feeds.add("https://a.example/feed", now=NOW)
    assert await feeds.remove(feed.id)
    assert not await feeds.remove(feed.id)
    assert await feeds.list() == []


async def test_due_feeds_come_most_overdue_first_and_respect_the_limit(db: Database) -> None:
    feeds = FeedStore(db)
    late = await feeds.add("https://a.example/late", now=NOW)
    early = await feeds.add("https://a.example/early", now=NOW - timedelta(hours=1))
    await feeds.add("https://a.example/future", now=NOW + timedelta(hours=1))
    assert await feeds.due_feed_ids(NOW) == [early.id, late.id]
    assert await feeds.due_feed_ids(NOW, limit=1) == [early.id]


def test_backoff_delay_is_capped_and_retry_after_cannot_exceed_the_cap() -> None:
    backoff = Backoff(base_s=300, max_s=86_400, disable_after=10)
    assert backoff.delay_s(1) == 300
    assert backoff.delay_s(4) == 2400
    assert backoff.delay_s(60) == 86_400
    assert backoff.delay_s(1, retry_after_s=10 * 86_400) == 86_400


# ------------------------------------------------------------------ issue 17: ids, moves, holds


async def test_a_removed_feeds_id_is_never_given_to_another_feed(db: Database) -> None:
    # `feeds remove 2` then `feeds add` must not hand out 2 again: logs, scripts and a
    # chat user's memory of "feed 2" would then name a different feed.
    feeds = FeedStore(db)
    await feeds.add("https://a.example/feed", now=NOW)
    second = await feeds.add("https://b.example/feed", now=NOW)
    assert await feeds.remove(second.id)
    third = await feeds.add("https://c.example/feed", now=NOW)
    assert third.id > second.id


async def test_retry_after_holds_a_feed_even_from_a_forced_poll(db: Database) -> None:
    feeds = FeedStore(db, Backoff(base_s=600, max_s=86_400))
    told = await feeds.add("https://a.example/feed", now=NOW)
    failing = await feeds.add("https://b.example/feed", now=NOW)
    healthy = await feeds.add("https://c.example/feed", now=NOW)
    await feeds.record_failure(told.id, now=NOW, error="503", retry_after_s=3600)
    await feeds.record_failure(failing.id, now=NOW, error="500")
    await feeds.record_success(healthy.id, now=NOW, etag=None, last_modified=None)
    later = NOW + timedelta(minutes=5)
    assert await feeds.pollable_ids(later, force=False) == [healthy.id]
    assert await feeds.pollable_ids(later, force=True) == [failing.id, healthy.id]
    assert await feeds.held_by_retry_after(later) == [(told.id, NOW + timedelta(hours=1))]
    # Once the host's wait is over, a forced poll may ask again.
    assert told.id in await feeds.pollable_ids(NOW + timedelta(hours=1), force=True)


async def test_a_success_ends_a_retry_after_hold(db: Database) -> None:
    feeds = FeedStore(db)
    feed = await feeds.add("https://a.example/feed", now=NOW)
    await feeds.record_failure(feed.id, now=NOW, error="429", retry_after_s=3600)
    await feeds.record_success(feed.id, now=NOW, etag=None, last_modified=None)
    assert await feeds.held_by_retry_after(NOW) == []


async def test_an_operator_disables_a_feed_with_a_reason_and_enabling_clears_it(
    db: Database,
) -> None:
    feeds = FeedStore(db, Backoff(base_s=60, max_s=600, disable_after=10))
    feed = await feeds.add("https://a.example/feed", now=NOW)
    await feeds.record_failure(feed.id, now=NOW, error="the feed server answered 500.")
    assert await feeds.disable(feed.id, reason="moved to a paywall")
    disabled = await feeds.get(feed.id)
    assert disabled is not None
    assert (disabled.health, disabled.disabled_reason) == ("disabled", "moved to a paywall")
    assert await feeds.pollable_ids(NOW + timedelta(days=1), force=True) == []
    assert await feeds.enable(feed.id, now=NOW)
    enabled = await feeds.get(feed.id)
    assert enabled is not None
    # No stale error beside a fresh state: the old failure is gone with the reason.
    assert (enabled.health, enabled.last_error, enabled.disabled_reason) == (
        "not polled yet",
        "",
        "",
    )


async def test_a_permanent_move_updates_the_url_unless_another_feed_has_it(db: Database) -> None:
    feeds = FeedStore(db)
    feed = await feeds.add("http://a.example/feed", now=NOW)
    other = await feeds.add("https://b.example/feed", now=NOW)
    assert await feeds.move(feed.id, "https://a.example/feed.xml")
    moved = await feeds.get(feed.id)
    assert moved is not None and moved.url == "https://a.example/feed.xml"
    assert not await feeds.move(feed.id, other.url)  # two feeds cannot share a URL
    kept = await feeds.get(feed.id)
    assert kept is not None and kept.url == "https://a.example/feed.xml"


def _upgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


async def test_the_sqlite_rebuild_for_autoincrement_keeps_subscriptions_and_article_links(
    tmp_path: Path,
) -> None:
    # The feeds table is rebuilt with foreign keys on: nothing that points at a feed may go.
    db = await open_database(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}", migrate=False)
    try:
        async with db.engine.begin() as connection:
            await connection.run_sync(_upgrade, "0004")
            for statement in (
                "INSERT INTO feeds (id, url, title, outlet, origin, poll_interval_s, "
                "next_poll_at, last_status, last_error, consecutive_failures, disabled, "
                "disabled_reason, baselined, created_at) VALUES (7, 'https://a.example/f', "
                "'', 'A', 'user', 900, '2026-03-01 12:00:00', 'ok', '', 0, 0, '', 1, "
                "'2026-03-01 12:00:00')",
                "INSERT INTO channels (id, platform, workspace, channel, timezone, digest_time, "
                "max_items, summariser, digest_enabled, created_at) VALUES (1, 'test', 'w', "
                "'c', 'UTC', '08:00', 8, 'auto', 1, '2026-03-01 12:00:00')",
                "INSERT INTO subscriptions (id, channel_id, kind, feed_id, topic, include_words, "
                "exclude_words, created_at) VALUES (3, 1, 'feed', 7, '', '[]', '[]', "
                "'2026-03-01 12:00:00')",
                "INSERT INTO articles (id, url, title, text, outlet, feed_id, published_at, "
                "fetched_at, baseline) VALUES ('a1', 'https://a.example/1', 'T', 'x', 'A', 7, "
                "'2026-03-01 12:00:00', '2026-03-01 12:00:00', 0)",
                "INSERT INTO feed_articles (feed_id, article_id) VALUES (7, 'a1')",
            ):
                await connection.exec_driver_sql(statement)
            await connection.run_sync(_upgrade, "head")
            rows = {
                table: (await connection.exec_driver_sql(query)).all()
                for table, query in (
                    ("subscriptions", "SELECT id, feed_id FROM subscriptions"),
                    ("feed_articles", "SELECT feed_id, article_id FROM feed_articles"),
                    ("articles", "SELECT id, feed_id FROM articles"),
                )
            }
        assert rows == {
            "subscriptions": [(3, 7)],
            "feed_articles": [(7, "a1")],
            "articles": [("a1", 7)],
        }
        feeds = FeedStore(db)
        assert await feeds.remove(7)
        added = await feeds.add("https://b.example/f", now=NOW)
        assert added.id == 8
    finally:
        await db.close()
