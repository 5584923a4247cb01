"""Shared set-up for the worker tests: webhook channels with a digest waiting in the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from adapters.webhook import PLATFORM
from bot.digest.render import digest_to_dict
from bot.models import Digest, DigestItem
from bot.store import digests as digest_store
from bot.store.db import Database
from tests.channels.helpers import add_channel


async def stored_webhook_digests(db: Database, count: int, now: datetime) -> list[int]:
    """`count` webhook channels, each with one digest stored at `now` and due in the outbox;
    returns the outbox ids in channel order."""
    ids = []
    for n in range(count):
        channel_id, where = await add_channel(db, now, platform=PLATFORM, channel=f"desk-{n}")
        item = DigestItem(f"s{n}", f"Ferry timetable changes, part {n}", (), (), "extractive")
        digest = Digest("News digest", now - timedelta(days=1), now, (item,))
        async with db.session() as session:
            stored = await digest_store.store_digest_with_outbox(
                session,
                channel_id=channel_id,
                channel_key=where.key,
                period_key=f"day:{now.date().isoformat()}",
                period_start=now - timedelta(days=1),
                period_end=now,
                payload=digest_to_dict(digest),
                article_ids=[],
                now=now,
            )
        ids.append(stored.outbox_id)
    return ids
