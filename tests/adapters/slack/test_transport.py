"""Requests reach the app only when Slack signed them; Socket Mode works without a URL."""

from __future__ import annotations

import json
import logging
import time
from typing import cast
from urllib.parse import urlencode

import aiohttp
import pytest

from adapters.slack_bot import SlackAdapter, plain_text_of, question_text
from adapters.slack_bot.payloads import looks_like_command
from adapters.slack_bot.render import render_digest
from bot.channels.ports import ChatCommands
from bot.config import Settings
from bot.errors import ConfigError, NewsbotError
from bot.store.db import Database
from tests.adapters.slack.conftest import (
    APP_TOKEN,
    TranscriptCommands,
    TranscriptCore,
    event_callback,
    eventually,
    post_to_app,
    running_adapter,
    send_command,
    send_event,
    signed_headers,
    slack_settings,
    slash_command,
)
from tests.adapters.slack.digests import digest
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
        slack.calls.clear()  # the bot token check at start
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


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("list", True),
        ("/news digest", True),
        ("subscribe https://harbour.example/feed.xml", True),
        ("ask what did the council decide?", True),
        ("status of the pier repair?", False),
        ("summary of today's news?", False),
        ("what did the council decide?", False),
        ("clear", False),
    ],
)
def test_a_direct_message_is_a_command_only_when_it_looks_like_one(
    text: str, command: bool
) -> None:
    assert looks_like_command(text) is command


def test_question_text_drops_mentions() -> None:
    text = "<@U0123ABC> what did <@W999|bob> say about the pier?"
    assert question_text(text) == "what did say about the pier?"


@pytest.mark.parametrize("stories", [3, 60])
async def test_command_digest_goes_to_the_channel_within_limits(
    slack: FakeSlack, sqlite_db: Database, stories: int
) -> None:
    commands = TranscriptCommands(digest=digest(stories))
    async with running_adapter(TranscriptCore(commands, sqlite_db), slack_settings(slack)) as app:
        await send_command(app.http_port, slash_command("digest", fake=slack))
        expected = len(render_digest(digest(stories)))
        assert (expected == 1) if stories == 3 else (expected > 1)  # 60 need several
        await eventually(lambda: len(slack.posts("C-NEWS")) == expected)
    assert not [c for c in slack.calls if c.error]  # Slack accepted every message
    for post in slack.posts("C-NEWS"):
        assert post["blocks"][0]["type"] == "header"
        assert post["unfurl_links"] is False
    shown = str([p["blocks"] for p in slack.posts("C-NEWS")])
    assert all(f"story-{n}?" in shown for n in range(1, stories + 1))
    assert slack.responses == []
    # The core learns where every part went: a reply under any of them is about this digest.
    ((where, posted),) = commands.posted_digests
    assert where.channel == "C-NEWS"
    assert list(posted) == [p["ts"] for p in slack.posts("C-NEWS")]


