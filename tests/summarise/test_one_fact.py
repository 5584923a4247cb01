"""One fact per slot: same-fact sentences merge under joint credit; differing figures flagged."""

from __future__ import annotations

from bot.digest.render import item_summary_text
from bot.models import Article
from bot.summarise.extractive import ExtractiveSummariser
from tests.summarise.fixtures import article, story

SUMMARISER = ExtractiveSummariser()


def _quay(outlet: str, lead: str, slug: str, hours: float) -> Article:
    return article(
        outlet,
        f"Storm closes Marlow quay ({outlet})",
        lead + " Harbour staff moved small boats to the inner basin before the storm arrived. "
        "The ferry to Hollin Island will not sail until the quay reopens.",
        hours=hours,
        slug=slug,
    )


def test_the_same_fact_from_three_outlets_is_shown_once_with_joint_credit() -> None:
    wire = _quay(
        "Coastline Wire",
        "A storm closed Marlow quay on Sunday, and repairs will cost 1.2 million pounds, the "
        "harbour board said.",
        "quay-wire",
        0,
    )
    post = _quay(
        "Marlow Evening Post",
        "Marlow quay was shut by Sunday's storm and the harbour board put the repair bill at "
        "1.2 million pounds.",
        "quay-post",
        1,
    )
    radio = _quay(
        "Hollin Radio",
        "The harbour board expects repairs to Marlow quay after the Sunday storm to cost 1.2 "
        "million pounds.",
        "quay-radio",
        2,
    )
    item = SUMMARISER.summarise_story(story(wire, post, radio))
    stating = [s for s in item.sentences if "1.2 million" in s.text]
    assert len(stating) == 1  # the repair bill once, not three times
    assert len(stating[0].sources) >= 2  # credited jointly
    assert "Outlets differ" not in item.note
    widths = [len(s.sources) for s in item.sentences]
    assert widths == sorted(widths, reverse=True)  # the fact most outlets state comes first


def test_two_outlets_giving_different_figures_are_both_shown_and_flagged() -> None:
    gazette = article(
        "The Harbour Gazette",
        "Dockworkers march through Marlow",
        "Some 5,000 dockworkers marched through Marlow Ferry on Saturday against the port "
        "closure plan, according to the union. The march ended peacefully at the town hall.",
        slug="march-gazette",
    )
    wire = article(
        "Meridian Wire Service",
        "Thousands march in Marlow over port plan",
        "About 2,000 dockworkers marched through Marlow Ferry on Saturday against the port "
        "closure plan, police said. The council will debate the plan next week.",
        hours=1,
        slug="march-wire",
    )
    item = SUMMARISER.summarise_story(story(gazette, wire))
    text = item_summary_text(item)
    assert "5,000" in text and "2,000" in text  # both versions, each attributed
    assert item.note.startswith("Outlets differ: ")
    assert "(The Harbour Gazette)" in item.note and "(Meridian Wire Service)" in item.note
    assert "5,000 dockworkers" in item.note or "2,000 dockworkers" in item.note


def test_a_charged_word_only_one_outlet_uses_costs_its_sentence() -> None:
    from bot.summarise.candidates import collect_candidates
    from bot.summarise.extractive import _one_outlet_words, _outlet_vocabularies

    calm = article(
        "Coastline Wire",
        "Protest at Marlow quay",
        "About 200 people protested at Marlow quay on Sunday against the closure plan.",
        slug="protest-wire",
    )
    charged = article(
        "The Daily Klaxon",
        "Mob at Marlow quay",
        "A furious rampage of 200 people hit Marlow quay on Sunday over the closure plan.",
        slug="protest-klaxon",
    )
    shared = article(
        "Marlow Evening Post",
        "Quay rampage",
        "Police called the protest at the quay a rampage; about 200 people took part.",
        slug="protest-post",
    )
    candidates = collect_candidates([calm, charged, shared], english=True)
    sentence = next(c for c in candidates if c.article is charged)
    vocabularies = _outlet_vocabularies([calm, charged])
    assert _one_outlet_words(sentence, vocabularies) == ["furious", "rampage"]
    # A word another outlet also uses is shared wording, not one outlet's framing.
    assert _one_outlet_words(sentence, _outlet_vocabularies([calm, charged, shared])) == ["furious"]


def test_the_fact_all_outlets_state_leads_a_one_outlet_detail() -> None:
    wire = article(
        "Coastline Wire",
        "Marlow quay closed by storm",
        "The harbour master of Marlow quay, Ruth Okafor, who has worked at the quay since "
        "1998 and runs a team of forty staff across the north pier, the fish market, the "
        "ferry office and the old customs house, spent Sunday night moving boats from the "
        "quay to the inner basin with her deputy and two pilots. A storm closed Marlow quay "
        "on Sunday, the harbour board said.",
        slug="quay-detail",
    )
    post = article(
        "Marlow Evening Post",
        "Storm shuts Marlow quay",
        "A storm closed Marlow quay on Sunday, the harbour board said. Fishing boats stayed "
        "in the inner basin.",
        hours=1,
        slug="quay-shut",
    )
    item = SUMMARISER.summarise_story(story(wire, post))
    widths = [len(s.sources) for s in item.sentences]
    assert widths[0] == 2 and widths == sorted(widths, reverse=True)
