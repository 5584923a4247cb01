"""Same event from several outlets -> one story; different events stay apart."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.models import Article, Story
from bot.summarise.cluster import cluster_articles
from tests.summarise import messy
from tests.summarise.fixtures import (
    BRIDGE_LOADED,
    BRIDGE_LOCAL,
    BRIDGE_WIRE,
    FIRE_A,
    FIRE_B,
    FOOTBALL,
    LIBRARY,
    article,
)

PILE = [BRIDGE_WIRE, LIBRARY, BRIDGE_LOCAL, FOOTBALL, BRIDGE_LOADED, FIRE_A, FIRE_B]


def _groups(articles: list[Article]) -> set[frozenset[str]]:
    return {frozenset(a.id for a in s.articles) for s in cluster_articles(articles)}


def test_paraphrased_reports_of_one_event_form_one_story() -> None:
    groups = _groups(PILE)
    assert frozenset({BRIDGE_WIRE.id, BRIDGE_LOCAL.id, BRIDGE_LOADED.id}) in groups
    assert frozenset({FIRE_A.id, FIRE_B.id}) in groups


def test_different_events_stay_apart_even_when_they_share_a_place_name() -> None:
    groups = _groups(PILE)
    assert frozenset({LIBRARY.id}) in groups
    assert frozenset({FOOTBALL.id}) in groups
    assert len(groups) == 4


def test_the_most_widely_covered_story_comes_first() -> None:
    stories = cluster_articles(PILE)
    assert len(stories[0].outlets) == 3
    assert [len(s.outlets) for s in stories] == sorted(
        (len(s.outlets) for s in stories), reverse=True
    )


def test_result_does_not_depend_on_input_order() -> None:
    shuffled = list(PILE)
    random.Random(7).shuffle(shuffled)
    assert [s.id for s in cluster_articles(shuffled)] == [s.id for s in cluster_articles(PILE)]


def test_same_words_weeks_apart_are_different_events() -> None:
    later = replace(
        BRIDGE_LOCAL,
        id="later",
        url="https://marloweveningpost.example/later",
        published=BRIDGE_LOCAL.published + timedelta(days=30),
    )
    groups = _groups([BRIDGE_WIRE, later])
    assert groups == {frozenset({BRIDGE_WIRE.id}), frozenset({"later"})}


def test_duplicates_empty_and_non_english_articles_never_crash() -> None:
    empty = article("Coastline Wire", "", "", slug="empty")
    spanish = article(
        "Radio Sur",
        "Cierran el puente de Tanner Street",
        "El puente de Tanner Street fue cerrado el lunes tras encontrar grietas en los apoyos.",
        slug="puente",
    )
    japanese = article(
        "Kaigan Shimbun", "橋が閉鎖", "港の橋が閉鎖された。修理は六週間かかる。", slug="hashi"
    )
    stories = cluster_articles([BRIDGE_WIRE, BRIDGE_WIRE, empty, spanish, japanese])
    ids = sorted(a.id for s in stories for a in s.articles)
    assert ids == sorted({BRIDGE_WIRE.id, empty.id, spanish.id, japanese.id})
    assert cluster_articles([]) == []


def test_a_thousand_articles_cluster_quickly() -> None:
    import time

    pile = [
        article(
            f"Outlet {i % 10}",
            f"Event {i // 3} in town {i // 3}",
            f"Town {i // 3} event {i // 3} happened on day {i}.",
            slug=f"a{i}",
            hours=i / 10,
        )
        for i in range(1000)
    ]
    start = time.perf_counter()
    stories = cluster_articles(pile)
    assert time.perf_counter() - start < 10
    assert sum(len(s.articles) for s in stories) == 1000


def test_a_differently_worded_partisan_take_joins_the_story_it_clearly_belongs_to() -> None:
    wire = article(
        "Coastline Wire",
        "Dunmore council approves flood barrier on the River Tane",
        "Dunmore council approved a flood barrier on the River Tane on Tuesday, the council "
        "said. Work on the 2 km barrier starts in March and should end in 2028.",
        slug="barrier-wire",
    )
    local = article(
        "Marlow Evening Post",
        "Flood barrier for Dunmore approved after long debate",
        "Councillors in Dunmore approved the flood barrier on the River Tane on Tuesday after "
        "a long debate. The barrier will protect about 900 homes, the council said.",
        slug="barrier-local",
    )
    rant = article(
        "The Daily Klaxon",
        "A wall by the river? Spare us",
        "Work starts in March on a wall that nobody asked for.",
        hours=2,
        slug="barrier-rant",
    )
    assert _groups([wire, local, rant]) == {frozenset({wire.id, local.id, rant.id})}
    # The same text from an outlet the story already has stays apart.
    same_outlet = replace(rant, id="again", outlet="Coastline Wire")
    assert frozenset({"again"}) in _groups([wire, local, same_outlet])


# -- real-world feeds (issue 14): the project's messy feeds through the real parser -------


def _story_of(stories: list[Story], article: Article) -> frozenset[str]:
    return next(frozenset(a.title for a in s.articles) for s in stories if article in s.articles)


@pytest.mark.parametrize(
    ("feed", "title", "story"),
    [
        (  # three outlets, one recall, the same day
            "northwire.xml",
            "Lumina Mobile recalls",
            {
                "Lumina Mobile recalls Lumen X2 handsets after battery reports",
                "Lumina recalls 80,000 Lumen X2 phones over battery swelling",
                "Lumen X2 recall: what owners need to know",
            },
        ),
        (  # one strike over two days
            "northwire.xml",
            "Dock workers at Port Selwyn",
            {
                "Dock workers at Port Selwyn begin 48-hour strike over pay",
                "Port Selwyn strike enters second day as cargo ships wait offshore",
            },
        ),
    ],
)
def test_outlets_reporting_one_event_form_one_story(feed: str, title: str, story: set[str]) -> None:
    stories = cluster_articles(messy.all_articles())
    assert _story_of(stories, messy.entry(feed, title)) == story


def test_two_events_sharing_a_name_on_one_day_stay_apart() -> None:
    stories = cluster_articles(messy.all_articles())
    fire = messy.entry("northwire.xml", "Paterson Hall fire")
    fares = messy.entry("valley-courier.xml", "Mayor Paterson")
    assert _story_of(stories, fire) == {fire.title}
    assert _story_of(stories, fares) == {fares.title}


def test_one_company_two_announcements_on_one_day_are_two_stories() -> None:
    stories = cluster_articles(messy.all_articles())
    tablet = messy.entry("byte-ledger.rss", "Lumina unveils")
    assert _story_of(stories, tablet) == {tablet.title}


def test_a_shared_generic_word_never_joins_articles() -> None:
    stories = cluster_articles(messy.all_articles())
    for feed, title in (
        ("kestrel-devlog.xml", "Test"),
        ("byte-ledger.rss", "ZenCheck"),
        ("lena-notebook.atom", "Review: a year"),
        ("circuit-daily.xml", "Review: Delta"),
    ):
        lone = messy.entry(feed, title)
        assert _story_of(stories, lone) == {lone.title}


def test_sponsor_reads_shared_by_episodes_do_not_make_them_one_story() -> None:
    stories = cluster_articles(messy.feed("gadget-hour.xml"))
    assert len(stories) == 3


def test_no_story_spans_more_than_the_window() -> None:
    strike = messy.entry("northwire.xml", "Dock workers at Port Selwyn")
    later = replace(strike, id="later", url="https://northwire.example/later", outlet="Other")
    four_days = replace(later, published=strike.published + timedelta(days=4))
    assert len(cluster_articles([strike, four_days])) == 2
    assert len(cluster_articles([strike, four_days], window_days=5)) == 1
    one_day = replace(later, published=strike.published + timedelta(days=1))
    assert len(cluster_articles([strike, one_day])) == 1


def test_a_chain_of_follow_ups_cannot_grow_a_story_past_the_window() -> None:
    strike = messy.entry("northwire.xml", "Dock workers at Port Selwyn")
    days = [
        replace(
            strike,
            id=f"d{n}",
            url=f"https://o{n}.example/s",
            outlet=f"Outlet {n}",
            published=strike.published + timedelta(days=2 * n),
        )
        for n in range(4)
    ]
    for story in cluster_articles(days):
        assert story.latest - min(a.published for a in story.articles) <= timedelta(days=3)


def test_a_wire_story_run_by_another_outlet_joins_the_story_with_that_outlet() -> None:
    stories = cluster_articles(messy.all_articles() + list(messy.feed("harbour-herald.xml")))
    strike = messy.entry("northwire.xml", "Dock workers at Port Selwyn")
    story = next(s for s in stories if strike in s.articles)
    assert set(story.outlets) == {"Northwire", "Harbour Herald", "Valley Courier"}


# -- related events of one saga (issue 14, one pile of many stories) ----------------------


def _board_approves() -> list[Article]:
    return [
        article(
            "Coastline Wire",
            "Tane medicines board approves Velora booster for over-70s",
            "The Tane medicines board approved a Velora booster dose for people over 70 on "
            "Thursday. The board said the booster restores protection that fades after six "
            "months.",
            slug="board-wire",
        ),
        article(
            "Marlow Evening Post",
            "Medicines board clears Velora booster for people over 70",
            "People over 70 can get a Velora booster after the Tane medicines board cleared the "
            "dose on Thursday, saying protection fades after six months.",
            slug="board-post",
            hours=1,
        ),
        article(
            "Harbour Herald",
            "Velora booster approved by Tane medicines board for over-70s",
            "The Tane medicines board approved the Velora booster for over-70s on Thursday; "
            "protection from the first doses fades after six months, the board said.",
            slug="board-herald",
            hours=2,
        ),
    ]


def _minister_overrules() -> list[Article]:
    return [
        article(
            "Valley Courier",
            "Minister Orlen extends Velora booster to nurses, beyond the board's over-70s",
            "Health minister Ida Orlen extended the Velora booster to nurses and care staff, "
            "going further than the Tane medicines board had.",
            slug="minister-courier",
            hours=3,
        ),
        article(
            "Northwire",
            "Orlen overrules Tane medicines board, offers Velora booster to nurses",
            "Nurses will be offered a Velora booster after health minister Ida Orlen overruled "
            "the Tane medicines board and her own advisers.",
            slug="minister-north",
            hours=4,
        ),
        article(
            "The Daily Klaxon",
            "Minister Orlen defies medicines board on Velora booster for nurses",
            "Ida Orlen, the health minister, defied the Tane medicines board on Thursday and "
            "extended the Velora booster, approved for over-70s, to nurses.",
            slug="minister-klaxon",
            hours=5,
        ),
    ]


def test_two_decisions_of_one_saga_on_one_day_stay_two_stories() -> None:
    approves, overrules = _board_approves(), _minister_overrules()
    assert _groups(approves + overrules) == {
        frozenset(a.id for a in approves),
        frozenset(a.id for a in overrules),
    }


def test_a_related_decision_reported_the_next_day_is_its_own_story() -> None:
    approves = _board_approves()
    next_day = [
        article(
            "Valley Courier",
            "Minister Orlen extends Velora booster to nurses, beyond the board's over-70s",
            "Health minister Ida Orlen extended the Velora booster to nurses on Friday, a day "
            "after the Tane medicines board approved it for people over 70 only.",
            slug="minister-courier",
            hours=36,
        ),
        article(
            "Northwire",
            "Orlen overrules Tane medicines board, offers Velora booster to nurses",
            "Nurses will be offered a Velora booster after health minister Ida Orlen overruled "
            "the Tane medicines board, which had approved the dose for over-70s.",
            slug="minister-north",
            hours=37,
        ),
        article(
            "The Daily Klaxon",
            "Minister Orlen defies medicines board on Velora booster for nurses",
            "Ida Orlen, the health minister, defied the Tane medicines board on Friday and "
            "extended the Velora booster, approved for over-70s, to nurses.",
            slug="minister-klaxon",
            hours=38,
        ),
    ]
    assert _groups(approves + next_day) == {
        frozenset(a.id for a in approves),
        frozenset(a.id for a in next_day),
    }


# -- opinion pieces: they share the event's title word and names, little else -------------


def _barrier_story() -> list[Article]:
    return [
        article(
            "Coastline Wire",
            "Dunmore council approves flood barrier on the River Tane",
            "Dunmore council approved a flood barrier on the River Tane on Tuesday, the council "
            "said. Work on the 2 km barrier starts in March and should end in 2028.",
            slug="barrier-wire",
        ),
        article(
            "Marlow Evening Post",
            "Flood barrier for Dunmore approved after long debate",
            "Councillors in Dunmore approved the flood barrier on the River Tane on Tuesday after "
            "a long debate. The barrier will protect about 900 homes, the council said.",
            slug="barrier-local",
            hours=1,
        ),
    ]


def _barrier_opinion(text: str, *, title: str = "", hours: float = 5) -> Article:
    return article(
        "The Daily Klaxon",
        title or "Opinion: build the barrier, and build it now",
        text,
        slug="barrier-opinion",
        hours=hours,
    )


_OPINION = "Dunmore has waited years for this, and the Tane will not wait for another inquiry."


def test_an_opinion_piece_on_the_event_joins_its_story() -> None:
    story, opinion = _barrier_story(), _barrier_opinion(_OPINION)
    assert _groups([*story, opinion]) == {frozenset(a.id for a in [*story, opinion])}


def test_an_opinion_piece_two_days_after_the_event_stays_apart() -> None:
    story, opinion = _barrier_story(), _barrier_opinion(_OPINION, hours=48)
    assert frozenset({opinion.id}) in _groups([*story, opinion])


def test_an_opinion_piece_sharing_no_title_word_stays_apart() -> None:
    story = _barrier_story()
    opinion = _barrier_opinion(_OPINION, title="Opinion: get on with it")
    assert frozenset({opinion.id}) in _groups([*story, opinion])


def test_an_opinion_piece_as_close_to_two_stories_joins_neither() -> None:
    inquiry = [
        article(
            "Harbour Herald",
            "Tane flood inquiry will report in June",
            "The inquiry into last winter's Tane floods in Dunmore will report in June, its chair "
            "said on Tuesday. It has heard from 200 residents.",
            slug="inquiry-herald",
            hours=2,
        ),
        article(
            "Valley Courier",
            "Flood inquiry delays its report on Dunmore to June",
            "The Tane flood inquiry will not report on Dunmore before June, its chair said on "
            "Tuesday, after hearing 200 residents.",
            slug="inquiry-courier",
            hours=3,
        ),
    ]
    story = _barrier_story()
    opinion = _barrier_opinion(
        "Dunmore has waited years for a barrier, and the Tane will not wait for another inquiry."
    )
    assert frozenset({opinion.id}) in _groups([*story, *inquiry, opinion])
    # Without the inquiry's story it is plainly about the barrier.
    assert frozenset(a.id for a in [*story, opinion]) in _groups([*story, opinion])


def test_an_article_only_loosely_like_the_story_stays_apart() -> None:
    story = _barrier_story()
    profits = article(
        "The Daily Klaxon",
        "Barrier maker Holt & Sons posts record profit",
        "Holt & Sons, which builds river defences across the country, posted a record profit "
        "for the year.",
        slug="holt-profit",
        hours=4,
    )
    assert frozenset({profits.id}) in _groups([*story, profits])
