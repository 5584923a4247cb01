"""Harness for the dashboard tests: a real App on SQLite, the dashboard over it, the fake
OAuth provider, and a client that signs in through the whole authorization-code flow."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from adapters.web.app import COOKIE, create_dashboard
from adapters.web.auth import SlackManageCheck
from adapters.web.context import Dashboard
from bot.app import App, build_app
from bot.config import Settings
from bot.models import Caller, ChannelRef
from tests.fakes.fake_oauth import MANAGE_GUILD, DiscordUser, FakeOAuth, Guild, SlackUser
from tests.fakes.feed_server import FeedServer

BASE = "http://127.0.0.1"
OPERATOR = Caller("operator", can_manage=True)
# The signed-in Discord user manages G-OURS; in G-THEIRS they are a plain member.
OURS = ChannelRef("discord", "G-OURS", "C-NEWS")
THEIRS = ChannelRef("discord", "G-THEIRS", "C-SECRET")
ALICE = DiscordUser(
    id="U-ALICE",
    username="alice",
    guilds=(
        Guild("G-OURS", "Harbour Club", permissions=MANAGE_GUILD),
        Guild("G-THEIRS", "Other Server"),
    ),
)

BOB = SlackUser(user_id="U-BOB", team_id="T-ONE", team_name="Newsroom", name="Bob")


def rss(title: str, items: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 feed; items are (link, title, text)."""
    entries = "".join(
        f"<item><title>{t}</title><link>{link}</link><description>{text}</description>"
        "<pubDate>Wed, 01 Apr 2026 09:00:00 GMT</pubDate></item>"
        for link, t, text in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://example.org/</link><description>news</description>{entries}"
        "</channel></rss>"
    ).encode()


def dashboard_settings(tmp_path: Path, **web: Any) -> Settings:
    return Settings(
        database={"url": f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}"},  # type: ignore[arg-type]
        fetch={"allow_private_addresses": True, "timeout_s": 5},  # type: ignore[arg-type]
        digest={"summariser": "extractive"},  # type: ignore[arg-type]
        web=web,  # type: ignore[arg-type]
    )


def oauth_web_settings(fake: FakeOAuth) -> dict[str, Any]:
    return {
        "discord_client_id": fake.discord_client[0],
        "discord_client_secret": fake.discord_client[1],
        "discord_url": fake.url,
        "slack_client_id": fake.slack_client[0],
        "slack_client_secret": fake.slack_client[1],
        "slack_openid_configuration": fake.slack_discovery,
    }


@pytest.fixture
def fake_oauth() -> Iterator[FakeOAuth]:
    with FakeOAuth(discord_user=ALICE, slack_user=BOB) as fake:
        yield fake


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@dataclass
class Site:
    """The dashboard under test: the App behind it and a browser-like client."""

    app: App
    client: httpx.AsyncClient
    board: Dashboard

    async def csrf(self, path: str = "/") -> str:
        """The CSRF token the page at `path` puts in its forms."""
        page = await self.client.get(path)
        marker = 'name="csrf_token" value="'
        start = page.text.index(marker) + len(marker)
        return page.text[start : page.text.index('"', start)]

    async def post(self, path: str, data: dict[str, str], *, csrf: bool = True) -> httpx.Response:
        form = dict(data)
        if csrf:
            form["csrf_token"] = await self.csrf()
        return await self.client.post(path, data=form)


async def open_site(
    settings: Settings, *, slack_check: SlackManageCheck | None = None
) -> AsyncIterator[Site]:
    async with await build_app(settings, parse_in_process=True) as app:
        dashboard = create_dashboard(app, slack_check=slack_check)
        transport = httpx.ASGITransport(app=dashboard)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            yield Site(app, client, dashboard.state.dashboard)


@pytest.fixture
async def site(tmp_path: Path, fake_oauth: FakeOAuth) -> AsyncIterator[Site]:
    """The dashboard with Discord and Slack login configured (nobody signed in yet)."""

    async def nobody_manages(team: str, user: str) -> bool:
        return False

    settings = dashboard_settings(tmp_path, **oauth_web_settings(fake_oauth))
    async for made in open_site(settings, slack_check=nobody_manages):
        yield made


@pytest.fixture
async def local_site(tmp_path: Path) -> AsyncIterator[Site]:
    """The dashboard with no login configured: the local operator."""
    async for made in open_site(dashboard_settings(tmp_path)):
        yield made


async def sign_in(site: Site, provider: str = "discord") -> httpx.Response:
    """The whole authorization-code flow: dashboard -> fake provider -> callback."""
    start = await site.client.get(f"/login/{provider}")
    assert start.status_code == 302, start.text
    async with httpx.AsyncClient() as outside:
        consent = await outside.get(start.headers["location"])
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["location"])
    return await site.client.get(f"{back.path}?{back.query}")


def session_cookie(site: Site) -> str:
    return site.client.cookies[COOKIE]
