"""Summaries made once for every worker: a `Summariser` that asks the database first.

Wrapped around each mode's summariser in a worker process (composition root), it looks up the
stories it is given in the shared table, summarises only the ones no worker has done recently
and stores those; the in-process `BuildCache` still saves the lookups within one job. A story
id is a hash of its articles' ids, so a story that gained an article is a new story.

The summaries this process made are also remembered in memory (the newest `REMEMBERED`), so
the next channel of the same stories in another job of this process needs no lookup; and
their stores go through one group-committing writer, one transaction for the jobs' stores
that finish together. In a digest wave these two save most of the database round trips.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.clock import Clock
from bot.digest.render import digest_from_dict, digest_to_dict
from bot.models import Digest, DigestItem, Story
from bot.store.db import Database, WriteBatcher
from bot.store.shared_items import shared_items, store_shared_items
from bot.summarise.base import Summariser

# How long a stored summary is reused: a fallback summary (the LLM was down) is not kept
# for a story's whole life.
REUSE_FOR = timedelta(hours=12)
REMEMBERED = 20_000  # summaries kept in memory (a few MB)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass
class SharedSummaries:
    """`inner`, with its summaries shared through the database."""

    inner: Summariser
    db: Database
    clock: Clock
    # The process's group-committing writer, shared with its jobs' other writes (None: one of
    # its own).
    writer: WriteBatcher | None = None

    name: str = field(init=False)  # the inner one's: the same stories keep the same keys
    # (story id, max sentences) -> (when made, the item): this process's own summaries.
    _made: OrderedDict[tuple[str, int], tuple[datetime, DigestItem]] = field(
        init=False, default_factory=OrderedDict
    )
    _writer: WriteBatcher = field(init=False)

    def __post_init__(self) -> None:
        self.name = self.inner.name
        self._writer = self.writer or WriteBatcher(self.db)

    async def summarise_stories(
        self, stories: Sequence[Story], *, max_sentences: int = 3, scope: str = ""
    ) -> list[DigestItem]:
        now = self.clock()
        found = self._remembered(stories, max_sentences, now)
        unknown = [s.id for s in stories if s.id not in found]
        if unknown:
            async with self.db.session() as session:
                stored = await shared_items(
                    session,
                    unknown,
                    summariser=self.name,
                    max_sentences=max_sentences,
                    since=now - REUSE_FOR,
                )
            found.update((story_id, _item_of(data)) for story_id, data in stored.items())
        missing = [s for s in stories if s.id not in found]
        if missing:
            made = await self.inner.summarise_stories(
                missing, max_sentences=max_sentences, scope=scope
            )
            items = {s.id: _data_of(item) for s, item in zip(missing, made, strict=True)}
            await self._writer.run(
                lambda session: store_shared_items(
                    session,
                    items,
                    summariser=self.name,
                    max_sentences=max_sentences,
                    now=now,
                    stale_before=now - REUSE_FOR,
                )
            )
            for story, item in zip(missing, made, strict=True):
                found[story.id] = item
                self._remember((story.id, max_sentences), now, item)
        return [found[s.id] for s in stories]

    def _remembered(
        self, stories: Sequence[Story], max_sentences: int, now: datetime
    ) -> dict[str, DigestItem]:
        found = {}
        for story in stories:
            known = self._made.get((story.id, max_sentences))
            if known is not None and known[0] >= now - REUSE_FOR:
                found[story.id] = known[1]
        return found

    def _remember(self, key: tuple[str, int], made_at: datetime, item: DigestItem) -> None:
        self._made[key] = (made_at, item)
        self._made.move_to_end(key)
        while len(self._made) > REMEMBERED:
            self._made.popitem(last=False)


def _data_of(item: DigestItem) -> dict[str, object]:
    # Stored as a one-item digest: the digest's JSON form is the one kept stable on disk.
    return digest_to_dict(Digest(title="", period_start=_EPOCH, period_end=_EPOCH, items=(item,)))


def _item_of(data: dict[str, object]) -> DigestItem:
    return digest_from_dict(data).items[0]
