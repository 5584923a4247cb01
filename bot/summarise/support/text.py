"""Sentences as tokens that can be matched against a source: names, numbers, words, cues.

Every token has a `key` under which it matches the source: a light stem for words, the digits
for numbers ("5,000", "5000" and "five thousand" are not merged, but "five" is "5").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

TokenKind = Literal["name", "number", "word", "stop", "negation", "hedge"]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that turn a claim into its opposite.
NEGATIONS = _words("not no never none nobody nothing neither nor without cannot n't")
# Words that make a claim uncertain, planned or reported rather than done.
HEDGES = _words(
    "may might could possibly probably reportedly allegedly apparently likely unlikely "
    "expected plans planned planning proposed suspected"
)
# Words that carry no claim of their own, or only the attribution the prompt asks for.
STOPWORDS = _words(
    """a an the and or but if then than that this these those there here of in on at to for
    from by with as is are was were be been being has have had do does did will shall can
    it its it's they them their he him his she her we our you your i me my who whom whose
    which what when where why how also after before about into over under up down out off
    again further once all any both each few more most other some such only own same so too
    very just said says say saying told tells according reported reports report reporting
    stated states announced announces added adds noted notes wrote writes write per while
    during between through against among until since new mr mrs ms yet even ever still
    already"""
)
NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "fifteen": "15",
    "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
}  # fmt: skip
# Left by models that met a word outside their vocabulary: never part of a sentence shown.
PLACEHOLDERS = frozenset({"unk", "<unk>", "[unk]", "<pad>", "[mask]", "<mask>", "@placeholder"})
_TOKEN = re.compile(
    r"<unk>|\[unk\]|<pad>|\[mask\]|<mask>|@placeholder"
    r"|\d+(?:[.,:/]\d+)*"
    r"|[^\W\d_]+(?:['’][^\W\d_]+)*",
    re.IGNORECASE,
)
# Inflections and the commonest derivations, so "opposed" meets "opposition" and "approval"
# meets "approved"; longest first.
_SUFFIXES = (
    "ations", "ation", "itions", "ition", "ments", "ment", "ions", "ion", "ings", "ing",
    "ies", "ied", "ers", "er", "als", "al", "es", "ed", "e", "s", "ly",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Token:
    """One token of a sentence: as written, its matching key, what kind of token it is."""

    text: str
    key: str
    kind: TokenKind

    @property
    def claims(self) -> bool:
        """Names, numbers and content words: what a source must hold."""
        return self.kind in ("name", "number", "word")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light stem: "approves", "approved", "approving" -> "approv"; "cities" -> "city"."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    word = word.rstrip("'")
    for suffix in _SUFFIXES:
        if len(word) - len(suffix) >= 3 and word.endswith(suffix):
            stemmed = word[: -len(suffix)]
            return stemmed + "y" if suffix in ("ies", "ied") else stemmed
    return word


def number_key(token: str) -> str:
    """ "5,000" and "5000" are one number; "3.5" keeps its point."""
    return token.replace(",", "")


@lru_cache(maxsize=65536)
def _classify(word: str, positional: bool) -> Token:
    lower = word.lower().replace("’", "'")
    if word[0].isdigit():
        return Token(word, number_key(word), "number")
    if lower in NUMBER_WORDS:
        return Token(word, NUMBER_WORDS[lower], "number")
    if lower in NEGATIONS or lower.endswith("n't"):
        return Token(word, "not", "negation")
    if lower in HEDGES and (positional or not word[0].isupper()):
        return Token(word, lower, "hedge")  # "may", but not the month "May"
    if lower in STOPWORDS or lower in PLACEHOLDERS:
        return Token(word, lower, "stop")
    if word[0].isupper() and not (positional and lower in STOPWORDS):
        return Token(word, stem(word), "name")
    return Token(word, stem(word), "word")


# Words seen before, classified in their usual place (not first): most words of an article
# have been seen, and a dict lookup is the cheapest way to tokenise it.
_SEEN: dict[str, Token] = {}
_SEEN_LIMIT = 200_000


def _word(word: str) -> Token:
    token = _SEEN.get(word)
    if token is None:
        if len(_SEEN) >= _SEEN_LIMIT:
            _SEEN.clear()
        token = _SEEN[word] = _classify(word, False)
    return token


def tokenize(text: str) -> tuple[Token, ...]:
    """The tokens of one sentence; the first word is capitalised by position, not as a name."""
    found = _TOKEN.findall(text)
    if not found:
        return ()
    seen = _SEEN.get
    return (
        _classify(found[0], True),
        *[seen(w) or _word(w) for w in found[1:]],
    )


def placeholders(text: str) -> list[str]:
    """Placeholder tokens ("UNK", "<unk>") a model left in `text`."""
    return [w for w in _TOKEN.findall(text) if w.lower() in PLACEHOLDERS]
