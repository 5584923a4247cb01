"""Feed fields become plain text: no markup, script, entity or control character survives."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from bot.feeds.text import INVISIBLE, plain_text


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("<p>Council <b>approves</b> budget</p>", "Council approves budget"),
        ("Rates &amp; fees &#8212; explained", "Rates & fees — explained"),
        ("<script>steal()</script>Ferry resumes", "Ferry resumes"),
        ("<style>p{color:red}</style>Ferry resumes", "Ferry resumes"),
        ("&lt;script&gt;alert(1)&lt;/script&gt;Ferry resumes", "Ferry resumes"),
        ('<img src=x onerror="alert(1)">Photo caption', "Photo caption"),
        ("&lt;img src=x onerror=alert(1)&gt;Photo caption", "Photo caption"),
        ("<p>one</p><p>two</p>", "one two"),
        ("line\none\t\ttabbed   spaced", "line one tabbed spaced"),
        ("bell\x07 null\x00 esc\x1b[31m", "bell null esc[31m"),
        ("evil\u202etxt.exe zero\u200bwidth", "eviltxt.exe zerowidth"),
        ("5 < 6 and 7 > 3", "5 < 6 and 7 > 3"),
        ("<script>never closed", ""),
        ("", ""),
    ],
)
def test_plain_text(given: str, expected: str) -> None:
    assert plain_text(given) == expected


def test_no_angle_bracket_tag_survives_nested_escaping() -> None:
    text = plain_text("&lt;b&gt;Bold&lt;/b&gt; &lt;a href='javascript:x'&gt;link&lt;/a&gt;")
    assert text == "Bold link"


def test_every_invisible_character_is_removed_and_nothing_else() -> None:
    # Check the regex against the Unicode database for every code point.
    invisible = {"Cc", "Cf", "Cs", "Co"}
    kept_whitespace = set("\t\n\x0b\x0c\r")
    wrong = [
        cp
        for cp in range(sys.maxunicode + 1)
        if (INVISIBLE.search(chr(cp)) is not None)
        != (unicodedata.category(chr(cp)) in invisible and chr(cp) not in kept_whitespace)
    ]
    assert wrong == []
