"""Whole-bot scenarios on Slack: the real bolt app, the real core (commands, scheduler,
outbox, SQLite), a real feed server, and the fake Slack at the wire."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from adapters.slack_bot import SlackAdapter
from bot.app import App, build_app
from bot.channels.commands import Commands
from bot.channels.scheduler import Scheduler
from bot.config import DatabaseSettings, DigestSettings, FetchSettings, Settings
from bot.models import DigestItem, Story
from bot.store.schema import OutboxRow
from bot.summarise.extractive import ExtractiveSummariser
from tests.adapters.slack.conftest import (
    event_callback,
    eventually,
    send_command,
    send_event,
    slack_settings,
    slash_command,
)
from tests.channels.helpers import Clock
from tests.fakes.fake_slack import FakeSlack
from tests.fakes.feed_server import FeedServer

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
DIGEST_AT = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
# Tags are stripped by the core's text cleaning; double-escaped ones survive it as text and
# can reach the adapter as `<!channel>`, `<!here>` and a masked link, which it must escape.
HOSTILE_TITLE = (
    "Lighthouse &amp;lt;!channel&amp;gt; &amp;lt;!here&amp;gt; reopens "
    "&amp;lt;https://evil.example|bank.com&amp;gt; & more"
)


def rss(items: Sequence[tuple[str, str, str, datetime]]) -> bytes:
    """An RSS 2.0 feed of (guid, title, text, published) items."""
    entries = "".join(
        f"<item><title>{_x(title)}</title><link>https://harbour.example/{guid}</link>"
        f"<guid>https://harbour.example/{guid}</guid><description>{_x(text)}</description>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for guid, title, text, when in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        "<title>Harbour Gazette</title><link>https://harbour.example/</link>"
        f"<description>Local news</description>{entries}</channel></rss>"
    ).encode()


def _x(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


OLD_ITEMS = [
    (
        "old-1",
        "Ferry timetable changes for winter",
        "The ferry company published its winter timetable on Monday. Crossings run hourly.",
        datetime(2026, 11, 24, 9, 0, tzinfo=UTC),
    )
]
NEW_ITEMS = [
    (
        "pier-repair",
        "Council approves pier repair",
        "The town council approved the repair of the eastern pier on Wednesday evening. "
        "The repair will cost 2.4 million euros and work starts in March. "
        "The pier was closed last winter after storm damage.",
        datetime(2026, 11, 26, 6, 0, tzinfo=UTC),
    ),
    (
        "lighthouse",
        HOSTILE_TITLE,
        "The lighthouse keeper said the lamp was replaced with a brighter one on Tuesday. "
        "Visitors can tour the lighthouse again from next week. "
        f"Tickets are sold at {HOSTILE_TITLE} by the harbour office.",
        datetime(2026, 11, 26, 5, 0, tzinfo=UTC),
    ),
]


@dataclass
class Bot:
    """A running newsbot on the fake Slack."""

    app: App
    commands: Commands
    adapter: SlackAdapter
    scheduler: Scheduler
    clock: Clock
    feeds: FeedServer
    slack: FakeSlack

    @property
    def port(self) -> int:
        return self.adapter.http_port

    async def command(self, text: str, **fields: Any) -> tuple[int, str, float]:
        return await send_command(self.port, slash_command(text, fake=self.slack, **fields))

    async def outbox(self) -> list[OutboxRow]:
        async with self.app.db.session() as session:
            return list((await session.scalars(select(OutboxRow))).all())


@pytest.fixture
async def bot(slack: FakeSlack, tmp_path: Path) -> AsyncIterator[Bot]:
    clock = Clock(START)
    settings = Settings(
        database=DatabaseSettings(url=f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}"),
        fetch=FetchSettings(allow_private_addresses=True, timeout_s=5),
        digest=DigestSettings(summariser="extractive", max_items=25),
        slack=slack_settings(slack, admin_usergroup="S-EDITORS"),
    )
    slack.usergroups["S-EDITORS"] = ["U-EDITOR"]
    slack.add_user("T-ONE", "U-EDITOR")
    async with (
        FeedServer() as feeds,
        await build_app(settings, clock=clock, parse_in_process=True) as app,
    ):
        feeds.serve("/harbour.xml", rss(OLD_ITEMS))
        adapter = SlackAdapter(app, settings)  # as `newsbot run` builds it
        scheduler = app.scheduler({"slack": adapter.poster})
        await adapter.start()
        try:
            yield Bot(app, app.commands, adapter, scheduler, clock, feeds, slack)
        finally:
            await adapter.close()


def blocks_text(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", [])) + str(message.get("text", ""))


async def test_subscribe_digest_thread_question_cited_answer(bot: Bot) -> None:
    slack = bot.slack
    feed_url = bot.feeds.url("/harbour.xml")

    status, _, seconds = await bot.command(f"subscribe {feed_url}")
    assert status == 200 and seconds < 3
    await eventually(lambda: len(slack.responses) == 1)
    assert "Subscribed to" in slack.responses[0]["text"]
    assert slack.responses[0]["response_type"] == "in_channel"

    # New stories appear; the daily digest fires at 08:00 UTC, after one 429 from Slack.
    bot.feeds.serve("/harbour.xml", rss(OLD_ITEMS + NEW_ITEMS))
    bot.clock.now = DIGEST_AT
    slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    await bot.scheduler.tick()
    await eventually(lambda: len(slack.posts("C-NEWS")) == 1)
    await bot.scheduler.tick()  # nothing more is due: no second post

    (digest,) = slack.posts("C-NEWS")
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]
    shown = blocks_text(digest)
    assert "Council approves pier repair" in shown
    assert "Ferry timetable" not in shown  # the baseline is never posted
    assert "<https://harbour.example/pier-repair|" in shown  # source as a link
    # Whatever of the hostile story the core kept, nothing pings and the only links are
    # the articles' own URLs (the renderer tests check the escaping itself).
    assert "<!channel>" not in shown and "<!here>" not in shown
    links = re.findall(r"<([^|>]+)\|", shown)
    assert links and all(url.startswith("https://harbour.example/") for url in links)
    sections = [b["text"]["text"] for b in digest["blocks"] if b["type"] == "section"]
    assert all("<" not in text and ">" not in text for text in sections)
    if "evil.example" in shown:
        assert "&lt;https://evil.example" in shown
    assert digest["unfurl_links"] is False
    (row,) = await bot.outbox()
    assert row.state == "sent" and row.thread_id == digest["ts"]

    # A reply in the digest's thread is answered there, citing the article.
    question = {
        "type": "message",
        "channel": "C-NEWS",
        "user": "U-MEMBER",
        "text": "How much will the pier repair cost?",
        "ts": "1764150000.000200",
        "thread_ts": digest["ts"],
        "parent_user_id": "U-BOT1",
        "channel_type": "channel",
    }
    status, _, _ = await send_event(bot.port, event_callback(question))
    assert status == 200
    await eventually(lambda: len(slack.posts("C-NEWS")) == 2)
    answer = slack.posts("C-NEWS")[1]
    assert answer["thread_ts"] == digest["ts"]
    assert "2.4 million euros" in answer["text"] + blocks_text(answer)
    assert "<https://harbour.example/pier-repair|" in blocks_text(answer)

    # Mentioning the bot in the thread works too (answered once, not twice).
    mention = {
        **question,
        "type": "app_mention",
        "text": "<@U-BOT1> what will the pier repair cost?",
        "ts": "1764150000.000300",
    }
    as_message = {**mention, "type": "message"}
    await send_event(bot.port, event_callback(as_message))
    await send_event(bot.port, event_callback(mention))
    await eventually(lambda: len(slack.posts("C-NEWS")) == 3)
    await asyncio.sleep(0.2)
    assert len(slack.posts("C-NEWS")) == 3
    third = slack.posts("C-NEWS")[2]
    assert third["thread_ts"] == digest["ts"]
    assert "2.4 million euros" in blocks_text(third)


async def test_non_admin_is_refused_and_nothing_is_fetched_or_stored(bot: Bot) -> None:
    feed_url = bot.feeds.url("/harbour.xml")
    await bot.command(f"subscribe {feed_url}", user="U-MEMBER")
    await eventually(lambda: len(bot.slack.responses) == 1)
    refusal = bot.slack.responses[0]
    assert refusal["response_type"] == "ephemeral"
    assert "Only people who can manage this channel" in refusal["text"]
    assert bot.feeds.requests_for("/harbour.xml") == []
    assert bot.slack.calls_to("users.info")[0].args["user"] == "U-MEMBER"

    # A member of the configured user group may.
    await bot.command(f"subscribe {feed_url}", user="U-EDITOR")
    await eventually(lambda: len(bot.slack.responses) == 2)
    assert "Subscribed to" in bot.slack.responses[1]["text"]

    await bot.command("list", user="U-MEMBER")
    await eventually(lambda: len(bot.slack.responses) == 3)
    assert "harbour.xml" in blocks_text(bot.slack.responses[2])


class SlowSummariser:
    """The extractive summariser behind a slow model."""

    name = "extractive"

    def __init__(self, delay_s: float) -> None:
        self.delay_s = delay_s
        self.inner = ExtractiveSummariser()

    async def summarise_stories(
        self, stories: Sequence[Story], *, max_sentences: int = 3, scope: str = ""
    ) -> list[DigestItem]:
        await asyncio.sleep(self.delay_s)
        return await self.inner.summarise_stories(stories, max_sentences=max_sentences, scope=scope)


async def test_slash_command_is_acked_within_3s_while_a_slow_summary_runs(bot: Bot) -> None:
    await bot.command(f"subscribe {bot.feeds.url('/harbour.xml')}")
    await eventually(lambda: len(bot.slack.responses) == 1)
    slow = SlowSummariser(delay_s=3.2)
    commands = dataclasses.replace(bot.commands, summariser_for=lambda _mode: slow)
    async with _adapter(bot, commands) as port:
        started = time.monotonic()
        status, body, seconds = await send_command(
            port, slash_command("summary hours:48", fake=bot.slack)
        )
        assert status == 200 and seconds < 2.5  # Slack allows 3 s; the summary takes 3.2
        assert "Working on" in body
        await eventually(lambda: len(bot.slack.posts("C-NEWS")) == 1, timeout=15)
        assert time.monotonic() - started >= 3.2
    (summary,) = bot.slack.posts("C-NEWS")
    assert "Ferry timetable changes" in blocks_text(summary)


class _adapter:
    """A second adapter on the same app with other commands (here: a slow summariser)."""

    def __init__(self, bot: Bot, commands: Commands) -> None:
        self.adapter = SlackAdapter(bot.app, bot.app.settings, commands=commands)

    async def __aenter__(self) -> int:
        await self.adapter.start()
        return self.adapter.http_port

    async def __aexit__(self, *_: object) -> None:
        await self.adapter.close()


async def test_unknown_subcommand_gets_usage_privately(bot: Bot) -> None:
    await bot.command("frobnicate now")
    await eventually(lambda: len(bot.slack.responses) == 1)
    usage = bot.slack.responses[0]
    assert usage["response_type"] == "ephemeral"
    assert "subscribe URL" in usage["text"] + blocks_text(usage)


async def test_digest_accepted_by_slack_before_a_crash_is_posted_once(bot: Bot) -> None:
    await bot.command(f"subscribe {bot.feeds.url('/harbour.xml')}")
    await eventually(lambda: len(bot.slack.responses) == 1)
    bot.feeds.serve("/harbour.xml", rss(OLD_ITEMS + NEW_ITEMS))
    bot.clock.now = DIGEST_AT
    bot.slack.drop_after_accept("chat.postMessage")  # posted, but the answer is lost
    await bot.scheduler.tick()
    (row,) = await bot.outbox()
    assert row.state == "pending" and row.attempts == 1
    assert len(bot.slack.posts("C-NEWS")) == 1

    bot.clock.advance(minutes=10)  # past the retry backoff
    await bot.scheduler.tick()
    (row,) = await bot.outbox()
    (post,) = bot.slack.posts("C-NEWS")
    assert row.state == "sent" and row.thread_id == post["ts"]
    assert len(bot.slack.calls_to("chat.postMessage")) == 1  # found, never re-sent
    assert bot.slack.calls_to("conversations.history")


async def ask_in_thread(bot: Bot, thread_ts: str, question: str, ts: str) -> dict[str, Any]:
    """A member's plain reply under one of newsbot's messages; returns newsbot's answer."""
    before = len(bot.slack.posts("C-NEWS"))
    event = {
        "type": "message",
        "channel": "C-NEWS",
        "user": "U-MEMBER",
        "text": question,
        "ts": ts,
        "thread_ts": thread_ts,
        "parent_user_id": "U-BOT1",
        "channel_type": "channel",
    }
    status, _, _ = await send_event(bot.port, event_callback(event))
    assert status == 200
    await eventually(lambda: len(bot.slack.posts("C-NEWS")) == before + 1)
    answer = bot.slack.posts("C-NEWS")[-1]
    assert answer["thread_ts"] == thread_ts
    return answer


