"""The news sentence splitter: abbreviations, initials, decimals, quotes, datelines, scripts."""

from __future__ import annotations

import pytest

from bot.summarise.sentences import content_words, split_sentences, strip_dateline


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Hale met Sen. Ortiz at 3 p.m. on Jan. 5 in Washington. They spoke for an hour.",
            [
                "Mr. Hale met Sen. Ortiz at 3 p.m. on Jan. 5 in Washington.",
                "They spoke for an hour.",
            ],
        ),
        (
            "George H. W. Bush served one term. U.S. officials said growth was 3.5 percent.",
            ["George H. W. Bush served one term.", "U.S. officials said growth was 3.5 percent."],
        ),
        (
            '"We will not stop. We never do," the mayor said. The council adjourned.',
            ['"We will not stop. We never do," the mayor said.', "The council adjourned."],
        ),
        (
            '"Why now?" she asked. Nobody answered!',
            ['"Why now?" she asked.', "Nobody answered!"],
        ),
        (
            "Shares of Acme Inc. rose. Shares of Brill Ltd. fell on Friday.",
            ["Shares of Acme Inc. rose.", "Shares of Brill Ltd. fell on Friday."],
        ),
    ],
)
def test_splits_news_text_where_a_reader_would(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_line_breaks_end_sentences_and_byline_lines_are_dropped() -> None:
    text = "By Jo Marsh\nThe first paragraph has no full stop\n\nThe second one does."
    assert split_sentences(text) == ["The first paragraph has no full stop", "The second one does."]


def test_empty_and_whitespace_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\t \n") == []


def test_scripts_without_spaces_split_on_their_own_full_stops() -> None:
    assert split_sentences("港の橋が閉鎖された。修理は六週間かかる。") == [
        "港の橋が閉鎖された。",
        "修理は六週間かかる。",
    ]


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("GENEVA (Reuters) - The agency said on Monday.", "The agency said on Monday."),
        ("LONDON, March 3 (AP) — Police said two men were held.", "Police said two men were held."),
        ("Marlow Ferry - The bridge was closed.", "The bridge was closed."),
        (
            "The minister said - not for the first time - that",
            "The minister said - not for the first time - that",
        ),
    ],
)
def test_strip_dateline_removes_only_a_leading_dateline(sentence: str, expected: str) -> None:
    assert strip_dateline(sentence) == expected


def test_content_words_drop_function_words_and_fold_plurals() -> None:
    assert content_words("The officials' talks with the mayor's office") == [
        "official",
        "talk",
        "mayor",
        "office",
    ]


def test_hostile_text_splits_in_linear_time() -> None:
    import time

    # One huge line with a quotation mark that never closes.
    text = '"' + " ".join(f"This is sentence number {i}." for i in range(40000))
    start = time.perf_counter()
    sentences = split_sentences(text)
    assert time.perf_counter() - start < 5
    assert len(sentences) > 30000
