"""Articles -> stories -> an ordered, summarised `Digest`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from bot.models import Article, Digest
from bot.summarise.base import Summariser
from bot.summarise.cluster import cluster_articles


async def build_digest(
    articles: Iterable[Article],
    summariser: Summariser,
    *,
    title: str,
    period_start: datetime,
    period_end: datetime,
    max_items: int,
    max_sentences: int = 3,
    scope: str = "",
) -> Digest:
    """Cluster the articles into stories and summarise the `max_items` most widely covered.

    Stories are ordered by how many outlets covered them, then by their newest article, so
    the digest leads with what most outlets reported and each story appears once.
    """
    stories = cluster_articles(articles)
    stories.sort(key=lambda s: (-len(s.outlets), -s.latest.timestamp(), s.id))
    chosen = stories[: max(0, max_items)]
    items = await summariser.summarise_stories(chosen, max_sentences=max_sentences, scope=scope)
    return Digest(
        title=title,
        period_start=period_start,
        period_end=period_end,
        items=tuple(items),
    )
