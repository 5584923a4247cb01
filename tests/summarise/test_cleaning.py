"""Sentence cleaning and repairs that keep meaning (issue 13: points 4 and 5)."""

from __future__ import annotations

import pytest

from bot.digest.render import item_summary_text
from bot.models import DigestItem
from bot.summarise.extractive import ExtractiveSummariser
from bot.summarise.neutral import assess, indefinite_article, repair_sentence
from bot.summarise.sentences import split_sentences
from tests.summarise.fixtures import article, story


def _summary_of(title: str, text: str, slug: str) -> DigestItem:
    """The digest item of one Harbour Gazette article, as the summariser makes it."""
    return ExtractiveSummariser().summarise_story(
        story(article("Harbour Gazette", title, text, slug=slug))
    )


def test_a_line_break_after_initials_does_not_split_a_name() -> None:
    text = 'The columnist mocked "General J.K.\nHolloway, the supposed strongman" on Friday.'
    sentences = split_sentences(text)
    assert sentences == [
        'The columnist mocked "General J.K. Holloway, the supposed strongman" on Friday.'
    ]
    assert sentences[0].count('"') == 2  # the quotation opens and closes in one sentence


def test_a_line_break_after_an_abbreviation_does_not_split() -> None:
    assert split_sentences("The motion was tabled by Sen.\nOrtiz on Monday.") == [
        "The motion was tabled by Sen. Ortiz on Monday."
    ]


def test_an_acronym_ending_a_line_still_ends_the_sentence() -> None:
    assert split_sentences("The ships docked in the U.S.\nThe crews went ashore.") == [
        "The ships docked in the U.S.",
        "The crews went ashore.",
    ]


def test_a_quotation_left_open_at_a_line_break_continues_on_the_next_line() -> None:
    text = '"We will keep the ferry running\nuntil the bridge opens," the mayor said.'
    assert split_sentences(text) == [
        '"We will keep the ferry running until the bridge opens," the mayor said.'
    ]


def test_footnote_markers_are_removed() -> None:
    text = "The river flooded in 1921.[4][5] She has studied it since.[citation needed]"
    assert split_sentences(text) == ["The river flooded in 1921.", "She has studied it since."]


@pytest.mark.parametrize(
    ("word", "article"),
    [
        ("US", "a"),
        ("FBI", "an"),
        ("MP", "an"),
        ("NATO", "a"),
        ("NHS", "an"),
        ("hour-long", "an"),
        ("union", "a"),
        ("European", "a"),
        ("apple", "an"),
        ("8%", "an"),
        ("11-year-old", "an"),
        ("18th", "an"),
        ("one-off", "a"),
    ],
)
def test_indefinite_article_is_chosen_by_sound(word: str, article: str) -> None:
    assert indefinite_article(word) == article


def test_a_repair_before_an_acronym_chooses_the_article_by_sound() -> None:
    assert repair_sentence("It was a shocking FBI raid on the depot.") == (
        "It was an FBI raid on the depot."
    )
    assert repair_sentence("She joined an outrageous US nonprofit in May.") == (
        "She joined a US nonprofit in May."
    )


def test_a_repair_never_corrects_the_outlets_own_article() -> None:
    # "an historic" is the outlet's choice; only articles next to a deletion are chosen.
    sentence = "It was an historic and utterly shocking vote in the council."
    assert repair_sentence(sentence).startswith("It was an historic")


def test_quotation_marks_stay_around_titles_and_nicknames() -> None:
    title = 'The council screened "Harbour Lights" at the old depot on Monday.'
    nickname = 'Residents know the ferry captain as "Big Tom" along the coast.'
    for sentence in (title, nickname):
        assert repair_sentence(sentence) == sentence
        assert assess(sentence).clean


def test_a_term_someone_named_keeps_its_marks() -> None:
    sentence = 'The union called the offer "a slap in the face" on Tuesday.'
    assert repair_sentence(sentence) == sentence


def test_scare_quotes_around_a_plain_word_come_off() -> None:
    assert repair_sentence('The group moved its "headquarters" to a barn.') == (
        "The group moved its headquarters to a barn."
    )


