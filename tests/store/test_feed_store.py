"""FeedStore on SQLite and PostgreSQL: adding, due times, backoff, disabling, re-enabling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import BadInput
from bot.store.db import Database
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
