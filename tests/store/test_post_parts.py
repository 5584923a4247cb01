"""A digest posted as several messages: a reply under any of them finds the digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from bot.models import ChannelRef
from bot.store import channels as channel_store
from bot.store import digests as digest_store
from bot.store import outbox as outbox_store
from bot.store.channels import ChannelDefaults
from bot.store.db import Database
from bot.store.schema import OutboxRow

NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)


async def stored_digest(db: Database, channel: str, period: str) -> tuple[int, str, int]:
    """(channel id, digest id, outbox id) of a digest waiting to be posted."""
    where = ChannelRef("slack", "T1", channel)
    async with db.session() as session:
        row = await channel_store.ensure_channel(session, where, ChannelDefaults(), NOW)
        stored = await digest_store.store_digest_with_outbox(
            session,
            channel_id=row.id,
            channel_key=where.key,
            period_key=period,
            period_start=NOW - timedelta(days=1),
            period_end=NOW,
            payload={"items": []},
            article_ids=[],
            now=NOW,
        )
        return row.id, stored.digest_id, stored.outbox_id


async def test_every_part_of_a_sent_digest_leads_to_it(db: Database) -> None:
    channel_id, digest_id, outbox_id = await stored_digest(db, "C1", "2026-11-26")
    _, other_digest, other_outbox = await stored_digest(db, "C1", "2026-11-27")
    async with db.session() as session:
        await outbox_store.mark_sent(
            session,
            outbox_id,
            channel_id=channel_id,
            message_id="100.1",
            thread_id="100.1",
            part_ids=("100.2", "100.3", "100.2"),  # a repeat is stored once
            now=NOW,
        )
        await outbox_store.mark_sent(
            session,
            other_outbox,
            channel_id=channel_id,
            message_id="200.1",
            thread_id="200.1",
            now=NOW,
        )
    async with db.session() as session:
        for ts in ("100.1", "100.2", "100.3"):
            assert await digest_store.digest_for_thread(session, channel_id, ts) == digest_id
        assert await digest_store.digest_for_thread(session, channel_id, "200.1") == other_digest
        assert await digest_store.digest_for_thread(session, channel_id, "300.1") is None


async def test_parts_belong_to_their_channel_and_go_with_their_post(db: Database) -> None:
    channel_id, _, outbox_id = await stored_digest(db, "C1", "2026-11-26")
    other_channel, _, _ = await stored_digest(db, "C2", "2026-11-26")
    async with db.session() as session:
        await outbox_store.mark_sent(
            session,
            outbox_id,
            channel_id=channel_id,
            message_id="100.1",
            thread_id="100.1",
            part_ids=("100.2",),
            now=NOW,
        )
    async with db.session() as session:
        assert await digest_store.digest_for_thread(session, other_channel, "100.2") is None
        await session.execute(delete(OutboxRow).where(OutboxRow.id == outbox_id))
    async with db.session() as session:
        assert await digest_store.digest_for_thread(session, channel_id, "100.2") is None
