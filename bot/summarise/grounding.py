"""Checks, in code, that a sentence written by an LLM says only what its cited articles say.

A sentence passes when every name, number, date word and quotation in it appears in the
articles it cites, most of its content words do, and it carries no loaded language, no link
other than the story's own article URLs, no mention and no Markdown. A sentence citing several
articles must also be supported by each of them on its own: every name, number, date word and
quotation in each, and a good share of its content words (`MIN_SOURCE_COVERAGE`), so no outlet
is credited with what only another one said. Anything else is a reason to show the extractive
summary instead.

Then the sentence must rest on a span (`bot.summarise.support`): one window of a few
neighbouring sentences of a cited article holds its names, numbers and content words together,
in the same relations (order, which figure counts what, negation and "may" kept). Words
scattered over the article are not support.

Sentences of an article that address the model ("ignore previous instructions...") are left
out of what counts as support, so text that obeys an instruction hidden in an article has
nothing to rest on and fails; such a sentence is `hostile`, and its whole reply is refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypedDict, Unpack

from bot.models import Article
from bot.summarise.support import (
    SpanThresholds,
    check_support,
    instruction_sentences,
    normalise,
)
from bot.summarise.support.passages import article_index, forget_instructions
from bot.summarise.support.text import placeholders

__all__ = ["instruction_sentences", "normalise"]  # re-exported: they began here

# Loaded-language finder: returns the loaded words or phrases found in a text.
LoadedFinder = Callable[[str], Sequence[str]]

_MENTION = re.compile(
    r"@(?:everyone|here|channel)\b|<\s*[@#!&]|\b(?:everyone|here|channel)>", re.IGNORECASE
)
_MARKDOWN = (
    (re.compile(r"!\["), "a Markdown image"),
    (re.compile(r"\[[^\]]*\]\s*\("), "a Markdown link"),
    (re.compile(r"(?:^|\n)\s*#{1,6}\s"), "a Markdown header"),
    (re.compile(r"(?:^|\n)\s*>"), "a block quote"),
    (re.compile(r"`"), "a code span"),
    (re.compile(r"\*\*|__|~~|\|\|"), "Markdown emphasis"),
    (re.compile(r"<[^>]*\|[^>]*>"), "a Slack masked link"),
)
_URL = re.compile(
    r"(?:https?://|ftp://|www\.)[^\s<>\"')\]]+|\b(?:[a-z0-9-]+\.)+[a-z]{2,}/[^\s<>\"')\]]*",
    re.IGNORECASE,
)
_QUOTE = re.compile(r"[\"“”„«»]([^\"“”„«»]{3,})[\"“”„«»]")
_NUMBER = re.compile(r"\d+(?:[.,:/]\d+)*")
_WORD = re.compile(r"[^\W\d_](?:[\w'’.-]*\w)?")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


MONTHS = _words(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
WEEKDAYS = _words("monday tuesday wednesday thursday friday saturday sunday")
# Words whose invention changes a fact: each must appear in the cited text as written.
STRICT_WORDS = (
    MONTHS
    | WEEKDAYS
    | _words(
        "yesterday today tonight tomorrow million millions billion billions trillion thousand "
        "thousands hundred hundreds percent per cent dozen dozens half quarter twice triple "
        "double no not never none nobody nothing without"
    )
)
NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20",
    "thirty": "30", "forty": "40", "fifty": "50", "hundred": "100",
}  # fmt: skip
# Words the prompt asks for (attribution) or that carry no claim: not counted for coverage.
STOPWORDS = _words(
    """a an the and or but if then than that this these those there here of in on at to for
    from by with as is are was were be been being has have had do does did will would can could
    shall should may might must it its it's they them their he him his she her we our you your
    i me my who whom whose which what when where why how also after before about into over under
    up down out off again further once all any both each few more most other some such only own
    same so too very just said says say saying told tells according reported reports report
    reporting stated states announced announces added adds noted notes wrote writes write per
    while during between through against among until since not no nor new"""
)
_FIRST_WORD_LENIENT = STOPWORDS | _words(
    "officials residents police authorities researchers scientists critics workers"
)
# The share of a sentence's content words that each source it cites must hold on its own
# (all cited sources together must still hold `min_coverage`). An honest sentence citing two
# outlets takes its wording mostly from one. Measured on the roundups evaluation set: of the
# citations of reference sentences whose names and numbers two or three outlets share (and
# which pass the check against those outlets together), 51 of 59 reach 0.5 (some that do not
# are outlets sharing the names but not the claim); of sentences copied from one outlet and
# cited to another outlet of the same story too, 85% fail on a name, number or quotation and
# 94% with this bar. Higher bars refuse honest citations fast (0.6: 41 of 59).
MIN_SOURCE_COVERAGE = 0.5


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    word = word.lower().strip("'.-").removesuffix("'s")
    for suffix in ("ing", "ies", "ied", "es", "ed", "s", "ly"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _number_key(token: str) -> str:
    # "5,000" and "5000" are the same number; "3.5" keeps its point.
    return token.replace(",", "")


@dataclass(frozen=True)
class SourceText:
    """What a set of cited articles supports: their text without instruction-like sentences."""

    text: str
    words: frozenset[str]
    lower_words: frozenset[str]
    stems: frozenset[str]
    numbers: frozenset[str]
    # Names as the sources write them, lower-cased: "COVID-19" there supports "Covid-19".
    names_lower: frozenset[str]
    # How reasons name it: "sources" (all cited articles) or "that source" (one of them).
    label: str = "sources"

    @classmethod
    def of(cls, articles: Iterable[Article], *, label: str = "sources") -> SourceText:
        """Support from `articles`: outlet, title and text, minus instruction-like sentences."""
        return _source_text(tuple(articles), label)

    @classmethod
    def build(cls, articles: Sequence[Article], label: str) -> SourceText:
        """`of` without the cache."""
        parts: list[str] = []
        for article in articles:
            body = normalise(article.text)
            for sentence in instruction_sentences(body):
                body = body.replace(sentence, " ")
            parts.extend((article.outlet, normalise(article.title), body))
        text = " \n ".join(parts)
        words = frozenset(w.strip("'.-").removesuffix("'s") for w in set(_WORD.findall(text)))
        return cls(
            text=text,
            words=words,
            lower_words=frozenset(w.lower() for w in words),
            stems=frozenset(_stem(w) for w in words),
            numbers=frozenset(_number_key(n) for n in _NUMBER.findall(text)) | _spelled(text),
            names_lower=frozenset(w.lower() for w in words if w[:1].isupper()),
            label=label,
        )


_LETTERS = re.compile(r"[a-z]+")


def _spelled(text: str) -> frozenset[str]:
    """The figures `text` spells out ("five-year-old" holds 5), as digits; not "one", which
    is as often a pronoun ("one of them")."""
    return frozenset(
        NUMBER_WORDS[w] for w in _LETTERS.findall(text.lower()) if w in NUMBER_WORDS and w != "one"
    )


# Every sentence of a reply is checked against the same articles: build their words once.
@lru_cache(maxsize=256)
def _source_text(articles: tuple[Article, ...], label: str) -> SourceText:
    return SourceText.build(articles, label)


def clear_caches() -> None:
    """Forget what was built for articles seen so far (benchmarks measure a cold story)."""
    _source_text.cache_clear()
    article_index.cache_clear()
    normalise.cache_clear()
    forget_instructions()


@dataclass(frozen=True)
class Judgement:
    """The verdict on one sentence: `reason` is None when it may be shown.

    `hostile` marks what no honest reply contains (a mention, a link elsewhere, Markdown, text
    obeying an instruction hidden in an article): the whole reply is refused, not just the
    sentence. `passage` names the sentences of the article that support it.
    """

    reason: str | None
    hostile: bool = False
    passage: str = ""
    coverage: float = 1.0  # how closely the passage holds it (see `SupportVerdict`)
    order: float = 1.0


class CheckOptions(TypedDict, total=False):
    """The keyword arguments of `judge_sentence`, for `check_sentence` to pass on."""

    allowed_urls: Iterable[str]
    min_coverage: float
    min_source_coverage: float
    loaded: LoadedFinder | None
    headline: bool
    span: SpanThresholds | None


def check_sentence(
    text: str, cited: Sequence[Article], **options: Unpack[CheckOptions]
) -> str | None:
    """None when `text` is supported by the `cited` articles, else the reason it is not
    (`judge_sentence` without the details)."""
    return judge_sentence(text, cited, **options).reason


def judge_sentence(
    text: str,
    cited: Sequence[Article],
    *,
    allowed_urls: Iterable[str] = (),
    min_coverage: float = 0.75,
    min_source_coverage: float = MIN_SOURCE_COVERAGE,
    loaded: LoadedFinder | None = None,
    headline: bool = False,
    span: SpanThresholds | None = None,
) -> Judgement:
    """Whether `text` is supported by the `cited` articles, and if not why.

    `allowed_urls` are the story's own article URLs (the only links allowed); `loaded` finds
    loaded language (the neutral lexicon). A sentence citing several articles must also be
    supported by each one (`min_source_coverage` of its content words). `span` are the
    thresholds of the span check (default `SpanThresholds()`). `headline` relaxes
    capitalisation, since headlines may be written in title case, and checks against the
    articles together only, without the span check: a headline credits no outlet, the item
    names them all, and it may draw on the whole story.
    """
    if not text.strip():
        return Judgement("empty sentence")
    if not cited:
        return Judgement("sentence cites no source")
    text = normalise(text)
    for form_check in (_check_mentions, _check_markdown):
        reason = form_check(text)
        if reason:
            return Judgement(reason, hostile=True)
    reason = _check_links(text, allowed_urls)
    if reason:
        return Judgement(reason, hostile=True)
    if not headline:
        reason = _check_complete(text) or _check_placeholders(text)
        if reason:
            return Judgement(reason)
    # The allowed links are citations, not words of the claim.
    words_only = _URL.sub(" ", text)
    reason = _check_loaded(words_only, loaded) or _check_facts(
        words_only, SourceText.of(cited), min_coverage, headline=headline
    )
    if not reason and not headline and len(cited) > 1:
        reason = _check_each_source(words_only, cited, min_source_coverage)
    if headline:
        return Judgement(reason)
    support = check_support(words_only, cited, span)
    if support.hostile:
        return Judgement(support.reason, hostile=True)
    return Judgement(
        reason or support.reason,
        passage=support.where,
        coverage=support.coverage,
        order=support.order,
    )


def _check_facts(
    text: str, source: SourceText, min_coverage: float, *, headline: bool = False
) -> str | None:
    """Why `source` does not hold the quotations, numbers, names and words of `text`, if so."""
    checks: tuple[Callable[[str], str | None], ...] = (
        lambda t: _check_quotes(t, source),
        lambda t: _check_numbers(t, source),
        lambda t: _check_strict_words(t, source),
        lambda t: _check_names(t, source, headline=headline),
        lambda t: _check_coverage(t, source, min_coverage),
    )
    for check in checks:
        reason = check(text)
        if reason:
            return reason
    return None


def states_facts_of(text: str, article: Article) -> bool:
    """True when `article` itself holds every quotation, number and name in `text`: the
    test for naming it beside a sentence that another outlet wrote."""
    return _check_facts(normalise(text), SourceText.of([article]), 0.0) is None


def _check_each_source(text: str, cited: Sequence[Article], min_coverage: float) -> str | None:
    # A sentence is shown with a link to each article it cites: a link to an outlet that did
    # not say it credits that outlet with another's claim. The sentence is refused (and its
    # item becomes the extractive summary) rather than shown with the citation dropped: what
    # the model wrote around a wrong citation may still speak for several outlets ("both
    # reported..."), and a reader should see either a sentence checked exactly as written or
    # the articles' own sentences, never a silently edited attribution.
    for article in cited:
        reason = _check_facts(text, SourceText.of([article], label="that source"), min_coverage)
        if reason:
            return f"cites {article.outlet!r}, which does not say it ({reason})"
    return None


# Reasons reach readers (the note of a replaced headline or summary): they name the kind of
# problem but never quote a mention or a link, which would then be shown after all.
def _check_mentions(text: str) -> str | None:
    return "a mention of people or a channel" if _MENTION.search(text) else None


def _check_markdown(text: str) -> str | None:
    for pattern, what in _MARKDOWN:
        if pattern.search(text):
            return what
    return None


def _check_links(text: str, allowed_urls: Iterable[str]) -> str | None:
    allowed = {url.rstrip("/").lower() for url in allowed_urls}
    for match in _URL.finditer(text):
        link = match.group(0).rstrip(".,;:!?").rstrip("/").lower()
        if link not in allowed:
            return "a link that is not one of the story's articles"
    return None


# "...from Ukraine in 1991." ends with a year, not with "in".
_LAST_TOKEN = re.compile(r"[^\W_](?:[\w'’.-]*\w)?")
_DANGLING = _words(
    "a an the of to and or but with for in on at by from that as than into its their"
)


def _check_complete(text: str) -> str | None:
    # Small models stop mid-sentence ("charged with using a", "would not be,"); a missing
    # final full stop alone is harmless and is added when the sentence is shown.
    opening = text.lstrip("\"'“‘([ ")  # '" I think..."': the quote's own spacing
    closing = text.rstrip("\"'”’)]")
    if not opening[:1].isupper() and not opening[:1].isdigit():
        return "incomplete sentence (no capital at the start)"
    if closing.endswith((",", ";", ":", "-", "–", "—")):
        return "incomplete sentence (ends with a comma or dash)"
    last = _LAST_TOKEN.findall(closing)[-1:] or [""]
    if last[0].lower() in _DANGLING:
        return f"incomplete sentence (ends with {last[0]!r})"
    return None


def _check_placeholders(text: str) -> str | None:
    found = placeholders(text)
    return f"a placeholder ({found[0]!r}) instead of a word" if found else None


def with_full_stop(text: str) -> str:
    """`text` ending in a full stop (or its own ! ? or closing quote after one)."""
    stripped = text.rstrip()
    if stripped.rstrip("\"'”’)]").endswith((".", "!", "?")):
        return stripped
    return stripped + "."


def _check_quotes(text: str, source: SourceText) -> str | None:
    haystack = source.text.casefold()
    for match in _QUOTE.finditer(text):
        quoted = match.group(1).strip(" ,.")
        if quoted and quoted.casefold() not in haystack:
            return f"quotation {quoted!r} not verbatim in {source.label}"
    return None


def _check_numbers(text: str, source: SourceText) -> str | None:
    for token in _NUMBER.findall(text):
        if _number_key(token) not in source.numbers:
            return f"number {token} not in {source.label}"
    for word in _WORD.findall(text):
        digit = NUMBER_WORDS.get(word.lower())
        if digit and word.lower() not in source.lower_words and digit not in source.numbers:
            return f"number {word!r} not in {source.label}"
    return None


def invented_figure(text: str, articles: Sequence[Article]) -> str | None:
    """A figure written in digits that none of `articles` has in any form ("1943" where the
    article says 1941): not a paraphrase or a citation of the wrong outlet, but a number made
    up. Spelled-out numbers ("one") are not counted, being pronouns as often ("no one")."""
    numbers = SourceText.of(articles).numbers
    found: list[str] = _NUMBER.findall(normalise(text))
    return next((token for token in found if _number_key(token) not in numbers), None)


def _check_strict_words(text: str, source: SourceText) -> str | None:
    for word in _WORD.findall(text):
        lower = word.lower().removesuffix("'s")
        if lower in STRICT_WORDS and lower not in source.lower_words:
            return f"{word!r} not in {source.label}"
    return None


def _check_names(text: str, source: SourceText, *, headline: bool) -> str | None:
    words = _WORD.findall(text)
    for index, word in enumerate(words):
        if not word[0].isupper():
            continue
        bare = word.strip("'.-").removesuffix("'s").removesuffix("'")
        # The same name in another case ("Covid-19" for "COVID-19") is the same name; a
        # lower-case word of the sources is not ("turkey" does not support "Turkey").
        if bare in source.words or bare.lower() in source.names_lower:
            continue
        # A sentence's first word, or any headline word, is capitalised by position, not
        # because it is a name: it may match the sources in any case.
        positional = headline or index == 0
        if positional and (bare.lower() in source.lower_words or bare.lower() in STOPWORDS):
            continue
        if index == 0 and bare.lower() in _FIRST_WORD_LENIENT:
            continue
        return f"name {bare!r} not in {source.label}"
    return None


def content_words(text: str) -> list[str]:
    """Words that carry a claim: not stopwords or attribution, three letters or more."""
    return [
        w for w in _WORD.findall(text) if len(w) >= 3 and w.lower().strip("'.-") not in STOPWORDS
    ]


def _check_coverage(text: str, source: SourceText, min_coverage: float) -> str | None:
    words = content_words(text)
    if not words:
        return None
    missing = [
        w for w in words if w.lower() not in source.lower_words and _stem(w) not in source.stems
    ]
    covered = 1 - len(missing) / len(words)
    if covered < min_coverage:
        shown = ", ".join(missing[:3])
        return f"only {covered:.0%} of its words are in {source.label} (not: {shown})"
    return None


def _check_loaded(text: str, loaded: LoadedFinder | None) -> str | None:
    if loaded is None:
        return None
    # Words inside a verbatim quotation are the source's, attributed, not ours.
    unquoted = _QUOTE.sub(" ", text)
    found = list(loaded(unquoted))
    return f"loaded language {found[0]!r}" if found else None
