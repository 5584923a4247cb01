"""compose_digest: clustering, ordering by coverage then recency, item limit, shared work."""

from __future__ import annotations

from bot.digest.compose import BuildCache, compose_digest
from bot.summarise.extractive import ExtractiveSummariser
from tests.summarise.fixtures import (
    BASE,
    BRIDGE_LOADED,
    BRIDGE_LOCAL,
    BRIDGE_WIRE,
    FIRE_A,
    FIRE_B,
    FOOTBALL,
    LIBRARY,
)

ARTICLES = [LIBRARY, FIRE_B, BRIDGE_WIRE, FOOTBALL, BRIDGE_LOCAL, FIRE_A, BRIDGE_LOADED]


async def test_items_are_ordered_by_how_widely_then_how_recently_covered() -> None:
    digest, shown = await compose_digest(
        ARTICLES,
        title="Daily",
        start=BASE,
        end=BASE,
        max_items=10,
        summariser=ExtractiveSummariser(),
    )
    outlets = [len({s.name for s in item.sources}) for item in digest.items]
    assert outlets == [3, 2, 1, 1]
    # Football (4 h after BASE) is newer than the library story (1 h): it comes first.
    assert "Harwick" in digest.items[2].headline
    assert "library" in digest.items[3].headline.lower()
    assert digest.title == "Daily"
    assert [story.id for story in shown] == [item.story_id for item in digest.items]


async def test_each_story_appears_once_and_the_limit_holds() -> None:
    digest, _ = await compose_digest(
        [*ARTICLES, BRIDGE_WIRE],
        title="D",
        start=BASE,
        end=BASE,
        max_items=2,
        summariser=ExtractiveSummariser(),
    )
    assert len(digest.items) == 2
    ids = [item.story_id for item in digest.items]
    assert len(set(ids)) == 2


async def test_no_articles_gives_an_empty_digest() -> None:
    digest, shown = await compose_digest(
        [], title="D", start=BASE, end=BASE, max_items=5, summariser=ExtractiveSummariser()
    )
    assert digest.items == () and shown == ()


async def test_two_digests_of_the_same_stories_share_one_clustering_and_summary() -> None:
    cache, summariser = BuildCache(), ExtractiveSummariser()
    first, second = [
        (
            await compose_digest(
                ARTICLES,
                title="D",
                start=BASE,
                end=BASE,
                max_items=size,
                summariser=summariser,
                cache=cache,
            )
        )[0]
        for size in (3, 2)
    ]
    assert second.items == first.items[:2]
    assert cache.clusterings == 1
    assert (cache.summarised_stories, cache.reused_items) == (3, 2)
