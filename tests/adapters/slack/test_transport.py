"""Requests reach the app only when Slack signed them; Socket Mode works without a URL."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from adapters.slack_bot import question_text
from bot.store.db import Database
from tests.adapters.slack.conftest import (
    APP_TOKEN,
    TranscriptCommands,
    TranscriptCore,
    eventually,
    post_to_app,
    running_adapter,
    send_command,
    signed_headers,
    slack_settings,
    slash_command,
)
from tests.fakes.fake_slack import FakeSlack


async def test_signed_slash_command_is_dispatched_and_answered(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    commands = TranscriptCommands()
    async with running_adapter(TranscriptCore(commands, sqlite_db), slack_settings(slack)) as app:
        status, _, _ = await send_command(app.http_port, slash_command("list", fake=slack))
        assert status == 200
        await eventually(lambda: len(slack.responses) == 1)
    (call,) = commands.calls
    assert (call.kind, call.text, call.where.key) == ("execute", "list", "slack:T-ONE:C-NEWS")
    assert call.caller.user_id == "U-ADMIN" and call.caller.can_manage
    assert slack.responses[0]["response_type"] == "ephemeral"
    assert "ran: list" in slack.responses[0]["text"]


async def test_bad_stale_or_missing_signatures_get_401_and_no_api_call(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    commands = TranscriptCommands()
    body = urlencode(slash_command("digest", fake=slack))
    stale = int(time.time()) - 301
    attempts = [
        signed_headers(body, secret="not-the-secret"),
        signed_headers(body, timestamp=stale),
        {**signed_headers(body), "X-Slack-Signature": "v0=" + "0" * 64},
        {"Content-Type": "application/x-www-form-urlencoded"},
    ]
    async with running_adapter(TranscriptCore(commands, sqlite_db), slack_settings(slack)) as app:
        for headers in attempts:
            status, _, _ = await post_to_app(app.http_port, body, headers)
            assert status == 401
        # tampered body, signature of the original
        headers = signed_headers(body)
        tampered = body.replace("digest", "unsubscribe+1")
        status, _, _ = await post_to_app(app.http_port, tampered, headers)
        assert status == 401
    assert slack.calls == [] and slack.responses == [] and commands.calls == []


async def test_socket_mode_slash_command_round_trip(slack: FakeSlack, sqlite_db: Database) -> None:
    commands = TranscriptCommands()
    settings = slack_settings(slack, mode="socket", app_token=APP_TOKEN, signing_secret=None)
    async with running_adapter(TranscriptCore(commands, sqlite_db), settings):
        assert [c.token for c in slack.calls_to("apps.connections.open")] == [APP_TOKEN]
        envelope = await slack.send_envelope(
            "slash_commands", slash_command("summary topic: harbour", fake=slack)
        )
        ack = await envelope.ack
        assert ack["envelope_id"] == envelope.envelope_id
        assert "Working on" in ack["payload"]["text"]
        assert envelope.acked_at - envelope.sent_at < 3.0
        await eventually(lambda: len(slack.responses) == 1)
    assert commands.calls[0].text == "summary topic: harbour"
    assert "ran: summary topic: harbour" in slack.responses[0]["text"]


def test_question_text_drops_mentions() -> None:
    text = "<@U0123ABC> what did <@W999|bob> say about the pier?"
    assert question_text(text) == "what did say about the pier?"
