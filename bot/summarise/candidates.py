"""Candidate sentences of a story: the ones that can stand alone, with TF-IDF vectors.

Each article is split into sentences; captions, page furniture, headlines, fragments and
the tails of quotations are dropped, and the first usable sentences of each article get a
TF-IDF vector over the story's sentences. Neutrality is checked later, by the summariser.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import Article
from bot.summarise import furniture, neutral
from bot.summarise.sentences import (
    CLOSE_STRAIGHT_SINGLE,
    STOPWORDS,
    content_words,
    iter_sentences,
    lower_case_start,
    strip_dateline,
)

MIN_WORDS = 5
MAX_WORDS_SENTENCE = 70
_PRIOR_SENTENCES = 5
MAX_CANDIDATES_PER_ARTICLE = 10
UNCHECKED = neutral.Loadedness(0.0, False, ())

# Page furniture that feeds leave in article text (checked as plain substrings: fast).
_BOILERPLATE = (
    "click here",
    "read more",
    "sign up",
    "subscribe",
    "follow us",
    "newsletter",
    "all rights reserved",
    "http://",
    "https://",
    "www.",
    "©",
    "@",
    "(youtube)",
    "(video)",
    "(photo)",
    "(getty",
    "(image",
)
_FURNITURE_START = (
    "advertisement",
    "related",
    "watch:",
    "video:",
    "photo:",
    "image:",
    "share ",
    "scroll down",
)
_TERMINAL = (".", "!", "?", "。", "！", "？")
_CLOSED_MIN_WORDS = 9
LETTERS = re.compile(r"[^\W\d_]+")
# "(pictured)", "(left)": pointers to photos the reader of a digest cannot see.
_PHOTO_DIRECTION = re.compile(
    r"\s*\((?:pictured|above|below|left|right|centre|center|top|bottom|inset|file photo|"
    r"(?:far|second|third|front|back) (?:left|right|row)|(?:pictured|seen|shown) [\w ,]{1,30})\)",
    re.IGNORECASE,
)
_CLOSERS = "\"”’')]»"
_BRACKETS = frozenset("[({")
_TAIL_CLOSE_SINGLE = frozenset((".’", "!’", "?’"))
_TAIL_CLOSE_STRAIGHT = frozenset(('."', '!"', '?"', ".'", "!'", "?'"))
_OPEN_STRAIGHT = re.compile(r"(?:^|\s)['\"]\w")
_CLOSE_CURLY_SINGLE = re.compile(r"’(?![^\W_])")
_CLOSER = re.compile(r"[.,!?…][’'\"”](?![^\W_])")
_OPENER = re.compile(r"(?:^|\s)[‘'\"“][^\W_]")
_OPENING_MARKS = frozenset("\"“‘'")
_CLOSING_MARKS = frozenset("\"”’'")
# Sentences after one that leaves a quotation open that are taken to be inside it (a
# speaker's quotation running over several paragraphs); a stray mark ends the run soon.
QUOTE_CARRY = 3


@dataclass(frozen=True)
class Candidate:
    text: str
    article: Article
    position: int
    vector: dict[str, float]
    loaded: neutral.Loadedness
    words: int
    # False for a sentence that opens a quotation it does not close: shown alone, the
    # quotation never ends. It still counts for what the story is about.
    showable: bool = True


def looks_english(articles: Sequence[Article]) -> bool:
    """English text is full of function words; other languages (and scripts) are not."""
    sample = " ".join(a.title + " " + a.text[:1000] for a in articles).lower()
    tokens = LETTERS.findall(sample)
    if not tokens:
        return True
    function_words = sum(map(STOPWORDS.__contains__, tokens))
    return function_words / len(tokens) >= 0.15


def usable(sentence: str, title: str) -> bool:
    words = sentence.count(" ") + 1
    if not (MIN_WORDS <= words <= MAX_WORDS_SENTENCE):
        return False
    # Headlines and captions end without a full stop; a quotation may end on its mark.
    ends_on_quote = sentence.endswith(tuple(_CLOSERS)) and words >= _CLOSED_MIN_WORDS
    if not sentence.rstrip(_CLOSERS).endswith(_TERMINAL) and not ends_on_quote:
        return False
    lower = sentence.lower()
    if lower.startswith(_FURNITURE_START) or any(marker in lower for marker in _BOILERPLATE):
        return False
    if sentence.rstrip(" .").lower() == title.rstrip(" .").lower():
        return False
    if sentence.isupper():
        return False  # an ALL-CAPS line is a heading or a caption
    if lower_case_start(sentence):
        return False  # the tail of a sentence (or of a quotation) broken across lines
    if sentence[:1] in _BRACKETS:
        return False  # "[In Sijilmasa] one hundred ...": an aside or an editor's insertion
    if quote_tail(sentence):
        return False  # the end of a quotation begun earlier: the speaker is not named
    long_words = [w for w in sentence.split() if len(w) > 3]
    capitalised = sum(1 for w in long_words if w[0].isupper())
    return capitalised < 0.7 * len(long_words)  # a Title Case Line is a headline


def quote_left_open(sentence: str) -> bool:
    """ "“It is not rude to people.": opens a quotation that ends in a later sentence."""
    return (
        sentence.count("“") > sentence.count("”")
        # ’ is also an apostrophe ("didn’t"): only one before a non-letter closes
        or ("‘" in sentence and sentence.count("‘") > len(_CLOSE_CURLY_SINGLE.findall(sentence)))
        or sentence.count('"') % 2 == 1
        or (sentence.startswith("'") and CLOSE_STRAIGHT_SINGLE.search(sentence, 1) is None)
    )


def bare_quotation(sentence: str) -> bool:
    """ "“We elected you to make reforms!”": a quotation and nothing else. Its speaker is
    named in another sentence, so shown alone nobody is said to have said it."""
    if sentence[:1] not in _OPENING_MARKS or sentence.rstrip()[-1:] not in _CLOSING_MARKS:
        return False
    spans = neutral.quoted_spans(sentence)
    if not spans or spans[0][0] != 0:
        return False
    return not neutral.without_quotes(sentence, spans).strip(" .,;:!?—–-")


def quote_tail(sentence: str) -> bool:
    """ "I missed it all.’": closes a quotation that this sentence never opened."""
    if sentence.count("”") > sentence.count("“"):
        return True
    end = sentence[-2:]
    if end in _TAIL_CLOSE_SINGLE:
        return "‘" not in sentence
    if end in _TAIL_CLOSE_STRAIGHT:
        return sentence.count(end[-1]) % 2 == 1 and not _OPEN_STRAIGHT.search(sentence)
    return False


def collect_candidates(articles: Sequence[Article], *, english: bool) -> list[Candidate]:
    """Sentences that can stand alone, with TF-IDF vectors (neutrality is checked later).

    Only the first `MAX_CANDIDATES_PER_ARTICLE` usable sentences of an article compete: news
    puts what matters first, and the tail of a long article costs time without changing
    the choice.
    """
    raw: list[tuple[str, Article, int, dict[str, int]]] = []
    unshowable: set[int] = set()
    for article in articles:
        if furniture.is_link_post(article.title):
            continue  # a list of other pages: nothing in it is this story's content
        position, carried = 0, 0
        for sentence in iter_sentences(article.text):
            if position >= MAX_CANDIDATES_PER_ARTICLE:
                break
            text = strip_dateline(sentence) if position == 0 else sentence
            # Inside a quotation opened by an earlier sentence: the speaker's words, whose
            # speaker this sentence does not name (shown alone, they read as the outlet's).
            inside, carried = carried > 0, _carry(text, carried)
            if "(" in text:
                text = _PHOTO_DIRECTION.sub("", text)
            if furniture.is_furniture(text):
                continue  # sponsor reads, captions, polls, pasted logs: never content
            if english and not usable(text, article.title):
                continue
            if inside or quote_left_open(text) or bare_quotation(text):
                unshowable.add(len(raw))
            raw.append((text, article, position, _counts(content_words(text))))
            position += 1
    df: dict[str, int] = {}
    for *_, counts in raw:
        for term in counts:
            df[term] = df.get(term, 0) + 1
    n = len(raw) + _PRIOR_SENTENCES
    idf = {term: math.log(n / count) for term, count in df.items()}
    out = []
    for index, (text, article, position, counts) in enumerate(raw):
        vector = {t: (1 + math.log(c) if c > 1 else 1.0) * idf[t] for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        out.append(
            Candidate(
                text=text,
                article=article,
                position=position,
                vector={t: v / norm for t, v in vector.items()},
                loaded=UNCHECKED,
                words=text.count(" ") + 1,
                showable=index not in unshowable,
            )
        )
    return out


def _carry(sentence: str, carried: int) -> int:
    """How many of the next sentences are still inside a quotation, after `sentence`."""
    if quote_tail(sentence) or (carried and _closes_unopened(sentence)):
        return 0  # a quotation ends here (a straight mark at the end closes, not opens)
    if quote_left_open(sentence):
        return QUOTE_CARRY
    return max(0, carried - 1)


def _closes_unopened(sentence: str) -> bool:
    """ "..., ’ Grealish added.": closes a quotation without opening one."""
    return _CLOSER.search(sentence) is not None and _OPENER.search(sentence) is None


def _counts(words: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(words, 1)
    if len(counts) != len(words):  # rare in one sentence: count properly
        counts = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    return counts


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    return sum(a[t] * b[t] for t in a.keys() & b.keys())
