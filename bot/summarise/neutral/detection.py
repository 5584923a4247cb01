"""Loaded-language detection: how loaded one sentence reads, and where its quotations are.

`assess` scores a sentence (name-calling, loaded phrases and words, exclamations,
rhetorical questions, editorial openers, shouting, scare quotes, the writer's opinion);
words inside a quotation attributed to a speaker cost less and are never strong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from bot.summarise.neutral.lexicon import (
    ADJECTIVES,
    AFTER_IMPERATIVE,
    ATTRIBUTION_WORDS,
    EDITORIAL_OPENERS,
    IDIOM_INDEX,
    IDIOM_WORDS,
    IMPERATIVE_VERBS,
    INTENSIFIER_WORDS,
    LOADED,
    MODALS,
    NAMES,
    PERSONAL,
    PHRASE_INDEX,
    READER,
    SHOUTABLE,
    TRIGGERS,
    WORD,
)
from bot.summarise.subjectivity import SUBJECTIVE_ADJECTIVES

W_EXAGGERATION = 1.0
W_HYPOTHETICAL = 1.0
# A superlative stretched to all time ("the worst ... in history"): exaggeration.
_SUPERLATIVE_ALL_TIME = re.compile(
    r"\b(?:\w+est|most \w+|worst|best|biggest)\b[^.;:]{0,60}?\b(?:in (?:\w+ )?history|"
    r"ever|of all time|in living memory|the world has ever)\b",
    re.IGNORECASE,
)
_ALL_TIME_WORDS = frozenset({"history", "ever", "all", "living"})
# "Never before has a council ...": emphatic inversion, the writer's superlative.
_NEVER_INVERSION = re.compile(
    r"^\W*(?:but |and |yet )?never\b[^.]{0,40}?\b(?:has|have|had|did|was|were)\s+"
    r"(?:there|a|an|the|any|anyone|anybody|so|such)\b",
    re.IGNORECASE,
)
# "If X were to ..., even Y could ...": a hypothetical the writer argues from.
_HYPOTHETICAL = re.compile(r"^\W*if\b[^.]{3,160}?\b(?:would|could|might)\b", re.IGNORECASE)
_LOWER_US = re.compile(r"\bus\b")  # "told us"; "US" is a country
# Single quotes close only where the mark is not an apostrophe ("it’s", "don't").
_QUOTE_SPAN = re.compile(
    r"“[^”]*”|\"[^\"]*\"|‘[^‘]*?’(?![A-Za-z])|(?<![\w'])'(?=\w)[^']*?(?<=[\w.,!?])'(?![A-Za-z])"
)
# Without these, no quotation can open (apostrophes alone never do): skip the regex.
_OPENERS = ("“", "”", '"', "‘", " '")
_CLOSING = ("”", "’", "'")
# A sentence ending "...experience.’" with no opening mark: the tail of a quotation.
_UNPAIRED_CLOSE = re.compile(r"^[^‘“]*[.,!?]['’]\s*$")
QUOTE_CHARS = frozenset("\"“”‘’'")
# A straight single mark opening a quotation (at the start, or after a space or colon) that
# no later mark closes.
_OPEN_STRAIGHT_UNCLOSED = re.compile(r"(?:^|[\s:])(')[A-Z](?![^']*[\w.,!?]'(?![A-Za-z]))")
# Capitals for emphasis: a common word in capitals, or two capitalised words in a row.
_SHOUTED = re.compile(r"\b[A-Z]{3,}\s+[A-Z]{3,}\b|\b[A-Z]{2,}\b")


@dataclass(frozen=True)
class Term:
    """One loaded word or phrase found in a text, with its character range."""

    start: int
    end: int
    text: str
    kind: str  # "name" | "phrase" | "idiom" | "loaded" | "adjective" | "intensifier"


def _singular(word: str) -> str:
    if word.endswith("es") and word[:-2] in NAMES:
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def find_terms(text: str) -> list[Term]:
    """Loaded words and phrases in `text` (word lookups in sets: fast on long articles)."""
    lower = text.lower().replace("’", "'")
    words = WORD.findall(lower)
    hits = [i for i, word in enumerate(words) if word in TRIGGERS]
    if not hits:
        return []  # the common case
    spans = [m.span() for m in WORD.finditer(lower)]
    found: list[Term] = []
    taken = -1  # last word index inside a phrase already found
    for i in hits:
        if i <= taken:
            continue
        first, last = _phrase_around(words, i)
        kind = "phrase"
        if last < 0 and words[i] in IDIOM_WORDS:
            first, last = _indexed_phrase(IDIOM_INDEX, words, i)
            kind = "idiom"
        if last >= 0 and first > taken:
            start, end = spans[first][0], spans[last][1]
            found.append(Term(start, end, text[start:end], kind))
            taken = last
            continue
        kind = _word_kind(words[i])
        if kind:
            start, end = spans[i]
            found.append(Term(start, end, text[start:end], kind))
    return found


def _phrase_around(words: list[str], i: int) -> tuple[int, int]:
    """First and last word index of a loaded phrase built around word `i`, or (-1, -1)."""
    word = words[i]
    if word == "supposed":
        # "supposed tough guy" mocks; "was supposed to" is plain English.
        following = words[i + 1] if i + 1 < len(words) else "to"
        return (-1, -1) if following == "to" else (i, i)
    return _indexed_phrase(PHRASE_INDEX, words, i)


def _indexed_phrase(
    index: dict[str, list[tuple[tuple[str, ...], int]]], words: list[str], i: int
) -> tuple[int, int]:
    for phrase, offset in index.get(words[i], ()):
        first = i - offset
        if first >= 0 and tuple(words[first : first + len(phrase)]) == phrase:
            return first, first + len(phrase) - 1
    return -1, -1


def _word_kind(word: str) -> str:
    if word in NAMES or _singular(word) in NAMES:
        return "name"
    if word in ADJECTIVES:
        return "adjective"
    if word in LOADED:
        return "loaded"
    if word in INTENSIFIER_WORDS:
        return "intensifier"
    return ""


_WEIGHTS = {
    "name": 2.0,
    "phrase": 1.5,
    "idiom": 1.0,
    "adjective": 1.0,
    "loaded": 1.0,
    "intensifier": 0.5,
}
_STRONG = frozenset({"name", "phrase"})


@dataclass(frozen=True)
class Loadedness:
    """How loaded a sentence reads. `strong` markers make a sentence unfit to show."""

    score: float
    strong: bool
    terms: tuple[str, ...]

    @property
    def clean(self) -> bool:
        return self.score == 0


def commentary_share(sentences: list[str]) -> float:
    """Share of sentences with a strong marker (name-calling, "!", rhetorical questions...).

    News reports, even sensational ones, have few; commentary and propaganda many. Only
    sentences that a cheap word-set test flags get the full assessment.
    """
    if not sentences:
        return 0.0
    strong = 0
    for sentence in sentences:
        lower = sentence.lower()
        suspicious = (
            "!" in sentence
            or "?" in sentence
            or lower.lstrip("\"“‘'(").startswith(EDITORIAL_OPENERS)
            or not TRIGGERS.isdisjoint(WORD.findall(lower.replace("’", "'")))
            or _SHOUTED.search(sentence) is not None
        )
        if suspicious and assess(sentence).strong:
            strong += 1
    return strong / len(sentences)


def quoted_spans(text: str) -> list[tuple[int, int]]:
    """Character ranges of quoted passages (the speaker's words, not the writer's)."""
    if not any(mark in text for mark in _OPENERS) and not text.rstrip().endswith(_CLOSING):
        return []
    spans = [m.span() for m in _QUOTE_SPAN.finditer(text)]
    # A quotation running over several sentences: this one opens or closes it unpaired.
    covered = "".join(text[a:b] for a, b in spans)
    rest = text.replace(covered, "") if covered else text
    if rest.count("“") > rest.count("”"):
        spans.append((text.rindex("“"), len(text)))
    elif (opening := _OPEN_STRAIGHT_UNCLOSED.search(rest)) is not None and not covered:
        # "A spokesman said: 'It is clear that ...": a quotation running on to a later line.
        spans.append((opening.start(1), len(text)))
    elif rest.count("”") > rest.count("“") or _UNPAIRED_CLOSE.search(text):
        end = max(text.rfind("”"), text.rfind("’"), text.rfind("'")) + 1
        if not spans or spans[0][0] > 0:
            spans.insert(0, (0, end))
    return spans


def inside(position: int, spans: list[tuple[int, int]]) -> bool:
    return any(start <= position < end for start, end in spans)


def is_attributed(sentence: str) -> bool:
    """True when the sentence says who made the claim ("..., the ministry said")."""
    return not ATTRIBUTION_WORDS.isdisjoint(WORD.findall(sentence.lower()))


@lru_cache(maxsize=8192)  # the same sentence is judged for several purposes in one story
def assess(sentence: str) -> Loadedness:
    """Score the loaded language in one sentence (0 = reads as neutral reporting)."""
    words = set(WORD.findall(sentence.lower().replace("’", "'")))
    attributed = not ATTRIBUTION_WORDS.isdisjoint(words)
    quotes = quoted_spans(sentence) if QUOTE_CHARS.intersection(sentence) else []
    score = 0.0
    strong = False
    terms: list[str] = []

    for term in find_terms(sentence):
        quoted = inside(term.start, quotes)
        # A loaded word inside an attributed quote is the speaker's; still a cost, smaller.
        score += _WEIGHTS[term.kind] * (0.6 if quoted and attributed else 1.0)
        strong = strong or (term.kind in _STRONG and not (quoted and attributed))
        terms.append(term.text)
    unquoted = without_quotes(sentence, quotes)
    own_words = set(WORD.findall(unquoted.lower().replace("’", "'"))) if quotes else words
    if sentence.lower().lstrip("\"“‘'(").startswith(EDITORIAL_OPENERS):
        score += 1.5
        strong = True
        terms.append("editorial opener")
    if not attributed and _ALL_TIME_WORDS & own_words and _SUPERLATIVE_ALL_TIME.search(unquoted):
        score += W_EXAGGERATION
        terms.append("superlative")
    if not attributed and "never" in own_words and _NEVER_INVERSION.search(unquoted):
        score += W_EXAGGERATION
        terms.append("never before")
    if not attributed and _HYPOTHETICAL.search(unquoted):
        score += W_HYPOTHETICAL
        terms.append("hypothetical")
    if _imperative_to_reader(sentence):
        score += 1.5
        strong = True
        terms.append("imperative")
    if "!" in unquoted:
        score += 2.0
        strong = True
        terms.append("!")
    if unquoted.rstrip().endswith("?") or sentence.rstrip(" ”\"'’").endswith("?"):
        score += 2.0
        strong = True
        terms.append("?")
    if (
        not PERSONAL.isdisjoint(own_words)
        or _LOWER_US.search(unquoted)
        or (not attributed and not MODALS.isdisjoint(own_words))
    ):
        score += 1.0
        terms.append("opinion")
    elif not READER.isdisjoint(own_words):
        score += 0.5
        terms.append("you")
    if not unquoted.isupper():
        for match in _SHOUTED.finditer(unquoted):
            shouted = match.group(0)
            if " " in shouted or shouted.lower() in SHOUTABLE:
                score += 1.5
                strong = True
                terms.append(shouted)
    for scare in scare_quotes(sentence, attributed, quotes):
        score += 1.0
        terms.append(scare)
    if sentence.rstrip().endswith(("…", "...")):
        score += 1.0
        strong = True
        terms.append("…")
    return Loadedness(score=score, strong=strong, terms=tuple(terms))


def _imperative_to_reader(sentence: str) -> bool:
    """ "Focus instead on the photos ...": the writer telling the reader what to think."""
    words = WORD.findall(sentence[:60].lower().replace("’", "'"))
    if len(words) < 3 or sentence.lstrip()[:1] in QUOTE_CHARS:
        return False
    return words[0] in IMPERATIVE_VERBS and words[1] in AFTER_IMPERATIVE


def without_quotes(sentence: str, quotes: list[tuple[int, int]]) -> str:
    if not quotes:
        return sentence
    parts, last = [], 0
    for start, end in quotes:
        parts.append(sentence[last:start])
        last = end
    parts.append(sentence[last:])
    return " ".join(parts)


def scare_quotes(
    sentence: str, attributed: bool, quotes: list[tuple[int, int]] | None = None
) -> list[str]:
    """Short quoted terms with nobody quoted: the writer holding a word at arm's length."""
    if attributed:
        return []
    found = []
    for start, end in quoted_spans(sentence) if quotes is None else quotes:
        inner = sentence[start + 1 : end - 1].strip()
        if could_be_scare_quote(sentence, start, inner):
            found.append(sentence[start:end])
    return found