def test_a_quotation_with_a_named_speaker_keeps_its_speaker() -> None:
    # Dropping the dashed aside would drop who said it: the repair is refused.
    sentence = (
        "The cuts are a disgrace — so said the furious Mayor Ilse Brandt — and must be reversed."
    )
    repaired = repair_sentence(sentence)
    assert "Brandt" in repaired


def test_a_quotation_inside_a_dropped_aside_is_kept() -> None:
    sentence = (
        "The shameful plan (“a shameful betrayal of every tenant,” in Ms Brandt's words) passed."
    )
    repaired = repair_sentence(sentence)
    assert "“a shameful betrayal of every tenant,”" in repaired


def test_a_dramatic_idiom_is_repaired_instead_of_dropping_the_lead() -> None:
    sentence = "The prize went to none other than the harbour master, Ruth Okafor."
    repaired = repair_sentence(sentence)
    assert repaired == "The prize went to the harbour master, Ruth Okafor."
    assert not assess(repaired).strong


def test_an_agency_tag_glued_to_the_first_word_is_removed() -> None:
    from bot.summarise.sentences import strip_dateline

    assert strip_dateline("(NBN)As the river rose, the ferry stopped.") == (
        "As the river rose, the ferry stopped."
    )
    assert strip_dateline("(NBN) -- Police closed the bridge.") == "Police closed the bridge."


def test_imperatives_to_the_reader_are_strong_markers() -> None:
    assert assess("Focus instead on the photos of the empty stands at the match.").strong
    assert assess("Consider the cost of the new harbour wall to every tenant.").strong
    assert not assess("Officials at the port said the wall would cost 4 million.").strong


def test_poll_caption_and_subscribe_lines_never_reach_a_summary() -> None:
    text = (
        "Photo: The quay at dusk (Harbour Gazette/File)\n"
        "Marlow Ferry council voted 9-4 on Tuesday to close the Tanner Street quay for "
        "repairs, council leader R.J.\nOkafor said.\n"
        "Do you support the closure?\n"
        "* Yes, it is overdue and the council should act.\n"
        "* No, the ferry needs it every single day.\n"
        "Completing this poll grants you access to Harbour Gazette updates free of charge.\n"
        "The repairs will cost 1.4 million pounds and take six months.[3][4] The ferry will "
        "use the north pier instead.\n"
        "Subscribe to our newsletter for more local news from the harbour.\n"
        "Image credit: Harbour Gazette"
    )
    item = _summary_of("Council votes to close quay", text, slug="quay")
    summary = item_summary_text(item)
    for furniture in ("Photo", "poll", "* ", "Subscribe", "Image credit", "[3]", "support"):
        assert furniture not in summary
    assert "council leader R.J. Okafor said." in summary  # one sentence across the break


def test_a_sentence_opening_a_single_quoted_quotation_it_never_closes_is_not_shown() -> None:
    text = (
        "‘It would be grand to keep the ferry running all winter for the island. "
        "We have the crew for it,’ the skipper said on Monday at the harbour office. "
        "The ferry company will decide on the winter timetable by the end of the month. "
        "‘I was told the ferry runs on time to the island every single day,’ a passenger said."
    )
    item = _summary_of("Ferry", text, slug="ferry-winter")
    shown = [s.text for s in item.sentences]
    assert shown
    assert all(s.count("‘") <= s.count("’") for s in shown)
    assert not any(s.startswith("‘It would be grand") for s in shown)


def test_a_quotation_tail_starting_lower_case_is_not_shown() -> None:
    from bot.summarise.candidates import usable

    assert not usable("“what do you think of the new harbour wall,” she asked the mayor.", "x")
    assert usable("“What do you think of the new harbour wall?” she asked the mayor.", "x")


def test_a_sentence_opening_with_a_lower_case_brand_is_a_sentence() -> None:
    text = (
        "Online sales rose in the spring. eBay Inc. said on Tuesday it would open a depot in "
        "Marlow Ferry. iPhone sales at the town's two shops fell by a tenth."
    )
    assert split_sentences(text) == [
        "Online sales rose in the spring.",
        "eBay Inc. said on Tuesday it would open a depot in Marlow Ferry.",
        "iPhone sales at the town's two shops fell by a tenth.",
    ]


