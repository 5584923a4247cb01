"""Paused channels on SQLite and PostgreSQL: no digest is due, resume and remove work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.models import ChannelRef
from bot.store import channels as channel_store
from bot.store.channels import ChannelDefaults
from bot.store.db import Database

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def test_a_paused_channel_is_never_due_until_resumed(db: Database) -> None:
    async with db.session() as session:
        kept = await channel_store.ensure_channel(
            session, ChannelRef("slack", "T1", "C1"), ChannelDefaults(), NOW
        )
        gone = await channel_store.ensure_channel(
            session, ChannelRef("slack", "T1", "C2"), ChannelDefaults(), NOW
        )
        for channel in (kept, gone):
            await channel_store.set_next_digest(session, channel.id, NOW)
    async with db.session() as session:
        assert await channel_store.pause_channel(session, gone.id, "is_archived", NOW)
        assert not await channel_store.pause_channel(session, gone.id, "again", NOW)
    later = NOW + timedelta(days=3)
    async with db.session() as session:
        assert await channel_store.due_channel_ids(session, later, limit=10) == [kept.id]
        listed = {
            c.id: (c.paused_at, c.paused_reason, n)
            for c, n in await channel_store.all_channels(session)
        }
    assert listed == {kept.id: (None, "", 0), gone.id: (NOW, "is_archived", 0)}

    async with db.session() as session:
        await channel_store.resume_channel(session, gone.id, later)
    async with db.session() as session:
        assert await channel_store.due_channel_ids(session, later, limit=10) == [kept.id, gone.id]
        assert await channel_store.remove_channel(session, gone.id)
        assert not await channel_store.remove_channel(session, gone.id)
        assert await channel_store.channel_by_id(session, gone.id) is None
