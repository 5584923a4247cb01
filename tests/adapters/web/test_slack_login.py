"""Sign in with Slack: a verified id_token names the workspace, and Slack itself (users.info
with newsbot's bot token, as `/news` asks) says whether the person may manage it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from adapters.web.auth import slack_manage_check
from bot.models import ChannelRef
from tests.adapters.web.conftest import (
    OPERATOR,
    Site,
    dashboard_settings,
    oauth_web_settings,
    open_site,
    sign_in,
)
from tests.fakes.fake_oauth import FakeOAuth, SlackUser
from tests.fakes.fake_slack import FakeSlack, Workspace

NEWSROOM = ChannelRef("slack", "T-ONE", "C-DESK")


@pytest.fixture
async def slack_site(tmp_path: Path, fake_oauth: FakeOAuth) -> AsyncIterator[Site]:
    async with FakeSlack() as slack:
        slack.add_workspace(Workspace("T-ONE", "xoxb-one", "U-NEWSBOT", "B-NEWSBOT", "Newsroom"))
        slack.add_user("T-ONE", "U-BOB", admin=True)
        slack.add_user("T-ONE", "U-CAROL")
        settings = dashboard_settings(tmp_path, **oauth_web_settings(fake_oauth))
        settings.slack.bot_token = SecretStr("xoxb-one")
        settings.slack.api_url = slack.api_url
        check = slack_manage_check(settings, db=None)  # type: ignore[arg-type]
        async for site in open_site(settings, slack_check=check):
            assert (await site.app.commands.subscribe(NEWSROOM, OPERATOR, "topic: tides")).ok
            yield site


async def test_a_workspace_admin_manages_its_channels(slack_site: Site) -> None:
    done = await sign_in(slack_site, "slack")
    assert done.status_code == 303
    home = await slack_site.client.get("/")
    assert "Newsroom" in home.text and "C-DESK" in home.text and "Bob" in home.text
    assert (await slack_site.client.get("/channels/slack/T-ONE/C-DESK")).status_code == 200


async def test_a_member_who_is_not_an_admin_manages_nothing(
    slack_site: Site, fake_oauth: FakeOAuth
) -> None:
    fake_oauth.slack_user = SlackUser("U-CAROL", "T-ONE", "Newsroom", "Carol")
    await sign_in(slack_site, "slack")
    home = await slack_site.client.get("/")
    assert "C-DESK" not in home.text
    assert (await slack_site.client.get("/channels/slack/T-ONE/C-DESK")).status_code == 403


@pytest.mark.parametrize(
    "forge",
    [
        {"aud": "another-app"},  # issued to another Slack app
        {"iss": "https://evil.example"},  # not the provider the discovery names
        {"nonce": "replayed"},  # not the nonce this browser's sign-in sent
        {"exp": 1_000_000_000},  # long expired
        "unknown key",  # not signed by a key of the provider's JWKS
    ],
)
async def test_an_id_token_that_does_not_verify_signs_nobody_in(
    slack_site: Site, fake_oauth: FakeOAuth, forge: dict[str, Any] | str
) -> None:
    if isinstance(forge, dict):
        fake_oauth.id_token_claims = forge
    else:
        fake_oauth.sign_with_unknown_key = True
    refused = await sign_in(slack_site, "slack")
    assert refused.status_code == 400
    assert "Signing in with Slack failed" in refused.text
    home = await slack_site.client.get("/")
    assert home.status_code == 303 and home.headers["location"] == "/login"
