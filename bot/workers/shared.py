"""Summaries made once for every worker: a `Summariser` that asks the database first.

Wrapped around each mode's summariser in a worker process (composition root), it looks up the
stories it is given in the shared table, summarises only the ones no worker has done recently
and stores those; the in-process `BuildCache` still saves the lookups within one job. A story
id is a hash of its articles' ids, so a story that gained an article is a new story.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.clock import Clock
from bot.digest.render import digest_from_dict, digest_to_dict
from bot.models import Digest, DigestItem, Story
from bot.store.db import Database
from bot.store.shared_items import shared_items, store_shared_items
from bot.summarise.base import Summariser

# How long a stored summary is reused: a fallback summary (the LLM was down) is not kept
# for a story's whole life.
REUSE_FOR = timedelta(hours=12)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class SharedSummaries:
    """`inner`, with its summaries shared through the database."""

    inner: Summariser
    db: Database
    clock: Clock

    name: str = field(init=False)  # the inner one's: the same stories keep the same keys

    def __post_init__(self) -> None:
        self.name = self.inner.name

    async def summarise_stories(
        self, stories: Sequence[Story], *, max_sentences: int = 3, scope: str = ""
    ) -> list[DigestItem]:
        now = self.clock()
        async with self.db.session() as session:
            stored = await shared_items(
                session,
                [s.id for s in stories],
                summariser=self.name,
                max_sentences=max_sentences,
                since=now - REUSE_FOR,
            )
        found = {story_id: _item_of(data) for story_id, data in stored.items()}
        missing = [s for s in stories if s.id not in found]
        if missing:
            made = await self.inner.summarise_stories(
                missing, max_sentences=max_sentences, scope=scope
            )
            async with self.db.session() as session:
                await store_shared_items(
                    session,
                    {s.id: _data_of(item) for s, item in zip(missing, made, strict=True)},
                    summariser=self.name,
                    max_sentences=max_sentences,
                    now=now,
                    stale_before=now - REUSE_FOR,
                )
            found.update((s.id, item) for s, item in zip(missing, made, strict=True))
        return [found[s.id] for s in stories]


def _data_of(item: DigestItem) -> dict[str, object]:
    # Stored as a one-item digest: the digest's JSON form is the one kept stable on disk.
    return digest_to_dict(Digest(title="", period_start=_EPOCH, period_end=_EPOCH, items=(item,)))


def _item_of(data: dict[str, object]) -> DigestItem:
    return digest_from_dict(data).items[0]
