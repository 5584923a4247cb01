"""Summaries shared between workers: read the stored ones, store new ones, forget old ones.

Channels with the same stories share one summary per story in one process (`BuildCache`);
with several workers this table carries the same reuse across processes. A row is written
once (ON CONFLICT DO NOTHING): when two workers race on a new story, the first stored
summary is the one every channel shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.db import insert_ignoring_conflict
from bot.store.schema import SharedItemRow


async def shared_items(
    session: AsyncSession,
    story_ids: Sequence[str],
    *,
    summariser: str,
    max_sentences: int,
    since: datetime,
) -> dict[str, dict[str, Any]]:
    """Stored summaries of these stories made since `since`: story id -> the item as JSON."""
    if not story_ids:
        return {}
    rows = await session.execute(
        select(SharedItemRow.story_id, SharedItemRow.item).where(
            SharedItemRow.story_id.in_(list(story_ids)),
            SharedItemRow.summariser == summariser,
            SharedItemRow.max_sentences == max_sentences,
            SharedItemRow.created_at >= since,
        )
    )
    return {story_id: item for story_id, item in rows.all()}


async def store_shared_items(
    session: AsyncSession,
    items: dict[str, dict[str, Any]],
    *,
    summariser: str,
    max_sentences: int,
    now: datetime,
    stale_before: datetime,
) -> None:
    """Store new summaries (story id -> item JSON), replacing ones made before `stale_before`;
    a story another worker stored meanwhile keeps that worker's summary."""
    if items:
        await session.execute(
            delete(SharedItemRow).where(
                SharedItemRow.story_id.in_(list(items)),
                SharedItemRow.summariser == summariser,
                SharedItemRow.max_sentences == max_sentences,
                SharedItemRow.created_at < stale_before,
            )
        )
        await insert_ignoring_conflict(
            session,
            SharedItemRow,
            [
                {
                    "story_id": story_id,
                    "summariser": summariser,
                    "max_sentences": max_sentences,
                    "item": item,
                    "created_at": now,
                }
                for story_id, item in items.items()
            ],
        )


async def forget_shared_items(session: AsyncSession, before: datetime) -> None:
    """Remove summaries made before `before` (no digest reuses them any more)."""
    await session.execute(delete(SharedItemRow).where(SharedItemRow.created_at < before))
