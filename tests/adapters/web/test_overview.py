"""The dashboard's read-only views, on SQLite and PostgreSQL: each is limited to the viewer's
servers and workspaces, and shows what happened (posts, failures, fallbacks, tokens)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.channels.overview import Overview, Viewer
from bot.config import Settings
from bot.digest.render import digest_to_dict
from bot.errors import PermissionDenied
from bot.models import ChannelRef, Digest, DigestItem, Sentence, Source
from bot.store import channels as channel_store
from bot.store import digests as digest_store
from bot.store.channels import Channel, ChannelDefaults
from bot.store.db import Database, Session
from bot.store.feeds import FeedStore
from bot.store.outbox import record_failure
from bot.store.usage import UsageStore

NOW = datetime(2026, 4, 1, 10, tzinfo=UTC)
MINE = ChannelRef("discord", "G1", "C1")
OTHER = ChannelRef("discord", "G2", "C2")
ME = Viewer("u1", "me", frozenset({("discord", "G1")}))
OPERATOR = Viewer("operator", "operator", None)


def digest(headline: str, note: str) -> Digest:
    source = Source("Harbour Gazette", "https://harbour.example/a")
    item = DigestItem(
        story_id="s1",
        headline=headline,
        sentences=(Sentence("The ferry runs again.", (source,)),),
        sources=(source,),
        summariser="extractive",
        note=note,
    )
    return Digest("Daily news", NOW - timedelta(days=1), NOW, (item,))


async def store_digest(session: Session, channel: Channel, made: Digest, now: datetime) -> int:
    """Store `made` as the channel's digest of 2026-04-01 with its outbox row; the row's id."""
    stored = await digest_store.store_digest_with_outbox(
        session,
        channel_id=channel.id,
        channel_key=channel.where.key,
        period_key="daily:2026-04-01",
        period_start=now - timedelta(days=1),
        period_end=now,
        payload=digest_to_dict(made),
        article_ids=(),
        now=now,
    )
    return stored.outbox_id


async def seed(db: Database) -> dict[str, int]:
    """Both channels follow their own feed; each has a digest; MINE's post failed."""
    feeds = FeedStore(db)
    ids: dict[str, int] = {}
    for where, name in ((MINE, "mine"), (OTHER, "other")):
        feed = await feeds.add(f"https://{name}.example/feed.xml", now=NOW)
        async with db.write() as session:
            channel = await channel_store.ensure_channel(session, where, ChannelDefaults(), NOW)
            await channel_store.add_feed_subscription(
                session, channel.id, feed.id, include=(), exclude=(), now=NOW
            )
            outbox_id = await store_digest(
                session, channel, digest(f"{name} headline", f"{name}: LLM timed out"), NOW
            )
            if where == MINE:
                await record_failure(session, outbox_id, error="missing_access", retry_at=None)
        await UsageStore(db).add_tokens(where.key, NOW.date().isoformat(), 1234)
        ids[name] = feed.id
    await feeds.record_failure(ids["other"], now=NOW, error="HTTP 500 from other.example")
    return ids


@pytest.fixture
def overview(db: Database) -> Overview:
    return Overview(db, Settings(), lambda: NOW)


async def test_channels_and_feeds_are_limited_to_the_viewer(
    db: Database, overview: Overview
) -> None:
    ids = await seed(db)
    assert [c.where for c in await overview.channels(ME)] == [MINE]
    assert {c.where for c in await overview.channels(OPERATOR)} == {MINE, OTHER}
    mine = await overview.feeds(ME)
    assert [f.id for f in mine] == [ids["mine"]] and mine[0].followers == 1
    everything = await overview.feeds(OPERATOR)
    assert everything[0].id == ids["other"]  # failing first
    assert everything[0].last_error == "HTTP 500 from other.example"
    page = await overview.channel(ME, MINE)
    assert page.channel is not None and page.channel.subscriptions == 1
    with pytest.raises(PermissionDenied):
        await overview.channel(ME, OTHER)


async def test_the_delivery_log_says_what_became_of_each_post(
    db: Database, overview: Overview
) -> None:
    await seed(db)
    (delivery,) = await overview.deliveries(ME, MINE)
    assert delivery.entry.state == "failed" and delivery.entry.last_error == "missing_access"
    assert delivery.headlines == ("mine headline",)
    with pytest.raises(PermissionDenied):
        await overview.deliveries(ME, OTHER)


async def test_llm_use_counts_the_viewers_tokens_and_fallbacks(
    db: Database, overview: Overview
) -> None:
    await seed(db)
    use = await overview.llm_use(ME)
    assert use.tokens == ((MINE, 1234),)
    assert [(f.where, f.reason) for f in use.fallbacks] == [(MINE, "mine: LLM timed out")]
    assert use.budget == Settings().llm.daily_token_budget


async def test_a_disabled_feed_is_enabled_only_for_someone_whose_channel_follows_it(
    db: Database, overview: Overview
) -> None:
    ids = await seed(db)
    feeds = FeedStore(db)
    for name in ("mine", "other"):
        for _ in range(feeds.backoff.disable_after):
            await feeds.record_failure(ids[name], now=NOW, error="HTTP 410")
    with pytest.raises(PermissionDenied):
        await overview.enable_feed(ME, ids["other"])
    assert (await feeds.get(ids["other"])).disabled  # type: ignore[union-attr]
    reply = await overview.enable_feed(ME, ids["mine"])
    assert "is enabled" in reply.text
    enabled = await feeds.get(ids["mine"])
    assert enabled is not None and not enabled.disabled and enabled.next_poll_at == NOW
