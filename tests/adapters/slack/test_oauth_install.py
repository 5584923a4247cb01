"""Multi-workspace: a second workspace installs newsbot through OAuth; the installation is
stored in our database (SQLite and PostgreSQL) and its token is used for that workspace."""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qs, urlparse

import aiohttp
import pytest

from bot.channels.delivery import PostError
from bot.models import ChannelRef
from bot.store.db import Database
from tests.adapters.slack.conftest import (
    TranscriptCommands,
    TranscriptCore,
    event_callback,
    eventually,
    running_adapter,
    send_command,
    send_event,
    slack_settings,
    slash_command,
)
from tests.adapters.slack.digests import digest
from tests.fakes.fake_slack import FakeSlack, OAuthGrant, Workspace

SECOND = Workspace("T-TWO", "xoxb-two", "U-BOT2", "B-BOT2", "Second")


def oauth_settings(slack: FakeSlack) -> dict[str, object]:
    return {
        "bot_token": None,
        "client_id": "111.222",
        "client_secret": "oauth-client-secret",
        "redirect_uri": "http://127.0.0.1/slack/oauth_redirect",
    }


async def install(port: int, code: str) -> tuple[int, str]:
    """What a browser does: open the install page, follow Slack back with code and state."""
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/slack/install") as page:
            assert page.status == 200
            html = await page.text()
            cookie = page.headers["Set-Cookie"].split(";")[0]
        authorize = re.search(r'<a href="([^"]+)"', html)
        assert authorize is not None
        state = parse_qs(urlparse(authorize.group(1).replace("&amp;", "&")).query)["state"][0]
        async with session.get(
            f"{base}/slack/oauth_redirect",
            params={"code": code, "state": state},
            headers={"Cookie": cookie},
        ) as done:
            return done.status, await done.text()


async def test_second_workspace_installs_and_its_token_is_used(
    slack: FakeSlack, db: Database
) -> None:
    slack.add_user("T-TWO", "U-OWNER2", owner=True)
    slack.grant(OAuthGrant("code-two", SECOND))
    commands = TranscriptCommands()
    settings = slack_settings(slack, **oauth_settings(slack))
    async with running_adapter(TranscriptCore(commands, db), settings) as app:
        status, page = await install(app.http_port, "code-two")
        assert status == 200, page
        assert [c.args["code"] for c in slack.calls_to("oauth.v2.access")] == ["code-two"]

        assert app.oauth is not None
        bot = await app.oauth.installations.async_find_bot(enterprise_id=None, team_id="T-TWO")
        assert bot is not None and bot.bot_token == "xoxb-two"

        fields = slash_command("list", fake=slack, team="T-TWO", user="U-OWNER2")
        status, _, _ = await send_command(app.http_port, fields)
        assert status == 200
        await eventually(lambda: len(slack.responses) == 1)
        assert commands.calls[0].where.workspace == "T-TWO"
        assert commands.calls[0].caller.can_manage  # owner of the second workspace

        where = ChannelRef("slack", "T-TWO", "C-TWO")
        await app.poster.post_digest(where, digest(1), idempotency_key="two-1")
    (post,) = slack.posts("C-TWO")
    assert post["team"] == "T-TWO"
    tokens = {c.token for c in slack.calls if c.method in ("users.info", "chat.postMessage")}
    assert tokens == {"xoxb-two"}


async def test_install_with_a_forged_state_stores_nothing(slack: FakeSlack, db: Database) -> None:
    slack.grant(OAuthGrant("code-forged", SECOND))
    settings = slack_settings(slack, **oauth_settings(slack))
    async with (
        running_adapter(TranscriptCore(TranscriptCommands(), db), settings) as app,
        aiohttp.ClientSession() as session,
        session.get(
            f"http://127.0.0.1:{app.http_port}/slack/oauth_redirect",
            params={"code": "code-forged", "state": "made-up"},
        ) as response,
    ):
        assert response.status >= 400
        assert app.oauth is not None
        found = await app.oauth.installations.async_find_bot(enterprise_id=None, team_id="T-TWO")
        assert found is None
    assert slack.calls_to("oauth.v2.access") == []


async def test_command_from_a_workspace_that_never_installed_is_not_run(
    slack: FakeSlack, db: Database
) -> None:
    commands = TranscriptCommands()
    settings = slack_settings(slack, **oauth_settings(slack))
    async with running_adapter(TranscriptCore(commands, db), settings) as app:
        fields = slash_command("list", fake=slack, team="T-NEVER")
        status, _, _ = await send_command(app.http_port, fields)
        assert status == 200  # bolt answers with an apology rather than an error page
    assert commands.calls == []


async def test_uninstall_forgets_the_workspace_token(slack: FakeSlack, db: Database) -> None:
    slack.grant(OAuthGrant("code-two", SECOND))
    settings = slack_settings(slack, **oauth_settings(slack))
    async with running_adapter(TranscriptCore(TranscriptCommands(), db), settings) as app:
        assert (await install(app.http_port, "code-two"))[0] == 200
        assert app.oauth is not None
        event = {"type": "app_uninstalled", "event_ts": "1764150000.000100"}
        status, _, _ = await send_event(app.http_port, event_callback(event, team="T-TWO"))
        assert status == 200

        async def forgotten() -> bool:
            bot = await app.oauth.installations.async_find_bot(  # type: ignore[union-attr]
                enterprise_id=None, team_id="T-TWO"
            )
            return bot is None

        for _ in range(100):
            if await forgotten():
                break
            await asyncio.sleep(0.02)
        assert await forgotten()
        with pytest.raises(PostError) as error:
            await app.poster.notify(ChannelRef("slack", "T-TWO", "C-TWO"), "hello")
        assert error.value.retryable is False
    assert slack.posts("C-TWO") == []
