"""No Slack credential reaches the log, even at DEBUG where slack_sdk logs request bodies
(client_secret) and responses (the bot token an OAuth install returns)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.config import Settings
from bot.logs import setup_logging
from bot.store.db import Database
from tests.adapters.slack.conftest import (
    TranscriptCommands,
    TranscriptCore,
    eventually,
    running_adapter,
    send_command,
    slack_settings,
    slash_command,
)
from tests.adapters.slack.test_oauth_install import install
from tests.fakes.fake_slack import FakeSlack, OAuthGrant, Workspace

CLIENT_SECRET = "cs-0f9e8d7c6b5a4f3e2d1c"
SIGNING_SECRET = "ss-4e5f6a7b8c9d0e1f2a3b"
INSTALLED_TOKEN = "xoxb-2222-3333-InstalledBotTokenValue"


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """The project's own logging set-up at DEBUG into a buffer, undone afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    named = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    buffer = io.StringIO()
    handler = setup_logging("DEBUG", secrets=[CLIENT_SECRET, SIGNING_SECRET], stream=buffer)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        for old in handlers:
            if old not in root.handlers:
                root.addHandler(old)
        root.setLevel(level)
        for name, old_level in named.items():
            logging.getLogger(name).setLevel(old_level)


async def test_oauth_install_and_commands_log_no_secret(
    slack: FakeSlack, sqlite_db: Database, debug_log: io.StringIO
) -> None:
    workspace = Workspace("T-TWO", INSTALLED_TOKEN, "U-BOT2", "B-BOT2", "Second")
    slack.add_user("T-TWO", "U-OWNER2", owner=True)
    slack.grant(OAuthGrant("code-two", workspace))
    part = slack_settings(
        slack,
        bot_token=None,
        client_id="111.222",
        client_secret=CLIENT_SECRET,
        signing_secret=SIGNING_SECRET,
    )
    settings = Settings(slack=part)
    assert set(settings.secret_values()) >= {CLIENT_SECRET, SIGNING_SECRET}
    async with running_adapter(TranscriptCore(TranscriptCommands(), sqlite_db), part) as app:
        status, _ = await install(app.http_port, "code-two")
        assert status == 200
        fields = slash_command("list", fake=slack, team="T-TWO", user="U-OWNER2")
        await send_command(app.http_port, fields, secret=SIGNING_SECRET)
        await eventually(lambda: len(slack.responses) == 1)
    text = debug_log.getvalue()
    assert "oauth.v2.access" in text  # slack_sdk did log the calls at DEBUG
    assert "xoxb-***" in text  # the installed token went through the log, masked
    for secret in (CLIENT_SECRET, SIGNING_SECRET, INSTALLED_TOKEN):
        assert secret not in text
