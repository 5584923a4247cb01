"""Chat commands through the real store, fetcher and parser against a loopback feed server."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.channels.ports import ChatCommands
from bot.config import Settings
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.models import Caller, ChannelRef
from bot.store.db import Database
from tests.channels.conftest import rss
from tests.channels.helpers import Clock, RecordingPoster
from tests.fakes.feed_server import FeedServer

HERE = ChannelRef("test", "w1", "news")
ADMIN = Caller("u1", can_manage=True)
MEMBER = Caller("u2", can_manage=False)

OLD_ITEMS = [
    ("ferry", "Ferry timetable changes", "The harbour ferry will run every 20 minutes."),
    ("market", "Fish market reopens", "The fish market reopened after repairs on Monday."),
]
NEW_ITEM = (
    "bridge",
    "Council approves bridge repair",
    "The council approved a 4.2 million euro repair of the harbour bridge on Tuesday. "
    "Work on the bridge starts in May, the mayor said.",
)


async def stored_feeds(app: App) -> int:
    return len(await app.feeds.list())


async def test_subscribe_sets_baseline_then_only_new_items_are_posted(
    app: App, feed_server: FeedServer, clock: Clock
) -> None:
    fifty_old = [
        (f"old-{n}", f"Ferry timetable note {n}", f"Ferry crossing {n} changes its times.")
        for n in range(50)
    ]
    feed_server.serve("/gazette.xml", rss("Harbour Gazette", fifty_old))
    reply = await app.commands.subscribe(HERE, ADMIN, feed_server.url("/gazette.xml"))
    assert reply.ok, reply.text
    assert "Harbour Gazette" in reply.text
    listed = await app.commands.list_subscriptions(HERE)
    assert len(listed.lines) == 1 and "ok" in listed.lines[0]

    feed_server.serve("/gazette.xml", rss("Harbour Gazette", [*fifty_old, NEW_ITEM]))
    poster = RecordingPoster()
    clock.advance(hours=1)  # the feed is due again (15-minute interval)
    await app.scheduler({"test": poster}).tick()
    clock.advance(days=1)  # past the 08:00 UTC digest; the bot restarted in between
    await app.scheduler({"test": poster}).tick()
    (digest,) = [d for _, d, _ in poster.posts]
    cited = {s.url for item in digest.items for s in item.sources}
    assert cited == {"https://harbourgazette.example/bridge"}
    assert "ferry" not in " ".join(item.summary for item in digest.items).lower()


async def test_member_without_permission_is_refused_and_nothing_changes(
    app: App, feed_server: FeedServer
) -> None:
    feed_server.serve("/gazette.xml", rss("Harbour Gazette", OLD_ITEMS))
    reply = await app.commands.subscribe(HERE, MEMBER, feed_server.url("/gazette.xml"))
    assert not reply.ok and reply.ephemeral
    assert reply.text.startswith("Only people who can manage this channel")
    assert feed_server.requests_for("/gazette.xml") == []
    assert await stored_feeds(app) == 0
    settings = await app.commands.settings(HERE, MEMBER, {"timezone": "Europe/Berlin"})
    assert not settings.ok
    await app.commands.subscribe(HERE, ADMIN, "topic: harbour")
    gone = await app.commands.unsubscribe(HERE, MEMBER, "1")
    assert not gone.ok and len((await app.commands.list_subscriptions(HERE)).lines) == 1


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("ftp://feeds.example/news.xml", "scheme"),
        ("file:///etc/passwd", "http"),
        ("/etc/passwd", "local file"),
        ("feed://feeds.example/rss", "scheme"),
        ("news.example/feed.xml", "no scheme"),
        ("http://", "host"),
    ],
)
async def test_bad_urls_get_one_sentence_and_store_nothing(
    app: App, target: str, expected: str
) -> None:
    reply = await app.commands.subscribe(HERE, ADMIN, target)
    assert not reply.ok and reply.ephemeral
    assert expected in reply.text and reply.text.count("\n") == 0
    assert await stored_feeds(app) == 0
    assert (await app.commands.list_subscriptions(HERE)).lines == ()


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "[::ffff:127.0.0.1]", "169.254.169.254", "[::1]", "100.64.0.1", "0x7f000001"],
)
async def test_ssrf_urls_are_refused_before_any_connection(
    guarded_app: App, feed_server: FeedServer, host: str
) -> None:
    feed_server.serve("/feed.xml", rss("Harbour Gazette", OLD_ITEMS))
    url = f"http://{host}:{feed_server.port}/feed.xml"
    reply = await guarded_app.commands.subscribe(HERE, ADMIN, url)
    assert not reply.ok
    assert "address" in reply.text or "machine" in reply.text
    assert feed_server.connections == 0
    assert await stored_feeds(guarded_app) == 0


async def test_unreachable_or_non_feed_urls_are_refused(app: App, feed_server: FeedServer) -> None:
    feed_server.serve("/missing.xml", b"gone", status=404)
    feed_server.serve(
        "/page.html", b"<html><body><p>Hello</p></body></html>", content_type="text/html"
    )
    cases = {
        feed_server.url("/missing.xml"): "404",
        feed_server.url("/page.html"): "not an RSS or Atom feed",
        "http://127.0.0.1:9/feed.xml": "could not be fetched",
    }
    for url, expected in cases.items():
        reply = await app.commands.subscribe(HERE, ADMIN, url)
        assert not reply.ok and expected in reply.text, reply.text
    assert await stored_feeds(app) == 0


async def test_opml_subscribes_each_usable_feed(app: App, feed_server: FeedServer) -> None:
    feed_server.serve("/a.xml", rss("Harbour Gazette", OLD_ITEMS))
    feed_server.serve("/b.xml", rss("Valley Courier", [NEW_ITEM]))
    opml = (
        '<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>'
        f'<outline text="A" xmlUrl="{feed_server.url("/a.xml")}"/>'
        f'<outline text="B" xmlUrl="{feed_server.url("/b.xml")}"/>'
        f'<outline text="C" xmlUrl="{feed_server.url("/nope.xml")}"/>'
        "</body></opml>"
    ).encode()
    feed_server.serve("/list.opml", opml, content_type="text/x-opml")
    reply = await app.commands.subscribe(HERE, ADMIN, feed_server.url("/list.opml"))
    assert reply.ok, reply.text
    assert reply.text.startswith("Subscribed to 2 feeds") and len(reply.lines) == 1
    assert len((await app.commands.list_subscriptions(HERE)).lines) == 2


async def test_opml_feed_links_relative_to_the_opml_url_are_followed(
    app: App, feed_server: FeedServer
) -> None:
    feed_server.serve("/lists/a.xml", rss("Harbour Gazette", OLD_ITEMS))
    feed_server.serve("/b.xml", rss("Valley Courier", [NEW_ITEM]))
    opml = (
        b'<opml version="2.0"><body><outline text="A" xmlUrl="a.xml"/>'
        b'<outline text="B" xmlUrl="../b.xml"/><outline text="C" xmlUrl="file:///etc/passwd"/>'
        b"</body></opml>"
    )
    feed_server.serve("/lists/news.opml", opml, content_type="text/x-opml")
    reply = await app.commands.subscribe(HERE, ADMIN, feed_server.url("/lists/news.opml"))
    assert reply.ok and reply.text.startswith("Subscribed to 2 feeds"), reply.text
    assert len(reply.lines) == 1 and "file:///etc/passwd" in reply.lines[0]
    listed = (await app.commands.list_subscriptions(HERE)).lines
    assert any(feed_server.url("/lists/a.xml") in line for line in listed)
    assert any(feed_server.url("/b.xml") in line for line in listed)


async def test_text_commands_topic_filters_unsubscribe_and_unknown(app: App) -> None:
    run = app.commands.execute
    reply = await run(HERE, ADMIN, "/subscribe topic: harbour bridge include:repair exclude:toll")
    assert reply.ok and "'harbour bridge'" in reply.text and "never with toll" in reply.text
    assert "only with repair" in (await run(HERE, ADMIN, "list")).lines[0]
    assert (await run(HERE, ADMIN, "unsubscribe 1")).ok
    assert (await run(HERE, ADMIN, "list")).lines == ()
    unknown = await run(HERE, ADMIN, "frobnicate now")
    assert not unknown.ok and "Unknown command 'frobnicate'" in unknown.text
    assert "subscribe URL" in unknown.text
    assert "subscribe URL" in (await run(HERE, ADMIN, "help")).text
    bad = await run(HERE, ADMIN, "unsubscribe 7")
    assert not bad.ok and "no subscription matching" in bad.text


async def test_quoted_filter_words_match_and_a_topic_of_common_words_is_refused(app: App) -> None:
    run = app.commands.execute
    reply = await run(
        HERE, ADMIN, '/subscribe topic: harbour include:"repair" exclude:\u201ctoll\u201d'
    )
    assert reply.ok and "only with repair" in reply.text and "never with toll" in reply.text
    for topic in ("the of and", "a"):
        refused = await run(HERE, ADMIN, f"/subscribe topic: {topic}")
        assert not refused.ok and "only common words" in refused.text, refused.text
        summary = await run(HERE, ADMIN, f"/summary topic:{topic}")
        assert not summary.ok and "only common words" in summary.text
    assert len((await run(HERE, ADMIN, "list")).lines) == 1


async def test_a_tab_or_no_break_space_separates_words_and_news_alone_is_help(app: App) -> None:
    run = app.commands.execute
    reply = await run(HERE, ADMIN, "subscribe\u00a0topic: harbour bridge")
    assert reply.ok and "'harbour bridge'" in reply.text, reply.text
    listed = await run(HERE, ADMIN, "/news\tlist")
    assert listed.ok and "topic 'harbour bridge'" in listed.lines[0]
    for bare in ("/news", "news  "):
        help_text = await run(HERE, ADMIN, bare)
        assert help_text.ok and help_text.text.startswith("newsbot commands:"), help_text.text


async def test_a_number_written_with_a_superscript_digit_is_one_sentence(app: App) -> None:
    await app.commands.execute(HERE, ADMIN, "subscribe topic: harbour")
    cases = {
        "unsubscribe ²": "no subscription matching '²'",
        "summary hours:²": "Hours must be a whole number, not '²'.",
        "summary feed:²": "No feed '²' is known",
        "settings max_items=²": "max_items setting must be a whole number from 1 to 25",
    }
    for command, expected in cases.items():
        reply = await app.commands.execute(HERE, ADMIN, command)
        assert not reply.ok and expected in reply.text, (command, reply.text)
        assert reply.text.count("\n") == 0
    assert len((await app.commands.list_subscriptions(HERE)).lines) == 1
    assert "max_items=8" in (await app.commands.settings(HERE, ADMIN, {})).lines
    arabic_three = await app.commands.execute(HERE, ADMIN, "summary hours:٣")
    assert "last 3 hours" in arabic_three.text


async def test_overlong_input_is_refused_without_echoing_it(app: App) -> None:
    await app.commands.execute(HERE, ADMIN, "settings time=07:30")
    before = await app.commands.settings(HERE, ADMIN, {})
    cases = {
        "subscribe https://news.example/" + "a" * 5000: "at most 2000 characters",
        "summary topic:" + "harbour " * 1000: "at most 8 words and 120 characters",
        "settings timezone=" + "A" * 5000: "value of 'timezone' is too long; `help` shows",
    }
    for command, expected in cases.items():
        reply = await app.commands.execute(HERE, ADMIN, command)
        assert not reply.ok and expected in reply.text, reply.text[:200]
        assert len(reply.text) < 200
    assert await stored_feeds(app) == 0
    assert (await app.commands.settings(HERE, ADMIN, {})).lines == before.lines


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("timezone=Mars/Olympus", "IANA"),
        ("time=25:00", "HH:MM"),
        ("time=7", "HH:MM"),
        ("max_items=0", "max_items"),
        ("summariser=gpt", "auto, llm or extractive"),
        ("digest=maybe", "on or off"),
        ("colour=blue", "Unknown setting"),
        ("timezone", "key=value"),
    ],
)
async def test_bad_settings_change_nothing(app: App, change: str, expected: str) -> None:
    await app.commands.execute(HERE, ADMIN, "settings time=07:30")
    before = await app.commands.settings(HERE, ADMIN, {})
    reply = await app.commands.execute(HERE, ADMIN, f"settings time=09:00 {change}")
    assert not reply.ok and expected in reply.text
    assert (await app.commands.settings(HERE, ADMIN, {})).lines == before.lines


async def test_settings_move_the_next_digest_to_local_time(app: App, clock: Clock) -> None:
    reply = await app.commands.execute(HERE, ADMIN, "settings timezone=Europe/Berlin time=07:30")
    assert reply.ok, reply.text
    assert "next digest: 2026-04-02 07:30 Europe/Berlin" in reply.lines
    off = await app.commands.settings(HERE, ADMIN, {"digest": "off"})
    assert "next digest: off" in off.lines


async def test_a_feed_disabled_after_failures_is_reported_to_its_channels(
    db: Database, clock: Clock, feed_server: FeedServer
) -> None:
    settings = Settings(
        fetch={"allow_private_addresses": True, "disable_after_failures": 1, "timeout_s": 2},  # type: ignore[arg-type]
        digest={"summariser": "extractive"},  # type: ignore[arg-type]
    )
    async with Fetcher(settings.fetch) as fetcher, ParserPool(in_process=True) as parser:
        app = App(settings=settings, db=db, fetcher=fetcher, parser=parser, clock=clock)
        feed_server.serve("/gazette.xml", rss("Harbour Gazette", OLD_ITEMS))
        assert (await app.commands.subscribe(HERE, ADMIN, feed_server.url("/gazette.xml"))).ok
        feed_server.serve("/gazette.xml", b"gone", status=410)
        clock.advance(hours=1)
        poster = RecordingPoster()
        await app.scheduler({"test": poster}).tick()
        ((where, text),) = poster.notices
        assert where == HERE and "Harbour Gazette was disabled" in text and "410" in text
        listed = await app.commands.list_subscriptions(HERE)
        assert "disabled" in listed.lines[0]


async def test_second_channel_reuses_the_known_feed(app: App, feed_server: FeedServer) -> None:
    feed_server.serve("/gazette.xml", rss("Harbour Gazette", OLD_ITEMS))
    url = feed_server.url("/gazette.xml")
    assert (await app.commands.subscribe(HERE, ADMIN, url)).ok
    other = ChannelRef("test", "w1", "sports")
    again = await app.commands.subscribe(other, ADMIN, url, include=["bridge"])
    assert again.ok and "only with bridge" in again.text
    assert len(feed_server.requests_for("/gazette.xml")) == 1  # baseline fetched once
    assert await stored_feeds(app) == 1
    assert await app.commands.feed_choices(other, "gazette") == [url]
    assert await app.commands.feed_choices(other, "nothing-like-it") == []


async def test_the_commands_are_the_port_every_adapter_calls(app: App) -> None:
    # Checked by mypy: Commands satisfies ChatCommands, so adapters need nothing else.
    port: ChatCommands = app.commands
    wanted = {
        name
        for name in vars(ChatCommands)
        if not name.startswith("_") and callable(getattr(ChatCommands, name))
    }
    assert wanted <= set(dir(port))
    reply = await port.execute(HERE, MEMBER, "settings time=07:00")
    assert not reply.ok and reply.ephemeral and "manage this channel" in reply.text
