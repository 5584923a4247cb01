"""The span check reads a passage as a careful reader would: a surname stands for the full
name the article gave, a space lost at a line break does not make a word new, a figure may be
spelled out, an age given at a name's first mention holds for that name, and the subject of a
verb is the name before it or the speaker, not any name of the passage. Each rule with a case
that must pass and one that must still fail. Project-written articles."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import Article
from bot.summarise.grounding import Judgement, judge_sentence


def article(slug: str, title: str, *sentences: str) -> Article:
    """A one-outlet article of `sentences`."""
    return Article(
        id=f"a-{slug}",
        url=f"https://valley-times.example/{slug}",
        title=title,
        text=" ".join(sentences),
        outlet="Valley Times",
        published=datetime(2026, 11, 30, tzinfo=UTC),
    )


def judge(text: str, source: Article) -> Judgement:
    return judge_sentence(text, (source,), allowed_urls=[source.url])


BRIDGE = article(
    "bridge",
    "Old bridge to close for repairs",
    "Engineer Paul Okafor told the council that the old bridge needs new bearings.",
    "The council then voted to close the bridge for six weeks in March.",
    "Okafor said the crews would work at night to keep the river open to boats.",
    "Shop owners on the quay asked for a temporary footbridge.",
    "The ferry will run every hour while the bridge is shut.",
    "Mayor Ines Moreau thanked the engineers for their report.",
)
STUDY = article(
    "sleep-study",
    "Study links activity to better sleep",
    "Exercise helps older people sleep better, a study of 2,000 adults found.",
    "The study was led by Dr Maria Lindqvist of Uppsala.",
    "Participants kept a diary for a year.",
    "Most slept an hour longer on days they were active.",
    "Researchers also found that regular walks lower blood pressure.",
)
CLIMB = article(
    "k2",
    "Climber to attempt K2",
    "Climber Tom Ballard, 26, will attempt K2 this summer.",
    "His sister, 31, runs the family's outdoor shop.",
    "The expedition leaves from Skardu in June.",
    "A five-year-old neighbour painted the team's flag.",
    "Ballard will climb the mountain without bottled oxygen or fixed ropes.",
)
HARBOUR = article(
    "harbour",
    "Storm closes the harbour",
    "The storm left the harbour master unable to open the locks on Tuesday.",
    "Waves broke over the sea wall for most of the night.",
    "The coastguard closed the beach road until the morning.",
    "Fishing boats were able to shelter in the outer basin.",
)
REPORT = article(
    "report",
    "Engineer presents bridge report",
    "Engineer Paul Okafor presented his report on the old bridge on Monday.",
    "The 52-year-old thanked the crews who had worked through the winter with council "
    "leader Ruth Adeyemi.",
    "Repairs will begin in March.",
)
BRIEFING = article(
    "briefing",
    "",
    "Engineer Paul Okafor presented the report.",
    "Council leader Ruth Adeyemi told the council repairs will begin in March.",
)


def refused_for(text: str, source: Article, why: str) -> None:
    reason = judge(text, source).reason
    assert reason is not None and why in reason, reason


def test_a_full_name_for_the_surname_of_the_passage_is_held() -> None:
    judged = judge("Paul Okafor said the crews would work at night.", BRIDGE)
    assert judged.reason is None
    assert judged.coverage == 1.0


def test_a_first_name_the_article_gives_someone_else_is_not() -> None:
    refused_for("Ines Okafor said the crews would work at night.", BRIDGE, "'Ines'")


def test_a_word_glued_to_the_next_at_a_line_break_is_held() -> None:
    text = "Okafor said the crews would work at nightto keep the river open to boats."
    judged = judge(text, BRIDGE)
    assert judged.reason is None
    assert judged.coverage == 1.0


def test_a_glued_word_whose_halves_the_article_lacks_is_not() -> None:
    text = "Okafor said the crews would work at nightshifts to keep the river open."
    assert judge(text, BRIDGE).coverage < 1.0


def test_an_opening_quotation_spaced_from_its_marks_is_a_complete_sentence() -> None:
    assert (
        judge('" The old bridge needs new bearings, " Okafor told the council.', BRIDGE).reason
        is None
    )
    text = '" the old bridge needs new bearings, " Okafor told the council.'
    refused_for(text, BRIDGE, "no capital")


def test_a_first_word_capitalised_only_by_position_is_a_word_not_a_name() -> None:
    # "Exercise" opens a sentence here and in the article: a word the passage need not hold.
    text = "Exercise such as regular walks lowers blood pressure, researchers found."
    assert judge(text, STUDY).reason is None


def test_a_first_word_the_article_names_is_still_a_name() -> None:
    text = "Lindqvist found that regular walks lower blood pressure."
    refused_for(text, STUDY, "'Lindqvist' is not in the passage")


def test_a_figure_the_article_spells_out_is_held_as_digits() -> None:
    assert judge("The neighbour, 5, painted the team's flag.", CLIMB).reason is None
    refused_for("The neighbour, 6, painted the team's flag.", CLIMB, "6")


def test_an_age_the_article_gives_the_same_person_elsewhere_is_held() -> None:
    text = "Ballard, 26, will climb without bottled oxygen or fixed ropes."
    assert judge(text, CLIMB).reason is None


def test_a_figure_the_article_gives_someone_else_is_not() -> None:
    text = "Ballard, 31, will climb without bottled oxygen or fixed ropes."
    refused_for(text, CLIMB, "'31' is not in the passage")


def test_a_negating_prefix_kept_passes() -> None:
    text = "The harbour master was unable to open the locks on Tuesday."
    assert judge(text, HARBOUR).reason is None


def test_a_negating_prefix_dropped_or_added_is_refused() -> None:
    text = "The harbour master was able to open the locks on Tuesday."
    refused_for(text, HARBOUR, "negation of 'able'")
    text = "Fishing boats were unable to shelter in the outer basin."
    refused_for(text, HARBOUR, "negates 'able'")


def test_a_name_later_in_the_passage_is_not_the_subject_of_its_verb() -> None:
    # "The 52-year-old thanked...": Okafor, named before; Adeyemi comes after the verb.
    text = "Okafor thanked the crews who had worked through the winter."
    assert judge(text, REPORT).reason is None


def test_a_name_before_the_verb_in_the_passage_is_its_subject() -> None:
    text = "Okafor told the council repairs will begin in March."
    refused_for(text, BRIEFING, "someone other than 'Okafor'")
