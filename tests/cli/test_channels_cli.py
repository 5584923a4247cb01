"""Channels that stop taking posts are paused; `newsbot channels list|resume|remove`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import App
from bot.channels.delivery import PostError
from bot.cli import main
from bot.config import Settings
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.models import ChannelRef, Digest
from bot.store.channels import find_channel, set_next_digest
from bot.store.db import open_database
from bot.store.schema import DigestRow
from tests.channels.helpers import (
    Clock,
    RecordingPoster,
    add_channel,
    add_feed_with_articles,
    article,
    utc,
)

DUE = utc(2026, 4, 2, 8)


class GonePoster(RecordingPoster):
    """A platform whose channel was deleted: every post is refused for good."""

    async def post_digest(self, where: ChannelRef, digest: Digest, *, idempotency_key: str):  # type: ignore[no-untyped-def]
        self.posts.append((where, digest, idempotency_key))
        raise PostError(
            "the channel no longer exists or newsbot cannot see it.",
            retryable=False,
            channel_unreachable=True,
        )


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'channels.db'}"
    monkeypatch.setenv("NEWSBOT_DATABASE_URL", url)
    monkeypatch.setenv("NEWSBOT_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    return url


@pytest.fixture
async def app(db_url: str) -> AsyncIterator[App]:
    settings = Settings(digest={"summariser": "extractive"})  # type: ignore[arg-type]
    db = await open_database(db_url)
    async with Fetcher(settings.fetch) as fetcher, ParserPool(in_process=True) as parser:
        yield App(settings=settings, db=db, fetcher=fetcher, parser=parser, clock=Clock(DUE))
    await db.close()


async def _gone_channel(app: App) -> tuple[int, GonePoster]:
    """A channel due at DUE whose platform refuses every post; its first digest is tried."""
    channel_id, _ = await add_channel(app.db, DUE - timedelta(days=1))
    await add_feed_with_articles(
        app.db, channel_id, [article(1, utc(2026, 4, 2, 7))], fetched_at=DUE
    )
    async with app.db.session() as session:
        await set_next_digest(session, channel_id, DUE)
    poster = GonePoster()
    await app.scheduler({"test": poster}).tick()
    return channel_id, poster


async def newsbot(*argv: str) -> int:
    # In a thread: the command runs its own event loop, as from a shell.
    return await asyncio.to_thread(main, list(argv))


async def _digests(app: App) -> int:
    async with app.db.session() as session:
        return int(await session.scalar(select(func.count()).select_from(DigestRow)) or 0)


async def test_a_channel_that_is_gone_is_paused_and_gets_no_more_digests(app: App) -> None:
    _, poster = await _gone_channel(app)
    assert len(poster.posts) == 1
    async with app.db.session() as session:
        channel = await find_channel(session, ChannelRef("test", "w1", "c1"))
    assert channel is not None and channel.paused_at == DUE
    assert "no longer exists" in channel.paused_reason
    # The next day's digest is not built for a channel nobody can read.
    assert isinstance(app.clock, Clock)
    app.clock.now = DUE + timedelta(days=1, minutes=1)
    await app.scheduler({"test": poster}).tick()
    assert await _digests(app) == 1
    status = await app.commands.status(ChannelRef("test", "w1", "c1"))
    assert any(line.startswith("paused") for line in status.lines)


async def test_an_operator_lists_resumes_and_removes_paused_channels(
    app: App, capsys: pytest.CaptureFixture[str]
) -> None:
    channel_id, _ = await _gone_channel(app)

    assert await newsbot("channels", "list") == 0
    listed = capsys.readouterr().out
    assert "test:w1:c1" in listed and "paused" in listed and "no longer exists" in listed

    assert await newsbot("channels", "resume", str(channel_id)) == 0
    assert f"Resumed channel {channel_id}" in capsys.readouterr().out
    async with app.db.session() as session:
        channel = await find_channel(session, ChannelRef("test", "w1", "c1"))
    assert channel is not None and channel.paused_at is None and channel.paused_reason == ""
    assert channel.next_digest_at is not None

    assert await newsbot("channels", "resume", str(channel_id)) == 0
    assert "is not paused" in capsys.readouterr().out

    assert await newsbot("channels", "remove", str(channel_id)) == 0
    assert "Removed channel" in capsys.readouterr().out
    assert await newsbot("channels", "remove", str(channel_id)) == 2
    assert "no channel with id" in capsys.readouterr().err
