"""No Slack credential reaches the log, even at DEBUG where slack_sdk logs request bodies
(client_secret) and responses (the bot token an OAuth install returns), nor when Slack
refuses or revokes the bot token, at start-up or while running."""

from __future__ import annotations

import io
import logging
import traceback
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import pytest

from bot.channels.delivery import PostError
from bot.config import Settings
from bot.errors import ConfigError
from bot.logs import setup_logging
from bot.models import ChannelRef
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
REVOKED_TOKEN = "xoxb-4444-5555-RevokedBotTokenValue9z"


class DebugLogs(logging.Handler):
    """Every record as emitted, before any redaction (`raw`), and what the operator reads."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.raw: list[str] = []
        self.operator = io.StringIO()

    def emit(self, record: logging.LogRecord) -> None:
        self.raw.append(self.format(record))  # with the traceback, if any

    def texts(self) -> tuple[str, str]:
        return "\n".join(self.raw), self.operator.getvalue()


@contextmanager
def debug_logs(secrets: Iterable[str]) -> Iterator[DebugLogs]:
    """The project's logging set-up at DEBUG for every logger, as `newsbot run` makes it
    with `secrets`, plus a handler placed before its redaction; all undone afterwards."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    named = {name: logging.getLogger(name).level for name in logging.root.manager.loggerDict}
    logs = DebugLogs()
    root.handlers.insert(0, logs)
    handler = setup_logging("DEBUG", secrets=secrets, stream=logs.operator)
    try:
        yield logs
    finally:
        root.removeHandler(handler)
        root.removeHandler(logs)
        for old in handlers:
            if old not in root.handlers:
                root.addHandler(old)
        root.setLevel(level)
        for name, old_level in named.items():
            logging.getLogger(name).setLevel(old_level)


@pytest.fixture
def debug_log() -> Iterator[DebugLogs]:
    with debug_logs([CLIENT_SECRET, SIGNING_SECRET, REVOKED_TOKEN]) as logs:
        yield logs


async def test_oauth_install_and_commands_log_no_secret(
    slack: FakeSlack, sqlite_db: Database, debug_log: DebugLogs
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
    text = debug_log.operator.getvalue()
    assert "oauth.v2.access" in text  # slack_sdk did log the calls at DEBUG
    assert "xoxb-***" in text  # the installed token went through the log, masked
    for secret in (CLIENT_SECRET, SIGNING_SECRET, INSTALLED_TOKEN):
        assert secret not in text


def assert_token_nowhere(logs: DebugLogs, *more: str) -> None:
    """Neither the raw records nor the operator's log (nor `more` texts) hold the token."""
    for text in (*logs.texts(), *more):
        assert REVOKED_TOKEN not in text
        assert REVOKED_TOKEN.rsplit("-", 1)[-1] not in text  # not even its secret part


@pytest.mark.parametrize("code", ["invalid_auth", "token_revoked"])
async def test_a_refused_bot_token_stops_start_up_and_is_never_logged(
    code: str, slack: FakeSlack, sqlite_db: Database, debug_log: DebugLogs
) -> None:
    slack.add_workspace(Workspace("T-REV", REVOKED_TOKEN, "U-BOT3", "B-BOT3", "Revoked"))
    slack.fail_once("auth.test", code)
    part = slack_settings(slack, bot_token=REVOKED_TOKEN)
    assert REVOKED_TOKEN in Settings(slack=part).secret_values()
    core = TranscriptCore(TranscriptCommands(), sqlite_db)
    with pytest.raises(ConfigError) as refused:
        async with running_adapter(core, part):
            pass
    assert str(refused.value) == (
        f"Slack refused NEWSBOT_SLACK__BOT_TOKEN ({code}); copy the Bot User OAuth Token "
        "(xoxb-...) from the app's OAuth & Permissions page."
    )
    [asked] = slack.calls_to("auth.test")
    assert asked.token == REVOKED_TOKEN and asked.error == code  # the token went to Slack
    operator = debug_log.operator.getvalue()
    assert "Sending a request - url: POST" in operator  # slack_sdk's own DEBUG lines
    assert "auth.test" in operator and code in operator
    assert_token_nowhere(debug_log, "".join(traceback.format_exception(refused.value)))


async def test_a_token_revoked_while_running_is_reported_and_never_logged(
    slack: FakeSlack, sqlite_db: Database, debug_log: DebugLogs
) -> None:
    slack.add_workspace(Workspace("T-REV", REVOKED_TOKEN, "U-BOT3", "B-BOT3", "Revoked"))
    part = slack_settings(slack, bot_token=REVOKED_TOKEN)
    core = TranscriptCore(TranscriptCommands(), sqlite_db)
    async with running_adapter(core, part) as adapter:
        slack.fail_once("chat.postMessage", "token_revoked")
        with pytest.raises(PostError) as refused:
            await adapter.poster.notify(ChannelRef("slack", "T-REV", "C-NEWS"), "Feed disabled.")
    assert str(refused.value) == (
        "Slack refused newsbot's credentials (token_revoked): reinstall newsbot in this workspace."
    )
    assert not refused.value.retryable
    [posted] = slack.calls_to("chat.postMessage")
    assert posted.token == REVOKED_TOKEN and posted.error == "token_revoked"
    operator = debug_log.operator.getvalue()
    assert "workspace T-REV refused newsbot's token (token_revoked)" in operator
    assert "Sending a request - url: POST" in operator  # slack_sdk's own DEBUG lines
    assert "chat.postMessage" in operator
    assert_token_nowhere(debug_log, "".join(traceback.format_exception(refused.value)))
