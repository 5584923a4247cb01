"""Bounded feeds: an article's text is cut at parse time, one poll keeps the newest N items,
and parser workers leave stop signals to the bot."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from datetime import UTC, datetime, timedelta

import pytest

from bot.config import FetchSettings
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParseLimits, ParserPool, parse_feed
from bot.feeds.poll import poll_feeds
from bot.store.articles import ArticleStore
from bot.store.db import Database
from bot.store.feeds import FeedStore
from tests.fakes.feed_server import FeedServer

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FEED_URL = "https://harbour-gazette.example/rss.xml"


def feed(count: int, *, text: str = "A short report.", oldest_first: bool = False) -> bytes:
    """RSS with `count` items, item i published i minutes before NOW (newest first)."""
    order = range(count - 1, -1, -1) if oldest_first else range(count)
    items = "".join(
        f"<item><title>Story {i}</title><link>https://news.example/{i}</link>"
        f"<description>{text}</description>"
        f"<pubDate>{(NOW - timedelta(minutes=i)).strftime('%a, %d %b %Y %H:%M:%S GMT')}</pubDate>"
        "</item>"
        for i in order
    )
    return (
        f'<rss version="2.0"><channel><title>Harbour Gazette</title>{items}</channel></rss>'
    ).encode()


def test_a_huge_description_is_cut_to_the_limit_at_a_word() -> None:
    body = feed(1, text="harbour " * 2_000_000)  # 16 MB of text
    [article] = parse_feed(body, url=FEED_URL, headers={}, fetched_at=NOW).articles
    assert len(article.text) <= ParseLimits().max_text_chars
    assert len(article.text) > ParseLimits().max_text_chars * 0.9
    assert article.text.endswith("harbour…")


def test_text_under_the_limit_is_kept_whole() -> None:
    text = "The ferry resumed at dawn. " * 100
    [article] = parse_feed(feed(1, text=text), url=FEED_URL, headers={}, fetched_at=NOW).articles
    assert article.text == text.strip()


def test_the_newest_items_are_kept_whatever_the_feed_order() -> None:
    limits = ParseLimits(max_text_chars=1000, max_items=10)
    for body in (feed(25), feed(25, oldest_first=True)):
        parsed = parse_feed(body, url=FEED_URL, headers={}, fetched_at=NOW, limits=limits)
        assert sorted(a.title for a in parsed.articles) == sorted(f"Story {i}" for i in range(10))
        assert parsed.skipped == 15


def test_a_feed_within_the_item_limit_skips_nothing() -> None:
    parsed = parse_feed(feed(5), url=FEED_URL, headers={}, fetched_at=NOW)
    assert (len(parsed.articles), parsed.skipped) == (5, 0)


async def test_the_configured_limits_reach_the_pool() -> None:
    settings = FetchSettings(max_article_chars=1000, max_items_per_poll=3)
    async with ParserPool.from_settings(settings, in_process=True) as pool:
        parsed = await pool.parse(feed(8, text="word " * 5000), url=FEED_URL, fetched_at=NOW)
    assert len(parsed.articles) == 3 and parsed.skipped == 5
    assert all(len(a.text) <= 1000 for a in parsed.articles)


async def test_a_poll_stores_at_most_the_limit_and_logs_the_rest(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    settings = FetchSettings(allow_private_addresses=True, timeout_s=5, max_items_per_poll=40)
    with FeedServer() as server:
        server.serve("/big.xml", feed(100))
        store = FeedStore(db)
        added = await store.add(server.url("/big.xml"), now=NOW)
        async with (
            Fetcher(settings) as fetcher,
            ParserPool.from_settings(settings, in_process=True) as pool,
        ):
            with caplog.at_level(logging.INFO, logger="newsbot.poll"):
                [outcome] = await poll_feeds(
                    db, fetcher, pool, [added.id], now=NOW, settings=settings
                )
    assert outcome.new_articles == 40
    assert await ArticleStore(db).count() == 40
    assert "60 older items left out" in caplog.text


async def test_parser_workers_ignore_stop_signals_sent_to_the_group() -> None:
    async with ParserPool(1) as pool:
        assert pool._executor is not None
        loop = asyncio.get_running_loop()
        worker = await loop.run_in_executor(pool._executor, os.getpid)
        # What Ctrl-C or `systemctl stop` does to every process of the group.
        os.kill(worker, signal.SIGINT)
        os.kill(worker, signal.SIGTERM)
        await asyncio.sleep(0.3)
        parsed = await pool.parse(feed(3), url=FEED_URL, fetched_at=NOW)
        assert await loop.run_in_executor(pool._executor, os.getpid) == worker
    assert len(parsed.articles) == 3


async def test_a_huge_feed_does_not_hold_up_the_others() -> None:
    huge = feed(6000)  # seconds of feedparser work in one worker
    async with ParserPool(2) as pool:
        slow = asyncio.ensure_future(pool.parse(huge, url=FEED_URL, fetched_at=NOW))
        await asyncio.sleep(0.2)  # the huge one is being parsed
        small = asyncio.ensure_future(pool.parse(feed(3), url=FEED_URL, fetched_at=NOW))
        done, _ = await asyncio.wait({slow, small}, return_when=asyncio.FIRST_COMPLETED)
        assert small in done and slow not in done
        assert len((await slow).articles) == ParseLimits().max_items