def linked_urls(message: dict[str, Any]) -> list[str]:
    return re.findall(r"<(https?://[^|>]+)\|", blocks_text(message))


PIER_CONTRACT = (
    "pier-contract",
    "Pier repair contract goes to Dunmore builders",
    "Dunmore builders won the contract for the pier repair on Thursday. "
    "The pier repair will cost 2.4 million euros, the harbour office confirmed. "
    "Dunmore builders repaired the old ferry slipway last year.",
    datetime(2026, 11, 26, 7, 0, tzinfo=UTC),
)


async def test_answer_shows_each_source_once_as_a_link(bot: Bot) -> None:
    await bot.command(f"subscribe {bot.feeds.url('/harbour.xml')}")
    await eventually(lambda: len(bot.slack.responses) == 1)
    bot.feeds.serve("/harbour.xml", rss([*OLD_ITEMS, *NEW_ITEMS, PIER_CONTRACT]))
    bot.clock.now = DIGEST_AT
    await bot.scheduler.tick()
    (digest,) = bot.slack.posts("C-NEWS")

    answer = await ask_in_thread(
        bot, digest["ts"], "How much will the pier repair cost?", "1764150000.000200"
    )
    shown = blocks_text(answer)
    assert "2.4 million euros" in shown
    cited = linked_urls(answer)
    assert set(cited) == {
        "https://harbour.example/pier-repair",
        "https://harbour.example/pier-contract",
    }
    for url in cited:  # one link each, and the URL nowhere else in the message
        assert shown.count(url) == 1, (url, shown)
    assert "Sources: " in shown and shown.count("Sources:") == 1


