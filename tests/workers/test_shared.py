"""Summaries made once for every worker: a second process given the same stories reuses the
first one's summaries from the database instead of summarising again."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from bot.models import DigestItem, Story
from bot.store.db import Database
from bot.summarise.cluster import story_id
from bot.summarise.extractive import ExtractiveSummariser
from bot.workers.shared import REUSE_FOR, SharedSummaries
from bot.workers.tick import forget_old_summaries
from tests.channels.helpers import Clock, article, utc


@dataclass
class Counting:
    """The extractive summariser, counting the stories it is asked to summarise."""

    name: str = "extractive"
    asked: list[str] = field(default_factory=list)
    inner: ExtractiveSummariser = field(default_factory=ExtractiveSummariser)

    async def summarise_stories(
        self, stories: Sequence[Story], *, max_sentences: int = 3, scope: str = ""
    ) -> list[DigestItem]:
        self.asked.extend(s.id for s in stories)
        return await self.inner.summarise_stories(stories, max_sentences=max_sentences)


def stories(*numbers: int) -> list[Story]:
    """One single-article story per number (ids derived from the articles, as clustering does)."""
    made = [(article(n, utc(2026, 4, 1, 9)),) for n in numbers]
    return [Story(id=story_id(articles), articles=articles) for articles in made]


async def test_a_second_worker_reuses_the_first_ones_summaries(db: Database) -> None:
    clock = Clock(utc(2026, 4, 1, 10))
    first, second = Counting(), Counting()
    made = await SharedSummaries(first, db, clock).summarise_stories(stories(1, 2))
    assert len(first.asked) == 2

    # Another process: the same two stories plus a new one. Only the new one is summarised.
    again = await SharedSummaries(second, db, clock).summarise_stories(stories(1, 2, 3))
    assert second.asked == [s.id for s in stories(3)]
    by_story = {s.id: item for s, item in zip(stories(1, 2, 3), again, strict=True)}
    assert [by_story[s.id] for s in stories(1, 2)] == made  # exactly what the first made


async def test_old_shared_summaries_are_made_again_and_then_forgotten(db: Database) -> None:
    clock = Clock(utc(2026, 4, 1, 10))
    await SharedSummaries(Counting(), db, clock).summarise_stories(stories(1))
    clock.now = clock.now + REUSE_FOR + timedelta(minutes=1)
    later = Counting()
    await SharedSummaries(later, db, clock).summarise_stories(stories(1))
    assert len(later.asked) == 1  # too old to reuse: made afresh, and stored in its place
    fresh = Counting()
    await SharedSummaries(fresh, db, clock).summarise_stories(stories(1))
    assert fresh.asked == []

    await forget_old_summaries(db, clock.now + REUSE_FOR + timedelta(minutes=1))
    last = Counting()
    await SharedSummaries(last, db, clock).summarise_stories(stories(1))
    assert len(last.asked) == 1
