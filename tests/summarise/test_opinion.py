"""Opinion and commentary: recognised, labelled, never leading or headlining a story."""

from __future__ import annotations

from bot.digest.render import item_summary_text
from bot.summarise.extractive import ExtractiveSummariser
from bot.summarise.opinion import is_opinion, labelled_outlet, opinion_reason
from tests.summarise.fixtures import article, story

SUMMARISER = ExtractiveSummariser()

# A three-outlet story: two reports of a harbour levy vote and a column about it whose
# opening line is addressed to the reader and written to lead.
REPORT_A = article(
    "Coastline Wire",
    "Marlow council approves harbour levy of 2 pounds per visitor",
    "Marlow Ferry council voted on Tuesday to charge visitors a harbour levy of 2 pounds "
    "a day from June, the council said in a statement. The levy is expected to raise "
    "400,000 pounds a year for repairs to the harbour wall, officials said. Eleven "
    "councillors voted in favour and four against.",
    slug="levy-vote",
)
REPORT_B = article(
    "Marlow Evening Post",
    "Harbour levy approved by Marlow council",
    "Councillors in Marlow Ferry approved a daily harbour levy of 2 pounds for visitors "
    "on Tuesday. The money, expected to reach 400,000 pounds a year, will pay for repairs "
    "to the harbour wall, the council said. The vote was eleven to four.",
    hours=1,
    slug="levy-approved",
)
COLUMN = article(
    "The Harbour Review",
    "Marlow council votes for a harbour levy of 2 pounds per visitor",
    "Marlow Ferry council voted eleven to four on Tuesday to charge every visitor to the "
    "harbour a levy of 2 pounds a day from June, raising 400,000 pounds a year for repairs "
    "to the harbour wall, as the council said in its statement on the levy vote. "
    "Focus instead on the harbour levy vote of Tuesday and what it says about this council "
    "and its contempt for visitors to Marlow Ferry. Consider the 2 pounds a day that every "
    "family on a day trip to Marlow Ferry will now pay at the harbour. The council says the "
    "levy will raise 400,000 pounds a year for repairs to the harbour wall. Who believes "
    "that the money will ever reach the wall? The council has done it again!",
    hours=2,
    slug="opinion/harbour-levy-column",
)


def test_an_opinion_address_outlet_or_title_marks_the_piece() -> None:
    assert opinion_reason(COLUMN) == "address"
    by_outlet = article("Harbour Times (Opinion)", "Levy", "The levy passed.", slug="a")
    by_title = article("Harbour Times", "Opinion: the levy", "The levy passed.", slug="b")
    assert opinion_reason(by_outlet) == "outlet"
    assert opinion_reason(by_title) == "title"
    assert not is_opinion(REPORT_A)


def test_commentary_is_recognised_from_its_text_alone() -> None:
    untagged = article("The Harbour Review", "Levy", COLUMN.text, slug="levy-piece")
    assert opinion_reason(untagged) == "text"


def test_an_opinion_column_never_leads_a_three_outlet_story() -> None:
    item = SUMMARISER.summarise_story(story(COLUMN, REPORT_A, REPORT_B))
    text = item_summary_text(item)
    assert item.sentences
    first = item.sentences[0]
    assert first.sources[0].name != "The Harbour Review (opinion)"
    assert "The Harbour Review (opinion)" in text  # named, and labelled as opinion
    shown_by = [s.sources[0].name for s in item.sentences]
    assert all(i > 0 for i, name in enumerate(shown_by) if name.endswith("(opinion)"))
    assert item.headline in (REPORT_A.title, REPORT_B.title)  # a news report's title


def test_the_label_is_not_repeated_when_the_outlet_name_says_it() -> None:
    piece = article("Harbour Times (Opinion)", "Levy", "The levy passed.", slug="c")
    assert labelled_outlet(piece) == "Harbour Times (Opinion)"
    assert labelled_outlet(COLUMN) == "The Harbour Review (opinion)"
