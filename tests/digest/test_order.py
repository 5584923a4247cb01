"""Digest order (issue 14.5): recency within the window, then breadth; old never leads."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.digest.order import order_stories, story_rank
from bot.models import Article, Story

END = datetime(2026, 12, 6, 18, 0, tzinfo=UTC)
START = END - timedelta(days=3)


def _story(name: str, outlets: int, hours_before_end: float) -> Story:
    when = END - timedelta(hours=hours_before_end)
    articles = tuple(
        Article(
            id=f"{name}-{n}",
            url=f"https://outlet{n}.example/{name}",
            title=f"{name} title",
            text="Text.",
            outlet=f"Outlet {n}",
            published=when,
        )
        for n in range(outlets)
    )
    return Story(id=name, articles=articles)


def _order(*stories: Story) -> list[str]:
    return [s.id for s in order_stories(stories, period_start=START, period_end=END)]


def test_a_new_single_outlet_story_outranks_an_old_three_outlet_one() -> None:
    fresh = _story("fresh", 1, hours_before_end=2)
    old_wide = _story("old-wide", 3, hours_before_end=50)
    assert _order(old_wide, fresh) == ["fresh", "old-wide"]


def test_on_the_same_day_the_widely_covered_story_leads() -> None:
    single = _story("single", 1, hours_before_end=3)
    wide = _story("wide", 3, hours_before_end=6)
    assert _order(single, wide) == ["wide", "single"]


def test_nothing_from_before_the_window_leads_however_widely_covered() -> None:
    archive = _story("archive", 5, hours_before_end=24 * 365 * 17)
    lone = _story("lone", 1, hours_before_end=70)
    assert _order(archive, lone) == ["lone", "archive"]


def test_rank_is_recency_times_breadth() -> None:
    assert story_rank(_story("a", 1, 0), period_end=END) == 1.0
    assert story_rank(_story("b", 1, 24), period_end=END) == 0.5
    assert story_rank(_story("c", 2, 24), period_end=END) == 0.5 * 1.6


def test_an_old_story_stays_old_however_many_outlets_carried_it() -> None:
    window_start = END - timedelta(days=365 * 20)
    ancient = _story("ancient", 5, hours_before_end=24 * 365 * 17)
    last_week = _story("last-week", 1, hours_before_end=24 * 6)
    stories = [ancient, last_week]
    ordered = order_stories(stories, period_start=window_start, period_end=END)
    assert [s.id for s in ordered] == ["last-week", "ancient"]


def test_order_is_stable_for_equal_ranks() -> None:
    first, second = _story("x", 2, 5), _story("y", 2, 5)
    assert _order(second, first) == _order(first, second) == ["x", "y"]


def test_a_story_with_nothing_to_summarise_never_opens_the_digest() -> None:
    links = _story("links", 1, hours_before_end=0)
    links = replace(
        links,
        articles=tuple(
            replace(a, title="Links for Sunday", text="A read on tape. A guide to bread.")
            for a in links.articles
        ),
    )
    sponsor = _story("sponsor", 1, hours_before_end=1)
    sponsor = replace(
        sponsor,
        articles=tuple(
            replace(a, text="This episode is sponsored by Quill. Use code NIGHT for 10% off.")
            for a in sponsor.articles
        ),
    )
    older = _story("older", 1, hours_before_end=30)
    assert _order(links, sponsor, older) == ["older", "links", "sponsor"]
