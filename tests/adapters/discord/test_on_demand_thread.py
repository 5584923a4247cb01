"""A digest asked for with `/news digest` or `/news summary` is a digest like the scheduled one:
a question in a thread started under it is answered from that digest's articles."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.store import channels as channel_store
from bot.store import digests as digest_store
from tests.fakes.fake_discord import message_text
from tests.fakes.feed_server import FeedServer

from .conftest import NEW_ITEMS, OLD_ITEMS, Bot, Clock, rss
from .test_scenarios import eventually, subscribe


async def digest_of_thread(bot: Bot, thread_id: str) -> str | None:
    """The digest the core files this thread under; the adapter reports it just after the
    answer is shown, so this waits a little for it."""
    for _ in range(200):
        async with bot.app.db.session() as session:
            channel = await channel_store.find_channel(session, bot.where())
            assert channel is not None
            found = await digest_store.digest_for_thread(session, channel.id, thread_id)
        if found is not None:
            return found
        await asyncio.sleep(0.02)
    return None


async def ask_in_a_thread_under(bot: Bot, command: str, options: dict[str, Any]) -> str:
    """Run the command, start a thread under its first message, ask there; the answer."""
    fake = bot.fake
    record = await fake.run_command(command, options)
    await fake.wait_answered(record)
    first = record.visible_messages[0]
    assert "Council approves harbour bridge repair" in record.text
    thread = await fake.start_member_thread(first["id"], "About the bridge")
    assert await digest_of_thread(bot, thread["id"]) is not None
    await fake.send_user_message(
        thread["id"], "How much will the bridge repair cost?", mention_bot=True
    )
    answers = await eventually(
        lambda: [m for m in fake.history[thread["id"]] if m["author"]["id"] == fake.bot_user["id"]]
    )
    return message_text(answers[0])


async def test_a_thread_under_news_digest_asks_about_that_digest(
    bot: Bot, feed_server: FeedServer, clock: Clock
) -> None:
    feed_server.serve("/gazette.xml", rss("Harbour Gazette", OLD_ITEMS, clock()))
    await subscribe(bot, feed_server.url("/gazette.xml"))
    clock.advance(hours=1)
    feed_server.serve("/gazette.xml", rss("Harbour Gazette", [*OLD_ITEMS, *NEW_ITEMS], clock()))
    clock.advance(minutes=20)
    scheduler = bot.app.scheduler({"discord": bot.adapter.poster})
    await scheduler.tick()  # new items stored
    await scheduler.stop()  # and its background retention pass ends here, not at teardown

    answer = await ask_in_a_thread_under(bot, "digest", {})
    assert "4.2 million" in answer
    assert "(https://harbourgazette.example/bridge)" in answer

    answer = await ask_in_a_thread_under(bot, "summary", {"topic": "bridge"})
    assert "4.2 million" in answer
