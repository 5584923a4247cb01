"""Headlines are the outlet's own titles (issue 14.2), read from project-written feeds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.models import Article
from bot.summarise.extractive import ExtractiveSummariser
from bot.summarise.headline import choose_headline, deload_title, plainer_title, summary_clause
from tests.summarise import messy
from tests.summarise.fixtures import BRIDGE_LOADED, BRIDGE_WIRE, story

SUMMARISER = ExtractiveSummariser()


def _headline(article: Article) -> str:
    return SUMMARISER.summarise_story(story(article)).headline


@pytest.mark.parametrize(
    ("feed", "title"),
    [
        ("lena-notebook.atom", "I Moved My Photo Library Off the Cloud. Here Is What Broke"),
        ("lena-notebook.atom", "Should you buy a refurbished laptop?"),
        ("kestrel-devlog.xml", "We finally fixed our flaky deploys"),
        ("gadget-hour.xml", "309: Do Not Expect Five Nines From My Home Server"),
        ("gadget-hour.xml", "310: Should We Still Buy Optical Discs?"),
        ("night-signal.xml", "221 - The Fog Choir, Explained"),
        ("kestrel-devlog.xml", "‘Absolutely Right’: notes from our design review"),
        ("northwire.xml", "U.S. regulators fine FastPay $4.2 million over hidden fees"),
        ("tagesblick.xml", "Landgericht Bremen I verurteilt Betrüger zu drei Jahren Haft"),
        ("kestrel-devlog.xml", "Test"),
    ],
)
def test_a_blog_or_podcast_title_is_the_headline_whole(feed: str, title: str) -> None:
    """First person, questions, numbering, full stops inside and quoted titles all stay."""
    assert _headline(messy.entry(feed, title)) == title


@pytest.mark.parametrize(
    "title",
    [
        "iPad mini 7 rumours point to a spring launch",
        "eBay Inc. reports a 6% rise in third-quarter revenue",
        "iCloud outage leaves some users without backups for three hours",
    ],
)
def test_a_lower_case_brand_keeps_its_first_letter(title: str) -> None:
    feed = "circuit-daily.xml" if not title.startswith("eBay") else "byte-ledger.rss"
    assert _headline(messy.entry(feed, title)) == title


def test_a_sponsor_read_is_never_the_headline() -> None:
    for article in messy.feed("gadget-hour.xml"):
        headline = _headline(article)
        assert headline == article.title
        assert "code" not in headline.lower()


def test_a_loaded_title_loses_words_and_nothing_else() -> None:
    title = "Council approves a very controversial flood barrier"
    assert deload_title(title) == "Council approves a controversial flood barrier"
    assert deload_title("Outrageous tax hike approved") == "Tax hike approved"
    # A repair that would rewrite the title rather than drop words keeps the title.
    assert deload_title("eBay shares rise") == "eBay shares rise"


def test_a_name_calling_title_gives_way_to_a_neutral_clause_of_the_summary() -> None:
    headline = _headline(BRIDGE_LOADED)
    assert "Useless" not in headline and "!" not in headline
    assert headline.startswith("Inspectors found cracked bearings")


def test_without_a_title_the_headline_is_a_summary_clause_ending_at_a_boundary() -> None:
    untitled = replace(BRIDGE_WIRE, title="")
    item = SUMMARISER.summarise_story(story(untitled))
    assert item.headline
    assert not item.headline.endswith("…")
    assert item.sentences[0].text.startswith(item.headline)
    long = (
        "The roads agency closed the Tanner Street bridge on Monday, after inspectors found "
        "cracked bearings under its central span during a routine check of the crossing."
    )
    assert summary_clause(long) == "The roads agency closed the Tanner Street bridge on Monday"


def test_a_title_the_parser_made_from_the_text_counts_as_none() -> None:
    text = (
        "Use code SAVE for 10% off. The harbour ferry will run every twenty minutes from "
        "Monday, the operator said on Friday in a statement to passengers."
    )
    made_up = replace(BRIDGE_WIRE, title=text[:60].rsplit(" ", 1)[0] + "…", text=text)
    headline = choose_headline([made_up], "The harbour ferry will run every twenty minutes.")
    assert headline == "The harbour ferry will run every twenty minutes"


def test_an_outlet_suffix_goes_only_when_it_names_the_outlet() -> None:
    named = replace(BRIDGE_WIRE, title="Bridge shut after cracks found | Coastline Wire")
    assert choose_headline([named]) == "Bridge shut after cracks found"
    numbered = replace(BRIDGE_WIRE, title="221 - The Fog Choir, Explained")
    assert choose_headline([numbered]) == "221 - The Fog Choir, Explained"


def test_no_headline_is_ever_empty() -> None:
    bare = replace(BRIDGE_WIRE, title="", text="")
    assert choose_headline([bare]) == "Untitled story"


def test_an_entry_without_a_title_is_headlined_by_its_first_clause() -> None:
    """The parser names an untitled entry by its opening words; that is not a title.

    The clause keeps who said it: the cut comes after the attribution, not before it.
    """
    note = next(a for a in messy.feed("quay-notes.xml") if a.text.startswith("Ferry"))
    assert note.title.endswith("…")
    assert _headline(note) == (
        "Ferry service to Kestrel Bay resumes on Monday after the strike at Port Selwyn ended, "
        "the operator said on Friday"
    )


# One outlet's report of a ferry timetable change, with titles of several kinds.
FERRY_REPORT = (
    "The Marlow Ferry crossing will run every forty minutes instead of every twenty from "
    "March, the operator Harbour Lines said on Friday. Fares rise by 30 pence to 2.80 pounds "
    "for adults, the third rise in two years, according to the operator's notice. The "
    "company said fewer crew were available after two deckhands retired."
)


def _ferry(title: str, text: str = FERRY_REPORT) -> Article:
    return replace(BRIDGE_WIRE, title=title, text=text)


@pytest.mark.parametrize(
    "title",
    [
        "Ferry fares rise for the FOURTH time as crossings are halved",  # shouting
        "Why Should Marlow Pay More for Half the Ferries?",  # the writer's question
        "We Are All Paying for the Ferry Cuts Now",  # the writer's voice
    ],
)
def test_a_loaded_single_outlet_title_gives_way_to_a_neutral_clause(title: str) -> None:
    item = SUMMARISER.summarise_story(story(_ferry(title)))
    assert item.headline != title
    assert item.headline.startswith("The Marlow Ferry crossing will run every forty minutes")
    assert not item.headline.endswith(("…", ","))


def test_a_neutral_single_outlet_title_stays_and_a_removable_word_just_goes() -> None:
    neutral_title = "Marlow ferry to run every forty minutes as fares rise"
    assert SUMMARISER.summarise_story(story(_ferry(neutral_title))).headline == neutral_title
    loaded = "Marlow ferry to run every forty minutes as fares rise very sharply"
    assert SUMMARISER.summarise_story(story(_ferry(loaded))).headline == (
        "Marlow ferry to run every forty minutes as fares rise sharply"
    )
    scare = "Ferry fares rise again, and the “savings” go to the operator"
    assert SUMMARISER.summarise_story(story(_ferry(scare))).headline == (
        "Ferry fares rise again, and the savings go to the operator"
    )


def test_a_full_article_that_never_uses_its_titles_words_is_headlined_by_its_summary() -> None:
    """The title frames the story ("saga", "stranded") in words the report never uses."""
    long_report = " ".join(
        [
            FERRY_REPORT,
            "The operator said the timetable would be reviewed in September once new crew "
            "members had finished their training at the college in Brenton.",
            "Passengers can buy a monthly ticket for 48 pounds, unchanged from last year, "
            "the notice said, and children under five travel free on every crossing.",
            "The council, which owns the landing stages on both banks, said it had not been "
            "consulted about the change and would ask the operator to meet councillors.",
            "The crossing carried about 410,000 passengers last year, according to the "
            "council's transport report, most of them commuters travelling to Brenton.",
            "The last crossing of the day will leave at 22:40 instead of 23:20, the "
            "operator said, and the first will leave at 06:20 as before.",
        ]
    )
    assert len(long_report.split()) >= 150
    item = SUMMARISER.summarise_story(story(_ferry("Saga Leaves Islanders Stranded", long_report)))
    assert item.headline.startswith("The Marlow Ferry crossing will run every forty minutes")
    teaser = _ferry("Saga Leaves Islanders Stranded")  # a short teaser says too little to tell
    assert SUMMARISER.summarise_story(story(teaser)).headline == "Saga Leaves Islanders Stranded"


def test_a_three_outlet_story_takes_a_news_outlets_neutral_title_over_a_loaded_one() -> None:
    from tests.summarise.test_opinion import COLUMN, REPORT_A, REPORT_B

    loaded_column = replace(COLUMN, title="Marlow council's harbour levy: visitors fleeced AGAIN")
    item = SUMMARISER.summarise_story(story(loaded_column, REPORT_A, REPORT_B))
    assert item.headline in (REPORT_A.title, REPORT_B.title)
    # A news outlet's loaded title also loses to another outlet's neutral one.
    shouting = replace(
        REPORT_A, title="Marlow council approves harbour levy: visitors to FOOT the bill"
    )
    item = SUMMARISER.summarise_story(story(shouting, REPORT_B))
    assert item.headline == REPORT_B.title


# Issue 13: loaded titles recognised broadly (published sentiment lexicons, quotations,
# intensifiers), neutral ones kept, and the fallback clause ending at a clause boundary.


@pytest.mark.parametrize(
    "title",
    [
        # Evaluative words of the published lexicons, none of them in the project's own lists.
        "Marlow's pathetic ferry timetable is a nightmarish, miserable mess",
        # A scare quote and a loaded phrase inside quotation marks still show in a headline.
        "Ferry ‘savings’ leave islanders facing a ‘disgraceful, horrible’ winter",
        # Superlative of an evaluative word, with an intensifier.
        "The most shameful ferry decision ever, and islanders are truly furious",
    ],
)
def test_a_title_loaded_by_the_published_lexicons_gives_way_to_the_lead_clause(
    title: str,
) -> None:
    item = SUMMARISER.summarise_story(story(_ferry(title)))
    assert item.headline != title
    assert item.headline.startswith("The Marlow Ferry crossing will run every forty minutes")
    assert item.sentences[0].text.startswith(item.headline)


@pytest.mark.parametrize(
    "title",
    [
        "Marlow ferry to run every forty minutes as fares rise",
        # Words of violence, death or crime state events: a sentiment lexicon scores them, a
        # headline check must not.
        "Deckhand killed in ferry crash; operator cuts crossings after the accident",
        "Man arrested over attack on Marlow ferry crew, police say",
        # One quoted word from a named speaker is a quotation, not a scare quote alone.
        "Operator says ferry timetable change 'unavoidable' as fares rise",
    ],
)
def test_a_neutral_title_is_kept_even_with_words_of_crime_or_a_quotation(title: str) -> None:
    item = SUMMARISER.summarise_story(story(_ferry(title)))
    assert item.headline == title


def test_a_loaded_title_of_one_outlet_loses_to_another_outlets_neutral_title() -> None:
    neutral_report = _ferry("Marlow ferry to run every forty minutes as fares rise")
    loaded = replace(
        _ferry("Islanders furious at pathetic, shameful ferry cuts"),
        outlet="The Daily Klaxon",
        id="klaxon:ferry",
        url="https://klaxon.example/ferry",
    )
    item = SUMMARISER.summarise_story(story(loaded, neutral_report))
    assert item.headline == "Marlow ferry to run every forty minutes as fares rise"


def test_the_fallback_clause_ends_at_a_clause_boundary_and_keeps_its_speaker() -> None:
    # Cut before a relative clause: what is left is a whole statement.
    assert (
        summary_clause(
            "The council approved a new timetable for the Marlow Ferry crossing on Tuesday, "
            "which will cut the number of crossings by half from the start of March."
        )
        == "The council approved a new timetable for the Marlow Ferry crossing on Tuesday"
    )
    # An introductory phrase is not the headline: the main clause after it is.
    opening = (
        "After a month of talks with the crew and the council, Harbour Lines said on "
        "Friday it would run the ferry every forty minutes."
    )
    assert summary_clause(opening) == (
        "Harbour Lines said on Friday it would run the ferry every forty minutes"
    )
    # A name before its appositive is not a clause: no cut there.
    appositive = (
        "Jane Ortiz, the operator's chief executive since 2019 and a former deckhand, "
        "resigned on Monday after the timetable was changed."
    )
    headline = summary_clause(appositive)
    assert headline.startswith("Jane Ortiz, the operator's chief executive")
    assert "resigned on Monday" in headline
    # A cut never drops who said it.
    attributed = (
        "Fares on the Marlow Ferry will rise by 30 pence in March to pay for new crew, "
        "the operator Harbour Lines said in a notice to passengers on Friday."
    )
    assert summary_clause(attributed).endswith("said in a notice to passengers on Friday")
    for sentence in (opening, appositive, attributed):
        assert not summary_clause(sentence).endswith(("…", ",", "..."))


def test_a_lead_sentence_that_speaks_to_the_reader_never_replaces_a_title() -> None:
    """Poll or subscription text that slipped into a summary is no headline: the title
    stays, without the evaluative words that qualify another word."""
    loaded = _ferry("Islanders furious at pathetic, shameful ferry cuts")
    for page_talk in (
        "Answer three questions and you will get our ferry newsletter at no cost.",
        "Cast your vote in our ferry poll before Friday and tell us what you think.",
    ):
        assert choose_headline([loaded], page_talk) == "Islanders furious at ferry cuts"


@pytest.mark.parametrize(
    ("title", "plainer"),
    [
        (
            "Councillor makes shocking claim about ferry fares",
            "Councillor makes claim about ferry fares",
        ),
        ("The Most Shameful Ferry Decision Yet", "The Ferry Decision Yet"),
        # The statement itself, a name, and a quotation stay as written.
        ("Ferry plan is unfair, islanders say", "Ferry plan is unfair, islanders say"),
        ("Grand Canyon trail reopens after storm", "Grand Canyon trail reopens after storm"),
        (
            "Operator calls the cuts ‘painful but necessary’",
            "Operator calls the cuts ‘painful but necessary’",
        ),
    ],
)
def test_a_plainer_title_only_loses_evaluative_words(title: str, plainer: str) -> None:
    assert plainer_title(title) == plainer


@pytest.mark.parametrize(
    ("sentence", "headline"),
    [
        (
            "Last July, after weeks of delays, the Marlow Ferry returned to its full timetable "
            "of crossings between the island and the harbour.",
            "The Marlow Ferry returned to its full timetable of crossings between the island "
            "and the harbour",
        ),
        (
            "While critics of the operator keep saying that nothing will ever change on the "
            "crossing, the council approved a new timetable for the ferry.",
            "The council approved a new timetable for the ferry",
        ),
        (
            "Being the most tireless champion of island causes, the councillor met the ferry "
            "crew on Monday to hear their complaints about the timetable.",
            "The councillor met the ferry crew on Monday to hear their complaints about the "
            "timetable",
        ),
    ],
)
def test_a_fallback_headline_starts_at_the_main_clause(sentence: str, headline: str) -> None:
    """An opening phrase (a time, "While ...", a participle's sneer) is not what happened."""
    assert summary_clause(sentence) == headline


@pytest.mark.parametrize(
    "sentence",
    [
        # A condition: "She will cut fares" would state as fact what is only promised.
        "If elected, she will cut the ferry fares for every islander by half from the start "
        "of March next year.",
        # Who said it stays.
        "According to the harbour police, the man drove the stolen ferry into the harbour "
        "wall on Friday night after the party.",
        # A one-word subject and a name ending in -ing are not openings.
        "This, the councillor said, is the end of the ferry service on the island after a "
        "century of crossings.",
        "Reading, the town upriver, said on Monday that its own ferry would resume in the "
        "spring after a long pause.",
    ],
)
def test_a_fallback_headline_keeps_conditions_speakers_and_subjects(sentence: str) -> None:
    assert summary_clause(sentence).startswith(sentence.split(",")[0])


def test_a_long_fallback_headline_ends_where_a_conjunction_joins_two_clauses() -> None:
    sentence = (
        "The inspector's report on the operator's handling of the ferry crossing has been "
        "released to the public and while it does criticise the chief executive for his "
        "handling of the timetable, it stops short of blaming the crew."
    )
    assert summary_clause(sentence) == (
        "The inspector's report on the operator's handling of the ferry crossing has been "
        "released to the public"
    )
