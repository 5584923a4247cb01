"""build_digest: clustering, ordering by coverage then recency, item limit."""

from __future__ import annotations

from bot.digest.build import build_digest
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
    digest = await build_digest(
        ARTICLES,
        ExtractiveSummariser(),
        title="Daily",
        period_start=BASE,
        period_end=BASE,
        max_items=10,
    )
    outlets = [len({s.name for s in item.sources}) for item in digest.items]
    assert outlets == [3, 2, 1, 1]
    # Football (4 h after BASE) is newer than the library story (1 h): it comes first.
    assert "Harwick" in digest.items[2].headline
    assert "library" in digest.items[3].headline.lower()
    assert digest.title == "Daily"


async def test_each_story_appears_once_and_the_limit_holds() -> None:
    digest = await build_digest(
        [*ARTICLES, BRIDGE_WIRE],
        ExtractiveSummariser(),
        title="D",
        period_start=BASE,
        period_end=BASE,
        max_items=2,
    )
    assert len(digest.items) == 2
    ids = [item.story_id for item in digest.items]
    assert len(set(ids)) == 2


async def test_no_articles_gives_an_empty_digest() -> None:
    digest = await build_digest(
        [], ExtractiveSummariser(), title="D", period_start=BASE, period_end=BASE, max_items=5
    )
    assert digest.items == ()
