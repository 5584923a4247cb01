"""Chat commands as a new user meets them: what subscribe, unsubscribe, status, digest and
settings say when the obvious thing is typed, through the real store and a loopback feed."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.digest.render import render_text
from bot.models import Article, Caller, ChannelRef
from tests.channels.conftest import rss
from tests.channels.helpers import (
    Clock,
    add_channel,
    add_feed_with_articles,
    news,
    tick_at,
    utc,
)
from tests.fakes.feed_server import FeedServer

HERE = ChannelRef("test", "w1", "news")
ADMIN = Caller("u1", can_manage=True)


async def test_a_bare_word_is_not_a_topic_and_other_schemes_are_refused(app: App) -> None:
    run = app.commands.execute
    word = await run(HERE, ADMIN, "/subscribe not-a-url")
    assert not word.ok and word.text.count(".") <= 2 and "\n" not in word.text
    assert "subscribe topic: WORDS" in word.text or "topic: not-a-url" in word.text
    script = await run(HERE, ADMIN, "/subscribe javascript:alert(1)")
    assert not script.ok and "http" in script.text and "topic" not in script.text
    mail = await run(HERE, ADMIN, "/subscribe mailto:desk@news.example")
    assert not mail.ok and "http" in mail.text
    assert (await run(HERE, ADMIN, "list")).lines == ()
    topic = await run(HERE, ADMIN, "/subscribe topic: harbour bridge")
    assert topic.ok and "'harbour bridge'" in topic.text


async def test_unsubscribe_by_number_twice_never_removes_another_feed(app: App) -> None:
    run = app.commands.execute
    for topic in ("harbour", "ferry", "market"):
        assert (await run(HERE, ADMIN, f"subscribe topic: {topic}")).ok
    before = (await run(HERE, ADMIN, "list")).lines
    number = before[1].split(".")[0]
    first = await run(HERE, ADMIN, f"unsubscribe {number}")
    assert first.ok and "'ferry'" in first.text
    again = await run(HERE, ADMIN, f"unsubscribe {number}")
    assert not again.ok and "ferry" not in again.text and number in again.text
    after = (await run(HERE, ADMIN, "list")).lines
    assert after == (before[0], before[2])  # the others keep their numbers
    by_name = await run(HERE, ADMIN, "unsubscribe market")
    assert by_name.ok and "'market'" in by_name.text


async def test_opml_counts_only_new_feeds_and_names_those_already_followed(
    app: App, feed_server: FeedServer
) -> None:
    items = [("a", "Ferry timetable", "The ferry runs every 20 minutes.")]
    feed_server.serve("/a.xml", rss("Harbour Gazette", items))
    feed_server.serve("/b.xml", rss("Valley Courier", items))
    opml = (
        '<?xml version="1.0"?><opml version="2.0"><body>'
        f'<outline text="A" xmlUrl="{feed_server.url("/a.xml")}"/>'
        f'<outline text="B" xmlUrl="{feed_server.url("/b.xml")}"/>'
        "</body></opml>"
    ).encode()
    feed_server.serve("/list.opml", opml, content_type="text/x-opml")
    assert (await app.commands.subscribe(HERE, ADMIN, feed_server.url("/a.xml"))).ok
    reply = await app.commands.subscribe(HERE, ADMIN, feed_server.url("/list.opml"))
    assert reply.ok and reply.text.startswith("Subscribed to 1 feed "), reply.text
    assert "already follows Harbour Gazette" in reply.text
    again = await app.commands.subscribe(HERE, ADMIN, feed_server.url("/list.opml"))
    assert again.text.startswith("This channel already follows all 2 feeds"), again.text


async def test_llm_summariser_without_an_llm_is_refused_with_the_reason(app: App) -> None:
    reply = await app.commands.execute(HERE, ADMIN, "settings summariser=llm")
    assert not reply.ok and "no LLM is configured" in reply.text
    assert "summariser=extractive" in (await app.commands.settings(HERE, ADMIN, {})).lines
    assert (await app.commands.execute(HERE, ADMIN, "settings summariser=extractive")).ok


async def test_summary_of_one_hour_says_last_hour(app: App) -> None:
    reply = await app.commands.execute(HERE, ADMIN, "summary hours:1 topic:harbour")
    assert reply.text == "Nothing was published about 'harbour' in the last hour."


def _story(n: int, subject: str, when_hour: int = 9) -> Article:
    title, text = SAID[n % len(SAID)]
    return news(
        n, f"{subject}: {title}", f"The {subject.lower()} {text}", "Harbour Gazette", when_hour
    )


SUBJECTS = ("Harbour bridge", "Fish market", "Town library", "Ferry pier")
SAID = (
    ("repairs approved", "gets 4 million euros of repairs, the council decided on Monday."),
    ("new opening hours", "will open on Sundays from June, traders announced."),
    ("author festival", "hosts twelve authors for a reading festival in autumn."),
    ("storm damage", "lost two mooring posts in Friday's storm, the harbour master said."),
)


async def test_status_says_an_article_was_cut_by_the_item_limit_with_its_rank(
    app: App, clock: Clock
) -> None:
    channel_id, where = await add_channel(app.db, clock(), channel="news")
    await app.commands.settings(where, ADMIN, {"max_items": "2"})
    stories = [_story(n, subject, 9 - n) for n, subject in enumerate(SUBJECTS)]
    await add_feed_with_articles(app.db, channel_id, stories, fetched_at=clock())
    poster = await tick_at(app, clock, channel_id, utc(2026, 4, 2, 8))
    (digest,) = [d for _, d, _ in poster.posts]
    shown = {s.url for item in digest.items for s in item.sources}
    assert len(shown) == 2
    reasons = [(await app.commands.status(where, s.url)).text for s in stories]
    for story, reason in zip(stories, reasons, strict=True):
        if story.url in shown:
            assert "posted in the digest" in reason
        else:
            assert "item limit" in reason and "of a 2-item digest" in reason, reason
            assert "before the window" not in reason
    cut = [r for s, r in zip(stories, reasons, strict=True) if s.url not in shown]
    assert {r.split("was #")[1][0] for r in cut} == {"3", "4"}


async def test_status_says_an_article_arrived_before_the_channel_followed_its_feed(
    app: App, clock: Clock
) -> None:
    channel_id, _where = await add_channel(app.db, clock(), channel="news")
    old = _story(1, "Town library")
    await add_feed_with_articles(app.db, channel_id, [old], fetched_at=clock())
    poster = await tick_at(app, clock, channel_id, utc(2026, 4, 2, 8))
    clock.now = utc(2026, 4, 3, 8, 30)
    await app.scheduler({"test": poster}).tick()  # nothing new: no second digest
    late = await add_channel(app.db, clock(), channel="late")
    await add_feed_with_articles(app.db, late[0], [], fetched_at=clock())
    reason = (await app.commands.status(late[1], old.url)).text
    assert "before this channel" in reason, reason


async def test_digest_now_before_any_digest_says_what_happened(
    app: App, feed_server: FeedServer, clock: Clock
) -> None:
    many = [(f"old-{n}", f"Ferry note {n}", f"Ferry crossing {n} changes.") for n in range(30)]
    feed_server.serve("/gazette.xml", rss("Harbour Gazette", many))
    assert (await app.commands.subscribe(HERE, ADMIN, feed_server.url("/gazette.xml"))).ok
    clock.advance(minutes=10)
    reply = await app.commands.digest_now(HERE, ADMIN)
    assert "since the last digest" not in reply.text
    assert "No digest yet" in reply.text and "30 articles" in reply.text, reply.text
    assert "first digest" in reply.text and reply.text.count("\n") == 0


async def test_digest_now_names_what_the_filters_left_out(app: App, clock: Clock) -> None:
    channel_id, where = await add_channel(app.db, clock(), channel="news")
    await add_feed_with_articles(
        app.db,
        channel_id,
        [_story(1, "Fish market"), _story(2, "Fish shop")],
        fetched_at=clock() + timedelta(minutes=5),
        exclude=("fish",),
    )
    clock.advance(hours=1)
    reply = await app.commands.digest_now(where, ADMIN)
    assert "2 new articles were left out by this channel's include/exclude words" in reply.text


async def test_a_daily_digest_shows_its_period_in_the_channels_time(app: App, clock: Clock) -> None:
    channel_id, _where = await add_channel(
        app.db, clock(), channel="news", timezone="Europe/Berlin", time="08:00"
    )
    await add_feed_with_articles(app.db, channel_id, [_story(1, "Fish market")], fetched_at=clock())
    poster = await tick_at(app, clock, channel_id, utc(2026, 4, 2, 6))
    (digest,) = [d for _, d, _ in poster.posts]
    assert "2026-04-01 08:00 – 2026-04-02 08:00 CEST" in render_text(digest)


async def test_counts_of_one_read_in_the_singular(app: App, clock: Clock) -> None:
    channel_id, where = await add_channel(app.db, clock(), channel="news")
    await add_feed_with_articles(
        app.db, channel_id, [_story(1, "Fish market")], fetched_at=clock() + timedelta(minutes=5)
    )
    clock.advance(hours=1)
    now = await app.commands.digest_now(where, ADMIN)
    assert now.text.endswith(": 1 story."), now.text
    summary = await app.commands.execute(where, ADMIN, "summary hours:2")
    assert summary.text.endswith(", the last 2 hours: 1 story."), summary.text
    status = await app.commands.status(where)
    assert status.text == "Status of this channel (1 subscription):"
    await tick_at(app, clock, channel_id, utc(2026, 4, 2, 8))
    status = await app.commands.status(where)
    assert any(", 1 story, sent" in line for line in status.lines), status.lines


async def test_status_of_a_waiting_article_gives_its_rank_so_far(app: App, clock: Clock) -> None:
    channel_id, where = await add_channel(app.db, clock(), channel="news")
    await app.commands.settings(where, ADMIN, {"max_items": "2"})
    stories = [_story(n, subject, 9 - n) for n, subject in enumerate(SUBJECTS)]
    await add_feed_with_articles(app.db, channel_id, stories, fetched_at=clock())
    clock.advance(hours=1)
    reasons = [(await app.commands.status(where, s.url)).text for s in stories]
    assert all("waiting" in reason for reason in reasons), reasons
    ranks = sorted(reason.split("#")[1][0] for reason in reasons)
    assert ranks == ["1", "2", "3", "4"], reasons
    assert sum("cut by the item limit of 2" in reason for reason in reasons) == 2
