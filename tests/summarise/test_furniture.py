"""Page furniture is never content (issue 14.3); text present means a summary (14.4)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.summarise.extractive import ExtractiveSummariser
from bot.summarise.furniture import NOTHING_TO_QUOTE, content_sentences, is_furniture
from tests.summarise import messy
from tests.summarise.fixtures import BRIDGE_WIRE, story

SUMMARISER = ExtractiveSummariser()


@pytest.mark.parametrize(
    "line",
    [
        "This episode is sponsored by Harbour Mattress.",
        "Use code TIDE for 15% off your first order.",
        "Go to example.org/offer and use promo code FERRY at checkout.",
        "See omnypod.example/listener for privacy information.",
        "Support the show and get ad-free episodes: become a member today.",
        "Sign up for our newsletter to get the morning briefing.",
        "Photo: the ferry terminal at dawn (Marlow Evening Post)",
        "Image credit: Coastline Wire",
        "Written by Jo Marsh.",
        "Poll: Should the ferry run at night? * Yes * No",
        "2026-11-28T10:02:11Z web[31]: GET /health 503 after 5000ms retry=2 host=web-3 pool=blue",
        "Done. $ make deploy --env=prod build=812 region=eu-west-2",
    ],
)
def test_furniture_lines_are_recognised(line: str) -> None:
    assert is_furniture(line)


@pytest.mark.parametrize(
    "sentence",
    [
        "The council approved the ferry timetable on Tuesday, the harbour office said.",
        "Girl Scouts sell cookies every spring in the town square.",
        "The company said revenue rose 6% to 2.7 billion dollars in the third quarter.",
        "Version 3.11 runs large test suites up to twice as fast, its maintainers said.",
        "Subscribers to the water board's alert service were told on Monday.",
    ],
)
def test_news_sentences_are_content(sentence: str) -> None:
    assert not is_furniture(sentence)


def test_a_link_list_post_has_no_content() -> None:
    links = messy.entry("lena-notebook.atom", "Links for")
    assert content_sentences(links.title, links.text) == []
    item = SUMMARISER.summarise_story(story(links))
    assert item.sentences == ()
    assert item.note == NOTHING_TO_QUOTE


def test_a_podcast_is_summarised_from_its_show_notes_substance() -> None:
    episode = messy.entry("gadget-hour.xml", "309:")
    item = SUMMARISER.summarise_story(story(episode))
    assert item.sentences
    shown = " ".join(s.text for s in item.sentences)
    for furniture in ("code", "sponsored", "privacy", "Trekz"):
        assert furniture not in shown
    fiction = messy.entry("night-signal.xml", "221")
    text = " ".join(s.text for s in SUMMARISER.summarise_story(story(fiction)).sentences)
    assert "fog choir" in text and "promo" not in text and "Written by" not in text


def test_an_episode_of_only_sponsor_reads_is_title_only_with_its_link() -> None:
    episode = messy.entry("gadget-hour.xml", "311:")
    item = SUMMARISER.summarise_story(story(episode))
    assert item.sentences == ()
    assert item.headline == "311: Listener Mail"
    assert item.sources[0].url == "https://gadgethour.example/episodes/311"
    assert item.note == NOTHING_TO_QUOTE
    assert item.summary == f"No summary: {NOTHING_TO_QUOTE}"  # not "gave a headline only"


def test_pasted_log_output_and_captions_are_never_shown() -> None:
    for feed, title in (("kestrel-devlog.xml", "We finally"), ("byte-ledger.rss", "ZenCheck")):
        item = SUMMARISER.summarise_story(story(messy.entry(feed, title)))
        assert item.sentences
        for sentence in item.sentences:
            assert "deploy[" not in sentence.text and "$ " not in sentence.text
    polled = SUMMARISER.summarise_story(story(messy.entry("valley-courier.xml", "Mayor")))
    assert all("Poll" not in s.text and "*" not in s.text for s in polled.sentences)


def test_a_two_sentence_article_gets_a_summary() -> None:
    item = SUMMARISER.summarise_story(story(messy.entry("valley-courier.xml", "Library")))
    assert [s.text for s in item.sentences] == [
        "The Ridgefield public library will open on Sundays from January.",
        "The council approved the change on Tuesday.",
    ]


def test_text_without_a_full_stop_still_gets_a_summary() -> None:
    short = replace(
        BRIDGE_WIRE, text="Tanner Street bridge shut for six weeks of repairs from Monday"
    )
    item = SUMMARISER.summarise_story(story(short))
    assert [s.text for s in item.sentences] == [short.text]
    assert item.note == ""


def test_only_an_article_without_text_is_headline_only() -> None:
    bare = replace(BRIDGE_WIRE, text="")
    item = SUMMARISER.summarise_story(story(bare))
    assert item.sentences == ()
    assert item.note == ""
    assert "headline only" in item.summary


def test_a_fallback_sentence_is_never_part_of_a_quotation_without_its_close() -> None:
    quoted = replace(
        BRIDGE_WIRE,
        title="Council approves harbour plan",
        text='Dana Reyes writes "The council approved the harbour plan on Monday',
    )
    item = SUMMARISER.summarise_story(story(quoted))
    assert item.sentences == ()
    assert item.summary == f"No summary: {NOTHING_TO_QUOTE}"
