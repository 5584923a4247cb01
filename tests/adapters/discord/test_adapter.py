"""The adapter's own duties: command registration, autocomplete, errors, posting, lifecycle."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import discord
import pytest
from sqlalchemy import text

from adapters.discord_bot import DiscordAdapter, DiscordPoster
from adapters.discord_bot.render import part_nonce
from bot.app import build_app
from bot.channels.delivery import PostError
from bot.config import Settings
from bot.errors import ConfigError
from tests.fakes.fake_discord import (
    CREATE_PUBLIC_THREADS,
    EPHEMERAL,
    FakeDiscord,
    message_text,
    would_ping,
)
from tests.fakes.feed_server import FeedServer

from .conftest import BOT_TOKEN, OLD_ITEMS, Bot, BotFactory, Clock, rss
from .helpers import make_digest
from .test_scenarios import eventually, subscribe

MESSAGES = r"/channels/\d+/messages"
SUBCOMMANDS = {"subscribe", "unsubscribe", "list", "summary", "digest", "ask", "settings", "status"}


def option(command: dict[str, Any], name: str) -> dict[str, Any]:
    return next(o for o in command["options"] if o["name"] == name)


async def test_commands_are_synced_to_the_dev_guild_with_typed_options(bot: Bot) -> None:
    fake = bot.fake
    assert "global" not in fake.commands
    (news,) = fake.commands[fake.guild_id]
    assert news["name"] == "news"
    assert {o["name"] for o in news["options"]} == SUBCOMMANDS
    assert news["contexts"] == [0]  # servers only: no DMs
    subscribe_ = option(news, "subscribe")
    assert option(subscribe_, "target")["required"] is True
    assert option(option(news, "unsubscribe"), "feed")["autocomplete"] is True
    settings = option(news, "settings")
    assert option(settings, "timezone")["autocomplete"] is True
    assert {c["value"] for c in option(settings, "summariser")["choices"]} == {
        "auto",
        "llm",
        "extractive",
    }
    assert {c["value"] for c in option(settings, "digest")["choices"]} == {"on", "off"}
    hours = option(option(news, "summary"), "hours")
    assert hours["type"] == 4 and hours["min_value"] == 1


async def test_without_a_dev_guild_commands_are_synced_globally(start_bot: BotFactory) -> None:
    bot: Bot = await start_bot(discord={"dev_guild_id": None})
    assert [c["name"] for c in bot.fake.commands["global"]] == ["news"]
    record = await bot.fake.run_command("status")
    await bot.fake.wait_answered(record)
    assert "follows nothing yet" in record.text


async def test_autocomplete_offers_this_channels_feeds_and_time_zones(
    bot: Bot, feed_server: FeedServer
) -> None:
    feed_server.serve("/gazette.xml", rss("Harbour Gazette", OLD_ITEMS, bot.app.now()))
    await subscribe(bot, feed_server.url("/gazette.xml"))
    other = bot.fake.add_channel("sport")

    feeds = await bot.fake.run_command("unsubscribe", {"feed": ""}, focused="feed")
    await bot.fake.wait_answered(feeds)
    assert feeds.choices and any("gazette.xml" in c["value"] for c in feeds.choices)
    elsewhere = await bot.fake.run_command(
        "unsubscribe", {"feed": ""}, focused="feed", channel_id=other
    )
    await bot.fake.wait_answered(elsewhere)
    assert elsewhere.choices == []  # another channel's feeds are not offered

    zones = await bot.fake.run_command("settings", {"timezone": "berl"}, focused="timezone")
    await bot.fake.wait_answered(zones)
    assert zones.choices is not None and zones.choices[0]["value"] == "Europe/Berlin"
    many = await bot.fake.run_command("settings", {"timezone": "a"}, focused="timezone")
    await bot.fake.wait_answered(many)
    assert many.choices is not None and len(many.choices) == 25
    assert all(r.ack_delay is not None and r.ack_delay < 3 for r in (feeds, zones, many))


async def test_settings_options_reach_the_core(bot: Bot) -> None:
    record = await bot.fake.run_command(
        "settings", {"time": "07:30", "timezone": "Europe/Berlin", "digest": "off"}
    )
    await bot.fake.wait_answered(record)
    assert "Settings saved" in record.text and "Europe/Berlin" in record.text
    bad = await bot.fake.run_command("settings", {"timezone": "Mars/Olympus"})
    await bot.fake.wait_answered(bad)
    assert "time zone" in bad.text.lower()
    assert all(m["flags"] & EPHEMERAL for m in bad.visible_messages)


async def test_an_unexpected_error_becomes_one_private_sentence(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot.app.db.write() as session:  # the core now fails in a way no command expects
        await session.execute(text("DROP TABLE outbox"))
        await session.execute(text("DROP TABLE subscriptions"))
        await session.execute(text("DROP TABLE channels"))
    record = await bot.fake.run_command("digest")
    await bot.fake.wait_answered(record)
    assert "Something went wrong on newsbot's side" in record.text
    assert all(m["flags"] & EPHEMERAL for m in record.visible_messages)
    assert bot.fake.history[bot.fake.channel_id] == []  # the public "thinking" note is gone
    assert "/news command failed" in caplog.text


async def test_mentions_outside_questions_and_own_messages(bot: Bot) -> None:
    fake = bot.fake
    await fake.send_user_message(fake.channel_id, "hello everyone")  # no mention: ignored
    await fake.send_user_message(fake.channel_id, "", mention_bot=True)  # mention, no question
    hint = await eventually(lambda: fake.posted(fake.channel_id))
    assert "Ask me a question" in message_text(hint[0])
    assert len(fake.posted(fake.channel_id)) == 1


async def test_a_post_cut_short_resumes_without_repeating_parts(bot: Bot) -> None:
    fake = bot.fake
    where = bot.where()
    digest = make_digest(30, outlets=3, sentence_words=60)
    # The first message gets in; the second meets more 429s than discord.py retries.
    fake.rate_limit(times=5, skip=1, retry_after=0.01, method="POST", path=MESSAGES)
    with pytest.raises(PostError) as raised:
        await bot.adapter.poster.post_digest(where, digest, idempotency_key="resume-key")
    assert raised.value.retryable
    assert len(fake.posted()) == 1

    # After a restart the poster remembers nothing: find_posted sees only part of the post...
    fresh = DiscordPoster(bot.adapter.client)
    assert await fresh.find_posted(where, "resume-key") is None
    # ...and post_digest completes it: every part exactly once, one thread.
    result = await fresh.post_digest(where, digest, idempotency_key="resume-key")
    posts = fake.posted()
    parts = [p["embeds"][-1]["footer"]["text"].rsplit(" ", 1)[-1] for p in posts]
    assert len(parts) > 2 and parts == [f"{n}/{len(parts)}" for n in range(1, len(parts) + 1)]
    assert result.message_id == posts[0]["id"] == result.thread_id
    assert list(fake.threads) == [posts[0]["id"]]
    found = await DiscordPoster(bot.adapter.client).find_posted(where, "resume-key")
    assert found == result


async def test_notify_escapes_and_pings_nobody(bot: Bot) -> None:
    await bot.adapter.poster.notify(bot.where(), "Feed @everyone <@&123456789012345678> disabled.")
    (notice,) = bot.fake.posted()
    assert would_ping({"content": notice["content"]}) == []
    assert notice["allowed_mentions"] == {"parse": []}
    # The cache already says the bot may not post there: refused without a request.
    requests_before = len(bot.fake.calls)
    with pytest.raises(PostError) as refused:
        await bot.adapter.poster.notify(bot.where(bot.fake.locked_channel_id), "hello")
    assert not refused.value.retryable and len(bot.fake.calls) == requests_before
    # A stale cache: Discord answers 403, which is just as final.
    bot.fake.forbidden_channels.add(bot.fake.channel_id)
    with pytest.raises(PostError) as forbidden:
        await bot.adapter.poster.notify(bot.where(), "hello")
    assert not forbidden.value.retryable and bot.fake.calls[-1].status == 403


async def test_sharded_client_connects_through_gateway_bot(start_bot: BotFactory) -> None:
    bot: Bot = await start_bot(discord={"sharded": True})  # Discord picks the count
    assert isinstance(bot.adapter.client, discord.AutoShardedClient)
    assert any(c.path == "/gateway/bot" for c in bot.fake.calls)
    assert bot.fake.identify_payloads[-1]["shard"] == [0, 1]
    record = await bot.fake.run_command("status")
    await bot.fake.wait_answered(record)
    assert record.text


async def test_message_content_intent_is_off_unless_configured(
    start_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="adapters.discord_bot")
    bot: Bot = await start_bot()
    intents = bot.fake.identify_payloads[-1]["intents"]
    assert not intents & (1 << 15) and intents & (1 << 9)
    await eventually(lambda: "Message Content intent is off" in caplog.text)


async def test_a_privileged_intent_not_enabled_in_the_portal_is_explained(
    fake_discord: FakeDiscord, start_bot: BotFactory
) -> None:
    with pytest.raises(ConfigError, match="enable it for the bot in the Developer Portal"):
        await start_bot(discord={"message_content_intent": True})
    fake_discord.message_content_allowed = True
    bot: Bot = await start_bot(discord={"message_content_intent": True})
    assert bot.fake.identify_payloads[-1]["intents"] & (1 << 15)


async def test_bad_token_is_a_clear_config_error(
    fake_discord: FakeDiscord, start_bot: BotFactory
) -> None:
    fake_discord.bot_token = "a-different-token"
    with pytest.raises(ConfigError, match="rejected the bot token"):
        await start_bot()


async def test_close_is_graceful_and_the_token_is_never_logged(
    start_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    bot: Bot = await start_bot()
    record = await bot.fake.run_command("status")
    await bot.fake.wait_answered(record)
    await bot.adapter.close()
    assert bot.adapter.client.is_closed()
    await eventually(lambda: not bot.fake._sockets)
    assert BOT_TOKEN not in caplog.text


async def test_adapter_needs_a_token(tmp_path: Path, clock: Clock) -> None:
    settings = Settings(database={"url": f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}"})
    app = await build_app(settings, clock=clock, parse_in_process=True)
    adapter = DiscordAdapter(app, settings)
    try:
        with pytest.raises(ConfigError, match="NEWSBOT_DISCORD__TOKEN"):
            await adapter.start()
    finally:
        await adapter.close()
        await app.aclose()


async def test_long_retry_after_goes_to_the_outbox_and_a_lost_answer_is_not_reposted(
    bot: Bot,
) -> None:
    fake = bot.fake
    digest = make_digest(3)
    # Discord asks for 64.57 s: the poster does not sleep through it, it tells the outbox.
    fake.rate_limit(times=1, retry_after=64.57, method="POST", path=MESSAGES)
    started = time.monotonic()
    with pytest.raises(PostError) as limited:
        await bot.adapter.poster.post_digest(bot.where(), digest, idempotency_key="k-64")
    assert time.monotonic() - started < 5
    assert limited.value.retryable and limited.value.retry_after_s == pytest.approx(64.57)

    # Then Discord accepts the post but the answer is lost (502): discord.py retries with the
    # same nonce and Discord hands back the message it already has.
    fake.lose_responses = 1
    result = await bot.adapter.poster.post_digest(bot.where(), digest, idempotency_key="k-64")
    (post,) = fake.posted()
    assert post["id"] == result.message_id
    posts = [c for c in fake.calls if c.method == "POST" and c.path.endswith("/messages")]
    assert [c.status for c in posts] == [429, 502, 200]
    assert {c.body["nonce"] for c in posts} == {part_nonce("k-64", 1)}
    assert all(c.body["enforce_nonce"] is True for c in posts)


async def test_digest_parts_carry_distinct_nonces(bot: Bot) -> None:
    await bot.adapter.poster.post_digest(bot.where(), make_digest(30), idempotency_key="k-n")
    bodies = [c.body for c in bot.fake.calls if c.path.endswith("/messages") and c.method == "POST"]
    nonces = [b["nonce"] for b in bodies]
    assert len(bodies) > 1 and len(set(nonces)) == len(nonces)
    assert all(len(n) <= 25 and b["enforce_nonce"] for n, b in zip(nonces, bodies, strict=True))


async def test_without_thread_permission_the_digest_is_still_posted(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    await bot.fake.set_bot_denied(bot.fake.channel_id, CREATE_PUBLIC_THREADS)
    channel = bot.adapter.client.get_channel(int(bot.fake.channel_id))
    assert isinstance(channel, discord.TextChannel)
    await eventually(lambda: not channel.permissions_for(channel.guild.me).create_public_threads)
    result = await bot.adapter.poster.post_digest(
        bot.where(), make_digest(2), idempotency_key="k-t"
    )
    assert result.thread_id == "" and len(bot.fake.posted()) == 1
    assert not [c for c in bot.fake.calls if c.path.endswith("/threads")]
    assert "Create Public Threads" in caplog.text
