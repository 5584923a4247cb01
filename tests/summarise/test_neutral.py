"""Loaded-language detection and repair (the project's lexicon and pattern rules)."""

from __future__ import annotations

import re

import pytest

from bot.summarise.neutral import assess, deload_headline, is_attributed, repair_sentence


@pytest.mark.parametrize(
    "sentence",
    [
        "These clowns ignored the warnings for years.",  # name-calling
        "The council has done it again!",  # exclamation
        "Who could have seen this coming?",  # rhetorical question
        "Perhaps proving the point, the mayor left early.",  # editorial opener
        "Drivers will pay the levy EVERY DAY of the week.",  # shouting
        "Among them was the supposed tough guy of the group.",  # sarcasm
    ],
)
def test_strong_markers_make_a_sentence_unfit_to_show(sentence: str) -> None:
    assert assess(sentence).strong


@pytest.mark.parametrize(
    ("sentence", "term"),
    [
        ("The tariff strikes fear into small exporters.", "strikes fear"),
        ("The ruling sent shockwaves through the industry.", "sent shockwaves"),
        ("The proposal sparked outrage among residents.", "sparked outrage"),
        ("The minister hit out at the regulator on Friday.", "hit out at"),
        ("The senator tore into the budget plan.", "tore into"),
        ("The club's decision sparks fury among fans.", "sparks fury"),
    ],
)
def test_headline_drama_phrases_are_strong_markers(sentence: str, term: str) -> None:
    found = assess(sentence)
    assert term in found.terms and found.strong


@pytest.mark.parametrize(
    ("sentence", "term"),
    [
        ("The mayor slams the transport plan.", "slams"),
        ("The brazen raid took place at night.", "brazen"),
        ("Fans reacted with fury to the transfer.", "fury"),
        ("The post caused a firestorm online.", "firestorm"),
        ("Drivers face eye-watering fuel bills.", "eye-watering"),
    ],
)
def test_drama_words_are_loaded(sentence: str, term: str) -> None:
    assert term in assess(sentence).terms


@pytest.mark.parametrize(
    "sentence",
    [
        "The bridge was closed on Monday after inspectors found cracked bearings.",
        "About 18,000 vehicles cross the bridge each day, according to agency figures.",
        "The plan was supposed to start in May, officials said.",
        "US and EU negotiators met in Brussels on Tuesday.",
    ],
)
def test_plain_reporting_reads_as_clean(sentence: str) -> None:
    assert assess(sentence).clean


def test_loaded_words_inside_an_attributed_quote_cost_less_than_the_writers_own() -> None:
    quoted = assess('"It is a disgraceful decision," the union leader said.')
    own = assess("It is a disgraceful decision by the council.")
    assert 0 < quoted.score < own.score
    assert not quoted.strong


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "The embattled council faces a very serious budget gap.",
            "The council faces a serious budget gap.",
        ),
        (
            "The senator – a shameless liar – voted against the bill.",
            "The senator voted against the bill.",
        ),
        ("Its so-called reform passed on Tuesday.", "Its reform passed on Tuesday."),
        (
            "Rebels also left Mosul, including “caliph” Abu Bakr.",
            "Rebels also left Mosul, including caliph Abu Bakr.",
        ),
        ("Extremely, the vote was close.", "The vote was close."),
    ],
)
def test_repair_deletes_loaded_wording_and_keeps_the_claim(sentence: str, expected: str) -> None:
    repaired = repair_sentence(sentence)
    assert repaired == expected
    assert assess(repaired).score < assess(sentence).score


def test_repair_only_deletes_it_never_adds_a_word() -> None:
    sentence = "The brutal, shocking attack left a truly devastating toll, police said."
    repaired = repair_sentence(sentence)
    original = _words(sentence)
    assert set(_words(repaired)) <= set(original)
    assert "police" in repaired and "said" in repaired


def test_repair_leaves_quoted_words_as_the_speaker_said_them() -> None:
    sentence = 'The minister called the delay "utterly disgraceful," officials said.'
    assert repair_sentence(sentence) == sentence


def test_repair_keeps_adjectives_that_are_nouns_or_facts() -> None:
    assert repair_sentence("A militant fired at the convoy.") == "A militant fired at the convoy."
    assert repair_sentence("He held a fake passport.") == "He held a fake passport."


def test_attribution_is_recognised() -> None:
    assert is_attributed("The bridge will reopen in May, the agency said.")
    assert is_attributed("According to the mayor, 400 people left.")
    assert not is_attributed("The bridge will reopen in May.")


def test_headline_loses_exclamations_and_loaded_adjectives() -> None:
    assert (
        deload_headline("Shocking bridge closure angers drivers!")
        == "Bridge closure angers drivers"
    )


@pytest.mark.parametrize(
    "title",
    [
        "Stunning, pathetic collapse of the harbour plan",  # verdict words (lexicons)
        "Thugs storm the council chamber",  # name-calling
        "If the Ferry Story Is True, the Mayor Has to Go",  # the writer's verdict
    ],
)
def test_deload_title_refuses_a_title_that_stays_loaded(title: str) -> None:
    from bot.summarise.neutral import deload_title

    assert deload_title(title) is None


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Council approves harbour budget", "Council approves harbour budget"),
        ("Embattled council approves harbour budget", "Council approves harbour budget"),
        ("Why I quit my job at the harbour?", "Why I quit my job at the harbour?"),
        ("Do Not Expect Five Nines From My Router", "Do Not Expect Five Nines From My Router"),
        ("Mayor must resign, union says", "Mayor must resign, union says"),
    ],
)
def test_deload_title_keeps_news_blog_and_podcast_titles(title: str, expected: str) -> None:
    from bot.summarise.neutral import deload_title

    assert deload_title(title) == expected


@pytest.mark.parametrize(
    ("sentence", "term"),
    [
        ("The levy is only the tip of the iceberg for harbour users.", "tip of the iceberg"),
        ("It was the worst flooding in the history of the harbour town.", "superlative"),
        ("If the mayor were to testify, even a junior clerk could expose her.", "hypothetical"),
    ],
)
def test_idioms_exaggeration_and_hypotheticals_cost_but_are_not_strong(
    sentence: str, term: str
) -> None:
    found = assess(sentence)
    assert term in found.terms
    assert found.score >= 1.0 and not found.strong


def test_a_record_stated_plainly_is_not_exaggeration() -> None:
    assert assess("The tide was the highest on record at the harbour.").clean


def test_never_before_inversion_is_exaggeration() -> None:
    assert "never before" in assess("Never before has a council spent so much on a wall.").terms
    assert assess("He never said that the harbour was closed.").clean


def test_a_quotation_running_on_to_the_next_line_is_still_the_speakers() -> None:
    from bot.summarise.neutral import assess

    quoted = "A ferry company spokesman said: 'It is clear that the winter crossings will stop."
    assert not assess(quoted).strong
    assert assess("It is clear that the winter crossings will have to stop.").strong
