"""Which articles a channel's subscriptions select, and why the others were skipped.

Words match whole words, case-insensitively; a topic ("climate policy") needs all of its
words, an include list needs any of its words, an exclude list none of them. Simple plurals
match ("tariff" finds "tariffs"), so users need not list both forms.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from bot.errors import BadInput
from bot.models import Article

MAX_WORDS = 20
MAX_WORD_LENGTH = 60
_WORD = re.compile(r"[\w][\w'’-]*", re.UNICODE)
_QUOTES = "\"'“”‘’«»`"


def split_word_list(text: str) -> tuple[str, ...]:
    """`"a, b ,c"` -> ("a", "b", "c"); BadInput when a word is empty of letters or too long."""
    words = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    return clean_words(words)


def clean_words(words: Iterable[str]) -> tuple[str, ...]:
    """Lower-cased, deduplicated filter words, validated."""
    # Quotation marks typed around a word (include:"harbour") are not part of it.
    stripped = (w.strip().strip(_QUOTES).strip().lower() for w in words)
    cleaned = tuple(dict.fromkeys(w for w in stripped if w))
    if len(cleaned) > MAX_WORDS:
        raise BadInput(f"at most {MAX_WORDS} filter words are allowed; {len(cleaned)} were given.")
    for word in cleaned:
        if len(word) > MAX_WORD_LENGTH or not _WORD.search(word):
            raise BadInput(f"{word[:40]!r} is not a usable filter word; use plain words.")
    return cleaned


def topic_words(topic: str) -> tuple[str, ...]:
    """The words of a topic, lower-cased, in order ("Climate  policy" -> climate, policy)."""
    return tuple(dict.fromkeys(m.group(0).lower() for m in _WORD.finditer(topic)))


@lru_cache(maxsize=4096)
def _pattern(word: str) -> re.Pattern[str]:
    # Whole word or phrase, optional plural "s"/"es", case-insensitive.
    body = r"\s+".join(re.escape(part) for part in word.split())
    return re.compile(rf"(?<![\w]){body}(?:e?s)?(?![\w])", re.IGNORECASE)


def haystack(article: Article) -> str:
    """The text words are matched against: title and body."""
    return f"{article.title}\n{article.text}"


def contains_word(text: str, word: str) -> bool:
    """True when `word` (or a phrase) occurs in `text` as a whole word."""
    return _pattern(word).search(text) is not None


def matches_topic(article: Article, words: Sequence[str]) -> bool:
    """True when the article mentions every word of the topic."""
    text = haystack(article)
    return bool(words) and all(contains_word(text, w) for w in words)


def filter_reason(article: Article, include: Sequence[str], exclude: Sequence[str]) -> str | None:
    """Why the include/exclude filters drop the article, or None when it passes."""
    text = haystack(article)
    for word in exclude:
        if contains_word(text, word):
            return f"excluded by the filter word {word!r}"
    if include and not any(contains_word(text, w) for w in include):
        return "contains none of the include words " + ", ".join(repr(w) for w in include)
    return None


@dataclass(frozen=True)
class Candidate:
    """An article a subscription brought in, and the reason it is skipped (None: kept)."""

    article: Article
    skipped: str | None = None
