"""Fixtures for the channel tests: an App over the `db` fixture and a loopback feed server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from email.utils import format_datetime

import pytest

from bot.app import App
from bot.config import Settings
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.store.db import Database
from tests.channels.helpers import Clock, utc
from tests.fakes.feed_server import FeedServer


def rss(outlet: str, items: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 feed: items are (slug, title, text), all published "now-ish"."""
    when = format_datetime(utc(2026, 4, 1, 9))
    entries = "".join(
        f"<item><title>{title}</title><link>https://{outlet.lower().replace(' ', '')}.example/"
        f"{slug}</link><description>{text}</description><pubDate>{when}</pubDate></item>"
        for slug, title, text in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet}</title>'
        f"<link>https://example.org/</link><description>news</description>{entries}"
        "</channel></rss>"
    ).encode()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def make_settings(*, allow_private: bool) -> Settings:
    return Settings(
        fetch={"allow_private_addresses": allow_private, "timeout_s": 5},  # type: ignore[arg-type]
        digest={"summariser": "extractive"},  # type: ignore[arg-type]
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(utc(2026, 4, 1, 10))


async def open_app(db: Database, clock: Clock, *, allow_private: bool) -> AsyncIterator[App]:
    settings = make_settings(allow_private=allow_private)
    async with Fetcher(settings.fetch) as fetcher, ParserPool(in_process=True) as parser:
        yield App(settings=settings, db=db, fetcher=fetcher, parser=parser, clock=clock)


@pytest.fixture
async def app(db: Database, clock: Clock) -> AsyncIterator[App]:
    """An App whose fetcher may reach the loopback feed server (tests only)."""
    async for made in open_app(db, clock, allow_private=True):
        yield made


@pytest.fixture
async def guarded_app(db: Database, clock: Clock) -> AsyncIterator[App]:
    """An App with the production SSRF guard: private addresses refused."""
    async for made in open_app(db, clock, allow_private=False):
        yield made
