"""A real newsbot (App over a temp SQLite DB) and a real discord.py client, against the fake.

Only the wire is fake: the Discord API (tests/fakes/fake_discord.py), the feed host
(tests/fakes/feed_server.py) and, where a slow summariser is needed, the OpenAI API.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

import pytest

from adapters.discord_bot import DiscordAdapter
from bot.app import App, build_app
from bot.config import Settings
from bot.models import ChannelRef
from tests.channels.helpers import Clock as Clock  # the tests import it from here
from tests.fakes.fake_discord import FakeDiscord
from tests.fakes.feed_server import FeedServer

START = datetime(2026, 4, 1, 6, 0, tzinfo=UTC)
BOT_TOKEN = "MTEyMzQ1.fake-discord-bot-token.for-tests"


def rss(outlet: str, items: list[tuple[str, str, str]], when: datetime, host: str = "") -> bytes:
    """An RSS 2.0 feed written for these tests: items are (slug, title, text)."""
    host = host or outlet.lower().replace(" ", "")
    entries = "".join(
        f"<item><title>{xml_escape(title)}</title>"
        f"<link>https://{host}.example/{slug}</link>"
        f"<description>{xml_escape(text)}</description>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for slug, title, text in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{xml_escape(outlet)}</title>'
        f"<link>https://example.org/</link><description>news</description>{entries}"
        "</channel></rss>"
    ).encode()


OLD_ITEMS = [
    ("ferry", "Ferry timetable changes", "The harbour ferry will run every 20 minutes from May."),
]
NEW_ITEMS = [
    (
        "bridge",
        "Council approves harbour bridge repair",
        "The city council approved a 4.2 million euro repair of the harbour bridge on Tuesday. "
        "Work on the bridge starts in May and lasts two years, the mayor said.",
    ),
    (
        "library",
        "Library extends opening hours",
        "The central library will open until 21:00 on weekdays from next month. "
        "The change follows a survey of 3,000 readers, the library said.",
    ),
]


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    fake.bot_token = BOT_TOKEN
    await fake.start()
    fake.patch_discord(monkeypatch)
    try:
        yield fake
    finally:
        await fake.close()
    # Every interaction was acknowledged within Discord's 3 seconds.
    assert fake.violations == []


def bot_settings(tmp_path: Path, fake: FakeDiscord, **sections: Any) -> Settings:
    options: dict[str, Any] = {
        "database": {"url": f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}"},
        "fetch": {"allow_private_addresses": True, "timeout_s": 5},
        "digest": {"summariser": "extractive"},
        "discord": {
            "token": BOT_TOKEN,
            "dev_guild_id": int(fake.guild_id),
            "guild_ready_timeout_s": 0.05,
        },
    }
    for name, values in sections.items():
        options[name] = {**options.get(name, {}), **values}
    return Settings(**options)


@dataclass
class Bot:
    """The running bot: the core App and its Discord adapter."""

    app: App
    adapter: DiscordAdapter
    fake: FakeDiscord

    def where(self, channel_id: str | None = None) -> ChannelRef:
        return ChannelRef("discord", self.fake.guild_id, channel_id or self.fake.channel_id)


BotFactory = Callable[..., Any]


@pytest.fixture
async def start_bot(
    tmp_path: Path, fake_discord: FakeDiscord, clock: Clock
) -> AsyncIterator[BotFactory]:
    """Start App + adapter with optional settings sections; both are closed afterwards."""
    started: list[Bot] = []

    async def start(**sections: Any) -> Bot:
        settings = bot_settings(tmp_path, fake_discord, **sections)
        app = await build_app(settings, clock=clock, parse_in_process=True)
        adapter = DiscordAdapter(app, settings)
        bot = Bot(app, adapter, fake_discord)
        started.append(bot)
        await adapter.start()
        return bot

    try:
        yield start
    finally:
        for bot in started:
            # Close the client even when it died, then the core.
            await bot.adapter.close()
            await bot.app.aclose()


@pytest.fixture
async def bot(start_bot: BotFactory) -> Bot:
    made: Bot = await start_bot()
    return made
