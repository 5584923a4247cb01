"""The order of a digest's stories: recency within the digest's window, times breadth.

Each story's rank is

    recency * (1 + BREADTH_WEIGHT * log2(outlets))

where recency is 1 for a story whose newest article is at the end of the window and halves
every `HALF_LIFE_HOURS` before that. With a half-life of a day and a breadth weight of 0.6,
two outlets are worth about 16 hours of freshness and three about 23: on the same day the
widely covered story leads, while a single-outlet story from this morning outranks a
three-outlet one from two days ago. Breadth multiplies recency rather than adding to it, so
an old story stays old however many outlets carried it. Stories whose newest article is
before the window (old items that feeds keep carrying) come after every story inside it,
so nothing outside the window leads. Within each part, a story with nothing to summarise
(a headline alone, a list of links, an episode of sponsor reads) follows those with text:
a reader should not open the digest on "No summary".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from bot.models import Story
from bot.summarise import furniture

HALF_LIFE_HOURS = 24.0
BREADTH_WEIGHT = 0.6
# Enough of an article's text to find one sentence of content, if it has any.
_CONTENT_CHARS = 2000


def story_rank(story: Story, *, period_end: datetime) -> float:
    """Recency (1 at the window's end, halving each half-life) times breadth of coverage."""
    age_hours = max(0.0, (period_end - story.latest).total_seconds() / 3600)
    recency = math.pow(0.5, age_hours / HALF_LIFE_HOURS)
    return recency * (1 + BREADTH_WEIGHT * math.log2(max(1, len(story.outlets))))


def has_content(story: Story) -> bool:
    """True when some article of the story has a sentence that is not page furniture."""
    return any(
        furniture.content_sentences(a.title, a.text[:_CONTENT_CHARS]) for a in story.articles
    )


def order_stories(
    stories: Iterable[Story], *, period_start: datetime, period_end: datetime
) -> list[Story]:
    """Stories in digest order: inside the window first, each part by `story_rank`."""

    def key(story: Story) -> tuple[bool, bool, float, int, float, str]:
        outside = story.latest < period_start
        rank = story_rank(story, period_end=period_end)
        empty = not has_content(story)
        return (outside, empty, -rank, -len(story.outlets), -story.latest.timestamp(), story.id)

    return sorted(stories, key=key)
