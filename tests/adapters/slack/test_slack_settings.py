"""Slack settings that cannot work stop start-up with one sentence naming the fix."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.slack_bot import SlackAdapter
from bot.config import Settings, SlackSettings
from bot.errors import ConfigError
from bot.store.db import Database
from tests.adapters.slack.conftest import TranscriptCommands, TranscriptCore


@pytest.mark.parametrize(
    ("values", "fix"),
    [
        ({"bot_token": "xoxb-1", "mode": "socket"}, "NEWSBOT_SLACK__APP_TOKEN"),
        ({"bot_token": "xoxb-1", "mode": "socket", "app_token": "xoxb-2"}, "xapp-"),
        ({"bot_token": "xoxb-1", "mode": "http"}, "NEWSBOT_SLACK__SIGNING_SECRET"),
        ({"mode": "http", "signing_secret": "s"}, "NEWSBOT_SLACK__BOT_TOKEN"),
        (
            {"client_id": "1.2", "client_secret": "c", "mode": "socket", "app_token": "xapp-1"},
            "NEWSBOT_SLACK__SIGNING_SECRET",
        ),
    ],
)
def test_unusable_slack_settings_are_refused(
    values: dict[str, Any], fix: str, sqlite_db: Database
) -> None:
    core = TranscriptCore(TranscriptCommands(), sqlite_db)
    with pytest.raises(ConfigError) as error:
        SlackAdapter(core, Settings(slack=SlackSettings(**values)), commands=core.commands)  # type: ignore[arg-type]
    message = str(error.value)
    assert fix in message and message.endswith(".")