def town_story(n: int) -> tuple[str, str, str, datetime]:
    """Story `n` of a busy day: a different town and facility in every one."""
    town = ("Ash", "Bram", "Cor", "Dun", "Elm", "Fen", "Glen", "Holt", "Ivy", "Kil", "Lyn", "Mor")[
        n % 12
    ] + ("ford", "wick", "mere")[n // 12]
    place = (
        "library", "canteen", "depot", "pool", "market", "station",
        "observatory", "garden", "museum", "clinic", "theatre", "boathouse",
    )[(n * 5) % 12]  # fmt: skip
    return (
        f"town-{n}",
        f"{town} {place} reopens after {n + 3} months",
        f"The {town} {place} reopened on Monday after {n + 3} months of building work. "
        f"Residents of {town} queued outside from early morning to see the new rooms. "
        f"The {town} council said the work cost {n + 1}00 thousand euros and ended on time.",
        datetime(2026, 11, 26, 0, n, tzinfo=UTC),
    )


QUILLON_FIRST = (
    "quillon-cost",
    "Quillon bridge repainting to cost 3.1 million euros",
    "The repainting of the Quillon bridge will cost 3.1 million euros, the county said on "
    "Tuesday. Painters start work on the Quillon bridge in April. "
    "Traffic will use one lane during the repainting.",
    datetime(2026, 11, 26, 6, 30, tzinfo=UTC),
)
QUILLON_LATER = (
    "quillon-delay",
    "Quillon bridge repainting delayed by a year",
    "The county said on Thursday that the repainting of the Quillon bridge is delayed by a "
    "year. The repainting will now cost 4.8 million euros. The painters were needed elsewhere.",
    datetime(2026, 11, 27, 6, 0, tzinfo=UTC),
)


async def test_reply_under_a_later_part_of_a_long_digest_asks_about_that_digest(
    bot: Bot,
) -> None:
    await bot.command(f"subscribe {bot.feeds.url('/harbour.xml')}")
    await eventually(lambda: len(bot.slack.responses) == 1)
    busy_day = [*OLD_ITEMS, *(town_story(n) for n in range(36)), QUILLON_FIRST]
    bot.feeds.serve("/harbour.xml", rss(busy_day))
    bot.clock.now = DIGEST_AT
    await bot.scheduler.tick()
    parts = bot.slack.posts("C-NEWS")
    assert len(parts) >= 3  # one digest, split to stay within Slack's limits
    (row,) = await bot.outbox()
    assert row.state == "sent" and row.thread_id == parts[0]["ts"]

    # The next day's digest tells a newer, different figure for the same bridge.
    bot.feeds.serve("/harbour.xml", rss([*busy_day, QUILLON_LATER]))
    bot.clock.advance(days=1)
    await bot.scheduler.tick()
    assert len(await bot.outbox()) == 2
    next_day = bot.slack.posts("C-NEWS")[-1]
    assert "delayed by a year" in blocks_text(next_day)

    # Asked under the second and the last part of the first digest: that digest answers,
    # from our own records (conversations.history is rate-limited to 1 call a minute for
    # apps outside the Slack Marketplace, which a self-hosted bot is).
    history_calls = len(bot.slack.calls_to("conversations.history"))
    question = "How much will the Quillon bridge repainting cost?"
    for number, part in enumerate((parts[1], parts[-1])):
        answer = await ask_in_thread(bot, part["ts"], question, f"1764250000.00{number}100")
        shown = blocks_text(answer)
        assert "3.1 million euros" in shown and "4.8 million" not in shown
        assert linked_urls(answer) == ["https://harbour.example/quillon-cost"]

    # Under the next day's digest, the same question gets the next day's figure.
    answer = await ask_in_thread(bot, next_day["ts"], question, "1764250000.009100")
    assert "4.8 million euros" in blocks_text(answer)
    assert "https://harbour.example/quillon-cost" not in blocks_text(answer)
    assert len(bot.slack.calls_to("conversations.history")) == history_calls


@pytest.mark.parametrize(
    ("refusal", "said"),
    [
        ("not_in_channel", "invite newsbot"),
        ("is_archived", "archived"),
        ("restricted_action_read_only_channel", "only admins may post"),
    ],
)
async def test_channel_that_refuses_posts_costs_one_log_line_and_keeps_the_digest(
    bot: Bot, caplog: pytest.LogCaptureFixture, refusal: str, said: str
) -> None:
    await bot.command(f"subscribe {bot.feeds.url('/harbour.xml')}")
    await eventually(lambda: len(bot.slack.responses) == 1)
    bot.feeds.serve("/harbour.xml", rss(OLD_ITEMS + NEW_ITEMS))
    bot.clock.now = DIGEST_AT
    # The bot was removed, the channel archived, or made admins-only after subscribing.
    if refusal == "not_in_channel":
        bot.slack.not_in_channel.add("C-NEWS")
    else:
        bot.slack.refuse_posts["C-NEWS"] = refusal
    with caplog.at_level(logging.WARNING):
        await bot.scheduler.tick()
        bot.clock.advance(minutes=10)
        await bot.scheduler.tick()
    (line,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert "C-NEWS" in line and refusal in line and said in line
    assert len(bot.slack.calls_to("chat.postMessage")) == 1  # no retries, no futile notice
    (row,) = await bot.outbox()
    assert row.state == "pending"  # kept for when the channel takes posts again


@pytest.mark.parametrize("private", [False, True])
async def test_subscribing_a_channel_newsbot_is_not_in_says_how_to_invite_it(
    bot: Bot, private: bool
) -> None:
    feed_url = bot.feeds.url("/harbour.xml")
    bot.slack.not_in_channel.add("C-NEWS")
    if private:  # Slack shows a private channel newsbot is not in as `channel_not_found`
        bot.slack.private_channels.add("C-NEWS")
    await bot.command(f"subscribe {feed_url}")
    await eventually(lambda: len(bot.slack.responses) == 1)
    refusal = bot.slack.responses[0]
    assert refusal["response_type"] == "ephemeral"
    assert "/invite @newsbot" in refusal["text"]
    assert bot.feeds.requests_for("/harbour.xml") == []
    await bot.command("list")
    await eventually(lambda: len(bot.slack.responses) == 2)
    assert "follows nothing" in bot.slack.responses[1]["text"]

    # Once invited, the same command subscribes.
    bot.slack.not_in_channel.discard("C-NEWS")
    await bot.command(f"subscribe {feed_url}")
    await eventually(lambda: len(bot.slack.responses) == 3)
    assert "Subscribed to" in bot.slack.responses[2]["text"]


async def test_subscribe_goes_ahead_when_slack_cannot_say_whether_newsbot_is_in(
    bot: Bot,
) -> None:
    # An install from before newsbot asked for channels:read: the check is skipped.
    bot.slack.fail_once("conversations.info", "missing_scope")
    await bot.command(f"subscribe {bot.feeds.url('/harbour.xml')}")
    await eventually(lambda: len(bot.slack.responses) == 1)
    assert "Subscribed to" in bot.slack.responses[0]["text"]
    assert len(bot.slack.calls_to("conversations.info")) == 1


async def direct_message(
    bot: Bot, text: str, ts: str, *, user: str = "U-MEMBER", thread_ts: str | None = None
) -> list[dict[str, Any]]:
    """`text` written to newsbot in its DM with `user`; returns what newsbot posted there."""
    channel = f"D-{user}"
    before = len(bot.slack.posts(channel))
    event = {
        "type": "message",
        "channel": channel,
        "channel_type": "im",
        "user": user,
        "text": text,
        "ts": ts,
        **({"thread_ts": thread_ts} if thread_ts else {}),
    }
    status, _, _ = await send_event(bot.port, event_callback(event))
    assert status == 200
    await eventually(lambda: len(bot.slack.posts(channel)) > before)
    await asyncio.sleep(0.1)  # a digest takes more than one message
    return bot.slack.posts(channel)[before:]


async def test_direct_messages_are_answered_as_questions_or_commands(bot: Bot) -> None:
    feed_url = bot.feeds.url("/harbour.xml")
    await bot.command(f"subscribe {feed_url}")
    await eventually(lambda: len(bot.slack.responses) == 1)
    bot.feeds.serve("/harbour.xml", rss(OLD_ITEMS + NEW_ITEMS))
    bot.clock.now = DIGEST_AT
    await bot.scheduler.tick()

    # A question, answered in the DM itself (not in a new thread), with its source.
    (answer,) = await direct_message(bot, "How much will the pier repair cost?", "1764160000.1")
    assert "2.4 million euros" in blocks_text(answer)
    assert "<https://harbour.example/pier-repair|" in blocks_text(answer)
    assert "thread_ts" not in answer

    # Words that look like a command run as one; its reply is simply posted in the DM.
    (listing,) = await direct_message(bot, "list", "1764160000.2")
    assert "follows nothing" in blocks_text(listing)
    (refusal,) = await direct_message(bot, f"subscribe {feed_url}", "1764160000.3")
    assert "Only people who can manage" in blocks_text(refusal)
    (done,) = await direct_message(
        bot, f"/news subscribe {feed_url}", "1764160000.4", user="U-ADMIN"
    )
    assert "Subscribed to" in blocks_text(done)
    assert bot.slack.ephemerals == []

    # A question that starts like a command is still a question.
    (status_answer,) = await direct_message(bot, "status of the pier repair?", "1764160000.5")
    assert "2.4 million euros" in blocks_text(status_answer)


async def test_direct_messages_from_bots_and_edits_are_not_answered(bot: Bot) -> None:
    for number, extra in enumerate(({"bot_id": "B-OTHER"}, {"subtype": "message_changed"})):
        event = {
            "type": "message",
            "channel": "D-U-MEMBER",
            "channel_type": "im",
            "user": "U-MEMBER",
            "text": "list",
            "ts": f"1764170000.{number}",
            **extra,
        }
        status, _, _ = await send_event(bot.port, event_callback(event))
        assert status == 200
    await asyncio.sleep(0.3)
    assert bot.slack.posts("D-U-MEMBER") == []


QUILLON_REVISED = (
    "quillon-revised",
    "Quillon bridge repainting to cost 4.8 million euros after all",
    "The county said on Thursday morning that the repainting of the Quillon bridge will "
    "cost 4.8 million euros. The painters were needed elsewhere first.",
    datetime(2026, 11, 26, 7, 10, tzinfo=UTC),
)


async def test_reply_under_a_digest_asked_for_with_news_digest_asks_about_that_digest(
    bot: Bot,
) -> None:
    feed_url = bot.feeds.url("/harbour.xml")
    await bot.command(f"subscribe {feed_url}")
    await eventually(lambda: len(bot.slack.responses) == 1)
    bot.feeds.serve("/harbour.xml", rss([*OLD_ITEMS, QUILLON_FIRST]))
    bot.clock.now = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # before the daily digest
    await bot.scheduler.tick()
    await bot.command("digest")
    await eventually(lambda: len(bot.slack.posts("C-NEWS")) == 1)
    (asked_for,) = bot.slack.posts("C-NEWS")
    assert "Quillon" in blocks_text(asked_for)

    # A later article with another figure is stored, but it was not in that digest.
    bot.feeds.serve("/harbour.xml", rss([*OLD_ITEMS, QUILLON_FIRST, QUILLON_REVISED]))
    bot.clock.advance(minutes=30)
    await bot.scheduler.tick()
    assert len(bot.slack.posts("C-NEWS")) == 1

    question = "How much will the Quillon bridge repainting cost?"
    answer = await ask_in_thread(bot, asked_for["ts"], question, "1764180000.000100")
    assert "3.1 million euros" in blocks_text(answer)
    assert "4.8 million" not in blocks_text(answer)
    assert linked_urls(answer) == ["https://harbour.example/quillon-cost"]

    # The daily digest still brings the channel everything new since the last one.
    bot.clock.now = DIGEST_AT
    await bot.scheduler.tick()
    daily = bot.slack.posts("C-NEWS")[-1]
    assert set(linked_urls(daily)) == {
        "https://harbour.example/quillon-cost",
        "https://harbour.example/quillon-revised",
    }