# Words after which quotation marks name something: a title, a nickname, a term.
_NAMING_BEFORE = re.compile(
    r"\b(?:called|dubbed|named|nicknamed|titled|entitled|labell?ed|termed|branded|known as|"
    r"described as|the words?|the phrase|the term|the slogan|the motto|the hashtag|"
    r"said|says|wrote|writes|tweeted|told|asked|added)\s*[,:]?\s*$",
    re.IGNORECASE,
)


def could_be_scare_quote(sentence: str, start: int, inner: str) -> bool:
    """1-3 quoted lower-case words nobody is said to have said: the writer's distance.

    Quoted capitalised words are titles, names and nicknames ("the film “Dark Water”",
    “Mad Dog” Mattis), and a quoted term after "called" or "dubbed" is what someone named
    it: their marks stay and they cost nothing.
    """
    words = inner.split()
    if not 0 < len(words) <= 3:
        return False
    if any(word[:1].isupper() for word in words):
        return False
    return _NAMING_BEFORE.search(sentence[max(0, start - 40) : start]) is None


def evaluative_words(text: str) -> list[str]:
    """The writer's own evaluative adjectives ("stunning", "pathetic") by the published
    lexicons (subjectivity.py), quotations left out."""
    quotes = quoted_spans(text) if QUOTE_CHARS.intersection(text) else []
    own = without_quotes(text, quotes).lower()
    return [w for w in WORD.findall(own) if w in SUBJECTIVE_ADJECTIVES and w not in LOADED]
