"""The digest stage: articles -> stories -> an ordered, summarised `Digest`.

`compose_digest` is the one way a digest is made: a channel's daily digest, `summary` and
`digest` in chat, `newsbot digest` and the benchmarks all call it. `summarise_stories` is
its summarising step on its own, for the batch contract (`newsbot summarise`), which is
given stories rather than articles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.digest.order import order_stories
from bot.models import Article, Digest, DigestItem, Story
from bot.summarise.base import Summariser
from bot.summarise.cluster import DEFAULT_WINDOW_DAYS, cluster_articles


@dataclass
class BuildCache:
    """Work shared by every digest built in one tick: articles, clusters and summaries.

    Ten thousand channels over a few hundred feeds see the same few stories; clustering and
    summarising them once per tick instead of once per channel is what makes fan-out cheap.
    A digest made on its own gets a fresh, empty cache.
    """

    feed_articles: dict[tuple[int, datetime, datetime], tuple[Article, ...]] = field(
        default_factory=dict
    )
    topic_articles: dict[tuple[tuple[str, ...], datetime, datetime], tuple[Article, ...]] = field(
        default_factory=dict
    )
    stories: dict[tuple[tuple[str, ...], float], tuple[Story, ...]] = field(default_factory=dict)
    items: dict[tuple[str, str, int], DigestItem] = field(default_factory=dict)
    summarised_stories: int = 0
    reused_items: int = 0
    clusterings: int = 0


async def compose_digest(
    articles: Sequence[Article],
    *,
    title: str,
    start: datetime,
    end: datetime,
    max_items: int,
    summariser: Summariser,
    cache: BuildCache | None = None,
    scope: str = "",
    digest_id: str = "",
    max_sentences: int = 3,
    story_window_days: float = DEFAULT_WINDOW_DAYS,
) -> tuple[Digest, tuple[Story, ...]]:
    """Cluster, pick the `max_items` top stories and summarise them, reusing `cache`'s work.

    Stories are ordered by recency within the period and breadth of coverage, nothing from
    before the period leading (see `order.py`), and each appears once. Returns the digest
    and the stories it shows (their articles are the digest's articles). Articles further
    apart than `story_window_days` are never one story.
    """
    cache = cache if cache is not None else BuildCache()
    key = (tuple(sorted(a.id for a in articles)), story_window_days)
    stories = cache.stories.get(key)
    if stories is None:
        stories = _stories_of(articles, cache, story_window_days)
        cache.stories[key] = stories
    ordered = order_stories(stories, period_start=start, period_end=end)
    chosen = tuple(ordered[: max(0, max_items)])
    items = await summarise_stories(
        chosen, summariser, cache=cache, max_sentences=max_sentences, scope=scope
    )
    digest = Digest(title=title, period_start=start, period_end=end, items=items, id=digest_id)
    return digest, chosen


async def summarise_stories(
    stories: Sequence[Story],
    summariser: Summariser,
    *,
    cache: BuildCache | None = None,
    max_sentences: int = 3,
    scope: str = "",
) -> tuple[DigestItem, ...]:
    """One item per story, same order; a story `cache` already summarised is not sent again
    (stable story ids make the same story in two channels one summary)."""
    cache = cache if cache is not None else BuildCache()
    name = getattr(summariser, "name", type(summariser).__name__)
    missing = [s for s in stories if (s.id, name, max_sentences) not in cache.items]
    if missing:
        made = await summariser.summarise_stories(missing, max_sentences=max_sentences, scope=scope)
        for story, item in zip(missing, made, strict=True):
            cache.items[(story.id, name, max_sentences)] = item
        cache.summarised_stories += len(missing)
    cache.reused_items += len(stories) - len(missing)
    return tuple(cache.items[(s.id, name, max_sentences)] for s in stories)


def _stories_of(
    articles: Sequence[Article], cache: BuildCache, window_days: float
) -> tuple[Story, ...]:
    """The digest's stories. Channels with the same articles share one clustering (the
    cache key is the article set) and, through the stable story ids, one summary per story.

    Clustering everything of a period once and cutting it per channel was tried: its cost
    grows with the square of the period's articles (12 s for 2,000 here), a channel's pile
    stays small, so per-pile clustering scales better.
    """
    cache.clusterings += 1
    return tuple(cluster_articles(articles, window_days=window_days))
