"""`ask` cites the right articles and refuses to guess; `status` explains skipped articles."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.channels.ask import NOT_FOUND, ExtractiveAnswerer, rank_articles, reply_from_answer
from bot.models import Caller, ChannelRef
from tests.channels.helpers import (
    Clock,
    RecordingPoster,
    add_channel,
    add_feed_with_articles,
    news,
    utc,
)

ADMIN = Caller("u1", can_manage=True)


BRIDGE = news(
    1,
    "Council approves harbour bridge repair",
    "The council approved a 4.2 million euro repair of the harbour bridge on Tuesday. "
    "Work on the bridge starts in May and should take two years, the mayor said.",
    "Harbour Gazette",
)
BRIDGE_2 = news(
    2,
    "Harbour bridge to close for repairs",
    "The harbour bridge will close to cars from May while repairs take place. "
    "Cyclists can still cross the bridge on a temporary lane.",
    "Valley Courier",
)
ORCHARD = news(
    3,
    "Apple harvest breaks record",
    "Orchards in the valley picked a record 12,000 tonnes of apples this autumn. "
    "Growers credited a warm spring.",
    "Valley Courier",
)
ELSEWHERE = news(
    4,
    "Rail strike ends after talks",
    "Train drivers ended their strike on Friday after talks with the rail operator.",
    "Capital Times",
)


async def channel_with_digest(app: App, clock: Clock) -> tuple[ChannelRef, str]:
    """A channel whose 08:00 digest was posted with the bridge and orchard stories."""
    channel_id, where = await add_channel(app.db, clock(), channel="news")
    await add_feed_with_articles(
        app.db, channel_id, [BRIDGE, BRIDGE_2, ORCHARD], fetched_at=clock() + timedelta(hours=1)
    )
    # Elsewhere in the store, never in this channel's digests.
    other_id, _ = await add_channel(app.db, clock(), channel="other")
    await add_feed_with_articles(
        app.db,
        other_id,
        [ELSEWHERE],
        fetched_at=clock() + timedelta(hours=1),
        url="https://capital.example/rss",
    )
    from bot.store.channels import set_next_digest

    async with app.db.session() as session:
        await set_next_digest(session, channel_id, utc(2026, 4, 2, 8))
    poster = RecordingPoster(platform="test")
    clock.now = utc(2026, 4, 2, 8)
    await app.scheduler({"test": poster}).tick()
    assert len(poster.posts) == 1
    return where, f"t-{poster.keys()[0]}"


async def test_ask_cites_the_digest_articles(app: App, clock: Clock) -> None:
    where, thread = await channel_with_digest(app, clock)
    reply = await app.commands.ask(where, ADMIN, "How much will the bridge repair cost?")
    assert reply.ok and "4.2 million euro" in reply.text
    assert reply.citations[0].url == BRIDGE.url
    assert "Harbour Gazette" in reply.text
    in_thread = await app.commands.ask(
        where, ADMIN, "When does work on the bridge start?", thread_id=thread
    )
    assert "May" in in_thread.text
    assert {c.url for c in in_thread.citations} <= {BRIDGE.url, BRIDGE_2.url}


async def test_ask_falls_back_to_the_whole_store(app: App, clock: Clock) -> None:
    where, _ = await channel_with_digest(app, clock)
    reply = await app.commands.ask(where, ADMIN, "Why did the rail strike end?")
    assert [c.url for c in reply.citations] == [ELSEWHERE.url]
    assert "Capital Times" in reply.text


async def test_ask_refuses_to_guess(app: App, clock: Clock) -> None:
    where, _ = await channel_with_digest(app, clock)
    for question in (
        "What did the mayor say about the bridge toll for lorries?",
        "Who won the chess championship?",
        "?",
    ):
        reply = await app.commands.ask(where, ADMIN, question)
        assert reply.text == NOT_FOUND and reply.citations == (), question
    empty = await app.commands.ask(where, ADMIN, "   ")
    assert not empty.ok


async def test_rank_keeps_only_relevant_articles() -> None:
    ranked = rank_articles("apple harvest record", [BRIDGE, ORCHARD, ELSEWHERE])
    assert [r.article.id for r in ranked] == ["n3"]
    answer = await ExtractiveAnswerer().answer("apple harvest record", [ORCHARD])
    assert answer.found and answer.sentences[0].sources[0].name == "Valley Courier"


async def test_answers_drop_datelines_and_name_each_outlet_once_per_run() -> None:
    ferry = news(
        5,
        "Ferry strikes pier",
        "SALTMARSH, Nov 24 (Meridian) - A car ferry struck the pier at Saltmarsh on Tuesday. "
        "The ferry was carrying 84 passengers when it struck the pier.",
        "Meridian Wire",
    )
    ferry_2 = news(
        6,
        "Pier closed after ferry accident",
        "The pier will stay closed while divers inspect the damage the ferry caused.",
        "Harbour Gazette",
    )
    answer = await ExtractiveAnswerer().answer("ferry pier", [ferry, ferry_2])
    reply = reply_from_answer(answer)
    assert [s.text[:6] for s in answer.sentences] == ["A car ", "The fe", "The pi"]
    assert "SALTMARSH" not in reply.text
    # One tag after the run of Meridian sentences, one after the Gazette's.
    assert reply.text == (
        "A car ferry struck the pier at Saltmarsh on Tuesday. The ferry was carrying 84 "
        "passengers when it struck the pier. (Meridian Wire) The pier will stay closed while "
        "divers inspect the damage the ferry caused. (Harbour Gazette) [extractive]"
    )


async def test_status_explains_why_articles_were_skipped(app: App, clock: Clock) -> None:
    channel_id, where = await add_channel(app.db, clock(), channel="news")
    await add_feed_with_articles(app.db, channel_id, [BRIDGE], fetched_at=clock(), baseline=True)
    await add_feed_with_articles(
        app.db,
        channel_id,
        [ORCHARD, ELSEWHERE],
        fetched_at=clock() + timedelta(minutes=5),
        url="https://valley.example/rss",
        exclude=("apples",),
    )
    clock.advance(hours=1)
    status = await app.commands.status(where)
    text = "\n".join(status.lines)
    assert "excluded by the filter word 'apples'" in text
    assert "articles waiting for the next digest: 1" in text
    baseline = await app.commands.execute(where, ADMIN, f"status {BRIDGE.url}")
    assert "baseline" in baseline.text
    filtered = await app.commands.status(where, ORCHARD.url)
    assert "apples" in filtered.text
    unknown = await app.commands.status(where, "https://nowhere.example/x")
    assert "not in the store" in unknown.text


async def test_summary_on_a_topic_and_digest_now(app: App, clock: Clock) -> None:
    channel_id, where = await add_channel(app.db, clock(), channel="news")
    await add_feed_with_articles(
        app.db, channel_id, [BRIDGE, BRIDGE_2, ORCHARD], fetched_at=clock()
    )
    clock.advance(hours=2)
    reply = await app.commands.execute(where, ADMIN, "summary hours:6 topic:harbour bridge")
    assert reply.ok and reply.digest is not None
    assert len(reply.digest.items) == 1  # two outlets, one story
    assert {s.name for s in reply.digest.items[0].sources} == {"Harbour Gazette", "Valley Courier"}
    # A feed and a topic together: that feed's articles on that topic, not the whole feed.
    both = await app.commands.execute(where, ADMIN, "summary hours:6 feed:1 topic:apples")
    assert both.ok and both.digest is not None and "apples" in both.digest.title
    assert [s.url for i in both.digest.items for s in i.sources] == [ORCHARD.url]
    now = await app.commands.digest_now(where, ADMIN)
    assert now.ok and now.digest is not None and len(now.digest.items) == 2
    unknown = await app.commands.execute(
        where, ADMIN, "summary feed:https://reader:s3cret@nowhere.example/rss"
    )
    assert not unknown.ok and "nowhere.example/rss" in unknown.text
    assert "s3cret" not in unknown.text  # the reply may be seen by the whole channel
    bad = await app.commands.execute(where, ADMIN, "summary hours:9999")
    assert not bad.ok and "between 1 and 336" in bad.text