def test_a_lower_case_brand_start_is_shown_but_a_broken_tail_is_not() -> None:
    from bot.summarise.candidates import usable

    assert usable("eBay Inc. said on Tuesday it would open a depot in Marlow Ferry.", "x")
    assert usable("e-mail traffic at the council doubled during the storm last week.", "x")
    assert not usable("said on Tuesday it would open a depot in Marlow Ferry.", "x")
    brand = article(
        "Coastline Wire",
        "Depot for Marlow Ferry",
        "eBay Inc. said on Tuesday it would open a parcel depot in Marlow Ferry next spring. "
        "The depot will employ about 120 people, the company said.",
        slug="depot",
    )
    item = ExtractiveSummariser().summarise_story(story(brand))
    assert item.sentences[0].text.startswith("eBay Inc. said on Tuesday")


def test_a_quotation_mark_left_at_a_line_end_opens_the_next_lines_quotation() -> None:
    text = (
        "The harbour master closed the quay on Monday, the port authority said. '\n"
        "We had no choice after the storm damaged the cranes,' Ms Ferris said. '\n"
        "The quay will reopen when the engineers have checked every crane.'"
    )
    assert split_sentences(text) == [
        "The harbour master closed the quay on Monday, the port authority said.",
        "'We had no choice after the storm damaged the cranes,' Ms Ferris said.",
        "'The quay will reopen when the engineers have checked every crane.'",
    ]


def test_a_speakers_quotation_running_over_several_paragraphs_is_not_shown_as_news() -> None:
    text = (
        "The Marlow Ferry council voted on Tuesday to sell the old lifeboat station.\n"
        "Councillor Ada Quill said: ‘We have looked at every other way to pay for the repairs.\n"
        "The old station has cost the town more than the building is worth for ten years.\n"
        "The council took the decision to sell the old lifeboat station after a long debate.’\n"
        "The station will be sold at auction in the spring, the council said in a statement.\n"
        "The lifeboat crew moved to a new station on the quay two years ago."
    )
    item = _summary_of("Lifeboat station sold", text, slug="lifeboat")
    shown = " ".join(s.text for s in item.sentences)
    assert shown  # the report's own sentences are still there
    # Ms Quill's words, which read as the outlet's own claims without her name
    assert "more than the building is worth" not in shown
    assert "after a long debate" not in shown


def test_a_bracketed_editors_note_is_page_furniture() -> None:
    from bot.summarise.furniture import is_furniture

    assert is_furniture("[Editors' note: To understand the vote, pre-order our new book: HERE.")
    assert is_furniture("(Editor’s Note: This story was corrected on Tuesday.)")
    assert not is_furniture("The editors noted the change to the ferry timetable on Tuesday.")


def test_a_quotation_standing_alone_without_its_speaker_is_not_shown() -> None:
    text = (
        "The Marlow Ferry council voted on Tuesday to close the harbour car park for repairs.\n"
        "“The harbour car park is needed by the ferry passengers for the whole summer.”\n"
        "That was the shout from the public gallery as the vote was read out by the clerk.\n"
        "The car park will reopen in September, the council said in a statement on Tuesday."
    )
    item = _summary_of("Car park to close", text, slug="car-park")
    shown = " ".join(s.text for s in item.sentences)
    assert "council voted" in shown
    assert "is needed by the ferry passengers" not in shown  # the speaker is elsewhere


def test_a_poll_sign_up_line_is_page_furniture() -> None:
    from bot.summarise.furniture import is_furniture

    assert is_furniture("Completing this poll grants you access to Gazette updates free of charge.")
    assert not is_furniture("A poll of 1,000 residents found most want the winter ferry kept.")


def test_a_sentence_opening_with_a_bracket_is_not_shown() -> None:
    from bot.summarise.candidates import usable

    assert not usable("[In Marlow Ferry] two hundred residents signed the petition.", "x")
    assert not usable("(That would be the third closure this year for the ferry.)", "x")
    assert usable("In Marlow Ferry two hundred residents signed the petition.", "x")
