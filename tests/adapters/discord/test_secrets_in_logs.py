"""A bot token Discord refuses stops start-up with one sentence and reaches no log line or
traceback, even at DEBUG where discord.py logs every request it makes."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.discord_bot import DiscordAdapter
from bot.app import build_app
from bot.config import Settings
from bot.errors import ConfigError
from tests.adapters.slack.test_secrets_in_logs import DebugLogs, debug_logs
from tests.fakes.fake_discord import FakeDiscord

from .conftest import Clock, bot_settings

# Shaped like a real token (id.timestamp.hmac), so the log filter's pattern would mask it too.
REFUSED_TOKEN = "MTE5ODc2NTQzMjEwOTg3NjU0Mw.GxYzAb.Zq9RefusedTokenValue_0123456789abcd"


@pytest.fixture
def settings(tmp_path: Path, fake_discord: FakeDiscord) -> Settings:
    return bot_settings(tmp_path, fake_discord, discord={"token": REFUSED_TOKEN})


@pytest.fixture
def logs(settings: Settings) -> Iterator[DebugLogs]:
    with debug_logs(settings.secret_values()) as logs:
        yield logs


async def test_a_refused_token_is_one_sentence_and_never_logged(
    settings: Settings, fake_discord: FakeDiscord, clock: Clock, logs: DebugLogs
) -> None:
    app = await build_app(settings, clock=clock, parse_in_process=True)
    adapter = DiscordAdapter(app, settings)
    try:
        with pytest.raises(ConfigError) as refused:
            await adapter.start()
    finally:
        await adapter.close()
        await app.aclose()

    assert str(refused.value) == "Discord rejected the bot token; check NEWSBOT_DISCORD__TOKEN."
    # Discord was asked with the token and answered 401, and discord.py logged it at DEBUG.
    [login] = [call for call in fake_discord.calls if call.path == "/users/@me"]
    assert login.status == 401
    assert "/users/@me with None has returned 401" in logs.operator.getvalue()
    shown_traceback = "".join(traceback.format_exception(refused.value))
    assert "LoginFailure" not in shown_traceback  # discord.py's chain is not shown
    for text in (*logs.texts(), shown_traceback):
        assert REFUSED_TOKEN not in text
        assert REFUSED_TOKEN.rsplit(".", 1)[-1] not in text  # not even its secret part