async def test_digest_where_the_bot_is_not_invited_is_shown_privately(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    slack.not_in_channel.add("C-NEWS")
    commands = TranscriptCommands(digest=digest(3))
    async with running_adapter(TranscriptCore(commands, sqlite_db), slack_settings(slack)) as app:
        await send_command(app.http_port, slash_command("digest", fake=slack))
        await eventually(lambda: len(slack.responses) == 2)
    note, shown = slack.responses
    assert note["response_type"] == shown["response_type"] == "ephemeral"
    assert "invite newsbot" in note["text"]
    assert shown["blocks"][0]["type"] == "header"
    assert commands.posted_digests == []  # nothing in the channel to reply under
    assert slack.posts() == []


def thread_reply(text: str) -> dict[str, str]:
    """A member's message in the thread under one of newsbot's posts (a follow-up question)."""
    return {
        "type": "message",
        "channel": "C-NEWS",
        "user": "U-MEMBER",
        "text": text,
        "ts": "1764150000.000200",
        "thread_ts": "1764100000.000100",
        "parent_user_id": "U-BOT1",
    }


async def test_a_bug_while_answering_is_logged_and_told_privately(
    slack: FakeSlack, sqlite_db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    question = thread_reply("boom?")
    commands = TranscriptCommands()
    async with running_adapter(TranscriptCore(commands, sqlite_db), slack_settings(slack)) as app:
        with caplog.at_level(logging.ERROR):
            await send_event(app.http_port, event_callback(question))
            await eventually(lambda: len(slack.ephemerals) == 1)
    (private,) = slack.ephemerals
    assert private["user"] == "U-MEMBER" and private["thread_ts"] == "1764100000.000100"
    assert "Something went wrong" in private["text"]
    assert "a bug in the core" not in private["text"]
    assert "a bug in the core" in caplog.text
    assert slack.posts() == []


async def test_thread_replies_under_other_peoples_messages_are_left_alone(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    commands = TranscriptCommands()
    base = {"type": "message", "channel": "C-NEWS", "user": "U-MEMBER", "text": "nice"}
    ignored = [
        {**base, "ts": "1.1", "thread_ts": "1.0", "parent_user_id": "U-SOMEONE"},
        {**base, "ts": "1.2"},  # not in a thread
        {**base, "ts": "1.3", "thread_ts": "1.0", "parent_user_id": "U-BOT1", "subtype": "x"},
    ]
    async with running_adapter(TranscriptCore(commands, sqlite_db), slack_settings(slack)) as app:
        for event in ignored:
            status, _, _ = await send_event(app.http_port, event_callback(event))
            assert status == 200
        answered = {**base, "ts": "1.4", "thread_ts": "1.0", "parent_user_id": "U-BOT1"}
        await send_event(app.http_port, event_callback(answered))
        await eventually(lambda: len(slack.posts("C-NEWS")) == 1)
    assert [c.thread_id for c in commands.calls] == ["1.0"]


async def test_a_bare_mention_gets_a_private_hint_not_a_public_post(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    mention = {
        "type": "app_mention",
        "channel": "C-NEWS",
        "user": "U-MEMBER",
        "text": "<@U-BOT1>",
        "ts": "1764150000.000500",
    }
    commands = TranscriptCommands()
    async with running_adapter(TranscriptCore(commands, sqlite_db), slack_settings(slack)) as app:
        await send_event(app.http_port, event_callback(mention))
        await eventually(lambda: len(slack.ephemerals) == 1)
    assert commands.calls[0].text == "" and commands.calls[0].thread_id is None
    (hint,) = slack.ephemerals
    assert hint["user"] == "U-MEMBER" and hint["thread_ts"] == "1764150000.000500"
    assert "Ask a question" in hint["text"]
    assert slack.posts() == []


async def test_close_lets_a_running_command_finish(slack: FakeSlack, sqlite_db: Database) -> None:
    commands = TranscriptCommands(delay_s=0.5)
    core = TranscriptCore(commands, sqlite_db)
    async with running_adapter(core, slack_settings(slack)) as app:
        await send_command(app.http_port, slash_command("status", fake=slack))
        await eventually(lambda: len(commands.calls) == 1)
        await app.close()  # shutdown while the command is still working
        assert len(slack.responses) == 1
        assert "ran: status" in slack.responses[0]["text"]


async def test_socket_mode_mention_is_answered_in_its_thread(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    commands = TranscriptCommands()
    settings = slack_settings(slack, mode="socket", app_token=APP_TOKEN, signing_secret=None)
    mention = {
        "type": "app_mention",
        "channel": "C-NEWS",
        "user": "U-MEMBER",
        "text": "<@U-BOT1> what happened at the harbour?",
        "ts": "1764150000.000700",
    }
    async with running_adapter(TranscriptCore(commands, sqlite_db), settings):
        envelope = await slack.send_envelope("events_api", event_callback(mention))
        assert (await envelope.ack) == {"envelope_id": envelope.envelope_id}
        await eventually(lambda: len(slack.posts("C-NEWS")) == 1)
    (answer,) = slack.posts("C-NEWS")
    assert answer["thread_ts"] == "1764150000.000700"
    assert "answer to: what happened at the harbour?" in answer["text"]


@pytest.mark.parametrize(
    ("slack_text", "typed"),
    [
        (
            "subscribe <https://feeds.example/rss?a=1&amp;b=2|feeds.example/rss?a=1&amp;b=2>",
            "subscribe https://feeds.example/rss?a=1&b=2",
        ),
        ("subscribe <https://feeds.example/atom>", "subscribe https://feeds.example/atom"),
        ("ask is 1 &lt; 2 &amp;&amp; 3 &gt; 2?", "ask is 1 < 2 && 3 > 2?"),
        ("ask what about <#C123|harbour> and <!here>?", "ask what about #harbour and @here?"),
        ("ask did <!subteam^S1|@editors> see it", "ask did @editors see it"),
        ("ask  spaced\tout ", "ask spaced out"),
    ],
)
def test_slack_text_becomes_what_the_user_typed(slack_text: str, typed: str) -> None:
    assert plain_text_of(slack_text) == typed


async def test_command_text_reaches_the_core_as_typed(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    commands = TranscriptCommands()
    text = "subscribe <https://feeds.example/rss?a=1&amp;b=2> include:tides&amp;ferries"
    async with running_adapter(TranscriptCore(commands, sqlite_db), slack_settings(slack)) as app:
        await send_command(app.http_port, slash_command(text, fake=slack))
        await eventually(lambda: len(slack.responses) == 1)
    assert commands.calls[0].text == (
        "subscribe https://feeds.example/rss?a=1&b=2 include:tides&ferries"
    )


async def test_events_url_verification_is_answered(slack: FakeSlack, sqlite_db: Database) -> None:
    challenge = {
        "token": "t",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    async with running_adapter(
        TranscriptCore(TranscriptCommands(), sqlite_db), slack_settings(slack)
    ) as app:
        status, body, _ = await send_event(app.http_port, challenge)
    assert status == 200 and challenge["challenge"] in body


async def test_refused_tokens_stop_start_up_with_one_sentence(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    core = TranscriptCore(TranscriptCommands(), sqlite_db)
    bad_bot = slack_settings(slack, bot_token="xoxb-revoked-0000")
    with pytest.raises(ConfigError, match="Slack refused NEWSBOT_SLACK__BOT_TOKEN"):
        async with running_adapter(core, bad_bot):
            pass
    bad_app = slack_settings(slack, mode="socket", app_token="xapp-1-wrong", signing_secret=None)
    with pytest.raises(ConfigError, match="Slack refused NEWSBOT_SLACK__APP_TOKEN") as error:
        async with running_adapter(core, bad_app):
            pass
    assert "xapp-1-wrong" not in str(error.value)
    unreachable = slack_settings(slack, api_url="http://127.0.0.1:9/api/")
    with pytest.raises(NewsbotError, match="could not be reached"):
        async with running_adapter(core, unreachable):
            pass


async def test_failed_start_leaves_nothing_listening(slack: FakeSlack, sqlite_db: Database) -> None:
    settings = slack_settings(
        slack,
        bot_token=None,
        client_id="1.2",
        client_secret="oauth-secret",
        mode="socket",
        app_token="xapp-1-wrong",
    )
    adapter = SlackAdapter(
        TranscriptCore(TranscriptCommands(), sqlite_db),  # type: ignore[arg-type]
        Settings(slack=settings),
        # Only what the Slack listeners call (execute, ask) is implemented.
        commands=cast(ChatCommands, TranscriptCommands()),
    )
    with pytest.raises(ConfigError):
        await adapter.start()
    assert adapter.http_port  # the install pages had started before the socket failed
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as session:
            await session.get(f"http://127.0.0.1:{adapter.http_port}/slack/install")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("", "application/json"),
        ("payload=%7Bnot+json", "application/x-www-form-urlencoded"),
    ],
)
async def test_unparseable_unsigned_body_gets_400_without_a_traceback(
    slack: FakeSlack,
    sqlite_db: Database,
    caplog: pytest.LogCaptureFixture,
    body: str,
    content_type: str,
) -> None:
    # Anyone on the internet can reach the events URL; a junk body must not cost a 500 and
    # a logged traceback each (bolt parses the body before it checks the signature).
    commands = TranscriptCommands()
    async with running_adapter(TranscriptCore(commands, sqlite_db), slack_settings(slack)) as app:
        with caplog.at_level(logging.WARNING):
            status, _, _ = await post_to_app(app.http_port, body, {"Content-Type": content_type})
    assert status in (400, 401)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert commands.calls == []


async def test_a_long_private_digest_fits_the_five_answers_slack_allows_a_command(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    # Not invited: the digest goes back privately through the command's response_url, which
    # Slack lets an app use five times; a sixth message would be dropped without a word.
    slack.not_in_channel.add("C-NEWS")
    commands = TranscriptCommands(digest=digest(60))
    assert len(render_digest(digest(60))) + 1 > 5
    async with running_adapter(TranscriptCore(commands, sqlite_db), slack_settings(slack)) as app:
        await send_command(app.http_port, slash_command("digest", fake=slack))
        await eventually(lambda: len(slack.responses) == 5)
        await app.close()  # lets the command finish: any sixth message has been tried
    assert slack.used_up_responses == []
    assert "invite newsbot" in slack.responses[0]["text"]
    last = slack.responses[-1]
    assert "did not fit" in last["text"] and "invite newsbot" in last["text"]
    assert all(r["response_type"] == "ephemeral" for r in slack.responses)


async def test_an_answer_slack_will_not_take_is_not_promised_a_retry(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    # Answers are not queued anywhere: telling the asker "it will be retried" would leave
    # them waiting for a reply that never comes.
    question = thread_reply("what happened at the pier?")
    slack.rate_limit("chat.postMessage", times=3, retry_after=0)  # more than the 2 retries
    commands = TranscriptCommands()
    async with running_adapter(TranscriptCore(commands, sqlite_db), slack_settings(slack)) as app:
        await send_event(app.http_port, event_callback(question))
        await eventually(lambda: len(slack.ephemerals) == 1)
    (private,) = slack.ephemerals
    assert private["user"] == "U-MEMBER" and private["thread_ts"] == "1764100000.000100"
    assert "retried" not in private["text"]
    assert "try again" in private["text"]
    assert slack.posts() == []


async def test_a_digest_cut_off_half_way_shows_only_the_missing_parts_privately(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    slack.fail_once("chat.postMessage", "internal_error", after=1)  # part 2 of 5 refused
    commands = TranscriptCommands(digest=digest(60))
    async with running_adapter(TranscriptCore(commands, sqlite_db), slack_settings(slack)) as app:
        await send_command(app.http_port, slash_command("digest", fake=slack))
        await eventually(lambda: len(slack.responses) >= 2)
        await app.close()
    (public,) = slack.posts("C-NEWS")
    note, *private = slack.responses
    assert "rest of the digest" in note["text"]
    parts = [public, *private]
    assert len(parts) == len(render_digest(digest(60)))
    shown = str([p["blocks"] for p in parts])
    for n in range(1, 61):  # every story once, publicly or privately
        assert shown.count(f"*{n}. Town {n} approves") == 1


async def test_a_question_slack_delivers_twice_is_answered_once(
    slack: FakeSlack, sqlite_db: Database
) -> None:
    # Slack re-sends an event it thinks was not acknowledged in 3 s (X-Slack-Retry-Num),
    # and Socket Mode re-sends unacknowledged envelopes after a reconnect.
    question = thread_reply("what happened at the pier?")
    commands = TranscriptCommands()
    async with running_adapter(TranscriptCore(commands, sqlite_db), slack_settings(slack)) as app:
        payload = event_callback(question)
        await send_event(app.http_port, payload)
        body = json.dumps(payload)
        headers = {
            **signed_headers(body, content_type="application/json"),
            "X-Slack-Retry-Num": "1",
            "X-Slack-Retry-Reason": "http_timeout",
        }
        status, _, _ = await post_to_app(app.http_port, body, headers)
        assert status == 200
        await eventually(lambda: len(slack.posts("C-NEWS")) >= 1)
        await app.close()  # both deliveries handled
    assert len(slack.posts("C-NEWS")) == 1
    assert len(commands.calls) == 1
