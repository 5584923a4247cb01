"""What a Discord server sees: real discord.py + real newsbot core against a local fake Discord."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import discord
from sqlalchemy import func, select

from bot.store.schema import FeedRow, OutboxRow, SubscriptionRow
from tests.fakes.fake_discord import EPHEMERAL, limit_errors, message_text, would_ping
from tests.fakes.feed_server import FeedServer

from .conftest import NEW_ITEMS, OLD_ITEMS, Bot, BotFactory, Clock, rss


async def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Wait until `check()` is truthy (the bot answers asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("the bot did not do it in time")
        await asyncio.sleep(0.02)


async def count(bot: Bot, table: Any) -> int:
    async with bot.app.db.session() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def subscribe(bot: Bot, url: str, **options: Any) -> Any:
    record = await bot.fake.run_command("subscribe", {"target": url}, **options)
    await bot.fake.wait_answered(record)
    return record


async def publish_and_reach_digest_time(
    bot: Bot,
    feed_server: FeedServer,
    clock: Clock,
    path: str,
    outlet: str,
    items: list[Any],
    host: str = "",
) -> None:
    """New items appear in the feed and are polled; then the 08:00 UTC digest is due."""
    scheduler = bot.app.scheduler({"discord": bot.adapter.poster})
    clock.advance(hours=1)
    feed_server.serve(path, rss(outlet, [*OLD_ITEMS, *items], clock(), host=host))
    clock.advance(minutes=20)
    await scheduler.tick()  # the feed is due: new items stored
    clock.advance(minutes=45)
    await scheduler.tick()  # 08:05: the digest is built and posted


async def test_subscribe_then_digest_thread_question_and_cited_answer(
    bot: Bot, feed_server: FeedServer, clock: Clock
) -> None:
    fake = bot.fake
    feed_server.serve("/gazette.xml", rss("Harbour Gazette", OLD_ITEMS, clock()))
    record = await subscribe(bot, feed_server.url("/gazette.xml"))
    assert "Subscribed to Harbour Gazette" in record.text
    assert record.visible_messages[0]["flags"] & EPHEMERAL
    assert record.ack_delay is not None and record.ack_delay < 3

    await publish_and_reach_digest_time(
        bot, feed_server, clock, "/gazette.xml", "Harbour Gazette", NEW_ITEMS
    )

    (post,) = fake.posted()
    text = message_text(post)
    assert "Council approves harbour bridge repair" in text
    assert "Ferry timetable" not in text  # the baseline item is never posted
    assert "[Harbour Gazette](https://harbourgazette.example/bridge)" in text
    assert "Extractive summary" in text
    thread = fake.threads[post["id"]]
    assert thread["thread_metadata"]["auto_archive_duration"] == 1440
    assert 1 <= len(thread["name"]) <= 100

    # A member mentions the bot in the digest's thread: answered there, with the source.
    question = await fake.send_user_message(
        thread["id"], "How much will the bridge repair cost?", mention_bot=True
    )
    answers = await eventually(
        lambda: [m for m in fake.history[thread["id"]] if m["author"]["id"] == fake.bot_user["id"]]
    )
    answer = message_text(answers[0])
    assert "4.2 million" in answer
    assert "(https://harbourgazette.example/bridge)" in answer
    assert question["id"] != answers[0]["id"]

    # /news ask inside the thread: the same digest is the context, the answer is public.
    asked = await fake.run_command(
        "ask", {"question": "When does work on the bridge start?"}, channel_id=thread["id"]
    )
    await fake.wait_answered(asked)
    assert "May" in asked.text
    assert "(https://harbourgazette.example/bridge)" in asked.text
    assert not asked.visible_messages[0]["flags"] & EPHEMERAL

    # Why was the older ferry story not in the digest? /news status says, privately.
    why = await fake.run_command("status", {"article": "https://harbourgazette.example/ferry"})
    await fake.wait_answered(why)
    assert "already in the feed when the feed was first added" in why.text
    assert why.visible_messages[0]["flags"] & EPHEMERAL


async def test_member_without_manage_channels_is_refused_privately(
    bot: Bot, feed_server: FeedServer
) -> None:
    feed_server.serve("/gazette.xml", rss("Harbour Gazette", OLD_ITEMS, bot.app.now()))
    record = await subscribe(bot, feed_server.url("/gazette.xml"), can_manage=False)
    assert "manage this channel" in record.text
    assert all(m["flags"] & EPHEMERAL for m in record.visible_messages)
    assert bot.fake.history[bot.fake.channel_id] == []  # nothing public
    assert await count(bot, SubscriptionRow) == 0
    assert await count(bot, FeedRow) == 0
    assert feed_server.requests == []  # refused before anything was fetched

    settings = await bot.fake.run_command("settings", {"time": "07:30"}, can_manage=False)
    await bot.fake.wait_answered(settings)
    assert "manage this channel" in settings.text


async def test_feed_text_with_mentions_and_markdown_pings_nobody(
    bot: Bot, feed_server: FeedServer, clock: Clock
) -> None:
    evil_outlet = "@everyone Daily <@&123456789012345678>"
    evil_item = (
        "alert",
        "@everyone @here <@&123456789012345678> [Official statement](https://evil.example) "
        "**BREAKING**",
        "@everyone the harbour bridge closes on Friday <@&123456789012345678> for repairs. "
        "[Click here](https://evil.example/login) to read the **official** notice.",
    )
    feed_server.serve("/evil.xml", rss(evil_outlet, OLD_ITEMS, clock(), host="evil-daily"))
    await subscribe(bot, feed_server.url("/evil.xml"))
    await publish_and_reach_digest_time(
        bot, feed_server, clock, "/evil.xml", evil_outlet, [evil_item], host="evil-daily"
    )
    summary = await bot.fake.run_command("summary", {"hours": 24})
    await bot.fake.wait_answered(summary)

    assert bot.fake.posted() and summary.visible_messages
    calls = bot.fake.message_calls()
    assert calls
    posted_text = "\n".join(message_text(m) for m in bot.fake.posted())
    # The feed's text is there, made inert.
    inert = (
        "@\u200beveryone @\u200bhere <@\u200b&123456789012345678> "
        "\\[Official statement\\] \\*\\*BREAKING\\*\\*"
    )
    assert inert in posted_text and inert in summary.text
    for call in calls:
        if not isinstance(call.body, dict):
            continue
        body = call.body.get("data", call.body) if "type" in call.body else call.body
        assert body.get("allowed_mentions") == {"parse": []}
        assert would_ping(body) == []
        # Escaped too: even without allowed_mentions the text itself would ping nobody.
        assert would_ping({"content": body.get("content") or ""}) == []
        shown = message_text(body)
        assert "](https://evil.example" not in shown.replace("\\]", "")
        assert "**BREAKING" not in shown and "**official" not in shown


async def test_slow_summariser_is_still_acknowledged_in_time(
    start_bot: BotFactory, feed_server: FeedServer
) -> None:
    from tests.fakes.fake_openai import FakeOpenAI, Reply

    async with FakeOpenAI() as openai:
        openai.script(Reply(content="{}", delay_s=3.5))
        bot: Bot = await start_bot(
            llm={"base_url": openai.base_url, "api_key": "sk-test-key", "timeout_s": 10},
            digest={"summariser": "llm"},
        )
        feed_server.serve("/gazette.xml", rss("Harbour Gazette", NEW_ITEMS, bot.app.now()))
        await subscribe(bot, feed_server.url("/gazette.xml"))
        started = time.monotonic()
        record = await bot.fake.run_command("summary", {"hours": 24})
        await bot.fake.wait_answered(record, timeout=30)
        took = time.monotonic() - started

    assert openai.chat_requests  # the summariser really was the slow one
    assert took > 3.0  # the answer came after Discord's deadline...
    assert record.ack_delay is not None and record.ack_delay < 2.0  # ...the ack well before it
    assert "Council approves harbour bridge repair" in record.text


async def test_forty_item_digest_is_split_and_accepted(bot: Bot) -> None:
    from .helpers import make_digest

    digest = make_digest(40, outlets=3, sentence_words=70)
    result = await bot.adapter.poster.post_digest(bot.where(), digest, idempotency_key="key-40")

    posted = bot.fake.posted()
    assert len(posted) > 1
    for message in posted:
        assert limit_errors(message) == []
    titles = [e["title"] for m in posted for e in m["embeds"]]
    assert len(titles) == 40 and len(set(titles)) == 40
    assert result.message_id == posted[0]["id"] and result.thread_id in bot.fake.threads
    assert all(c.status == 200 for c in bot.fake.message_calls())


async def test_429_storm_ends_with_each_digest_posted_once(
    bot: Bot, feed_server: FeedServer, clock: Clock
) -> None:
    fake = bot.fake
    feed_server.serve("/gazette.xml", rss("Harbour Gazette", OLD_ITEMS, clock()))
    await subscribe(bot, feed_server.url("/gazette.xml"))
    second = fake.add_channel("local-news")
    await subscribe(bot, feed_server.url("/gazette.xml"), channel_id=second)

    # Longer than discord.py's five tries on the message route, a global limit on top, and
    # one post that Discord accepts but whose answer is lost (502): the retry reuses the nonce.
    fake.rate_limit(times=7, retry_after=0.01, method="POST", path=r"/channels/\d+/messages")
    fake.rate_limit(times=2, retry_after=0.01, is_global=True)
    fake.lose_responses = 1
    await publish_and_reach_digest_time(
        bot, feed_server, clock, "/gazette.xml", "Harbour Gazette", NEW_ITEMS
    )
    scheduler = bot.app.scheduler({"discord": bot.adapter.poster})
    for _ in range(5):
        if await count_sent(bot) == 2:
            break
        clock.advance(minutes=10)
        await scheduler.tick()

    assert await count_sent(bot) == 2
    statuses = [c.status for c in fake.calls]
    assert 429 in statuses and 502 in statuses
    for channel in (fake.channel_id, second):
        posts = fake.posted(channel)
        assert len(posts) == 1, [message_text(p)[:80] for p in posts]
        assert post_has_thread(fake, posts[0])


async def count_sent(bot: Bot) -> int:
    async with bot.app.db.session() as session:
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.state == "sent")
        return int((await session.execute(query)).scalar_one())


def post_has_thread(fake: Any, post: dict[str, Any]) -> bool:
    return post["id"] in fake.threads


async def test_bot_without_permission_tells_the_user_and_keeps_the_digest(
    bot: Bot, feed_server: FeedServer, clock: Clock
) -> None:
    fake = bot.fake
    locked = fake.locked_channel_id
    feed_server.serve("/gazette.xml", rss("Harbour Gazette", OLD_ITEMS, clock()))
    record = await subscribe(bot, feed_server.url("/gazette.xml"), channel_id=locked)
    # The user is told at once that the bot cannot post here yet.
    assert "Subscribed to Harbour Gazette" in record.text
    assert "cannot post digests in this channel" in record.text
    assert "Send Messages" in record.text

    await publish_and_reach_digest_time(
        bot, feed_server, clock, "/gazette.xml", "Harbour Gazette", NEW_ITEMS
    )
    assert fake.posted(locked) == []
    # Known from the cached permissions: not one refused request counts against the bot.
    assert not [c for c in fake.calls if locked in c.path and c.method == "POST"]
    async with bot.app.db.session() as session:
        (row,) = (await session.execute(select(OutboxRow))).scalars().all()
    assert row.state == "pending" and "permission" in row.last_error  # kept for retry

    # Once an admin grants the permission, the kept digest is posted, once.
    await fake.set_bot_denied(locked, 0)
    channel = bot.adapter.client.get_channel(int(locked))
    assert isinstance(channel, discord.TextChannel)
    await eventually(lambda: channel.permissions_for(channel.guild.me).send_messages)
    scheduler = bot.app.scheduler({"discord": bot.adapter.poster})
    clock.advance(hours=2)
    await scheduler.tick()
    (post,) = fake.posted(locked)
    assert "Council approves harbour bridge repair" in message_text(post)
    assert post["id"] in fake.threads
