"""An article as the passages that can support a sentence: its title and its sentences.

Sentences that address an AI model ("ignore previous instructions...") are kept apart: they
support nothing, and a sentence resting on them shows that the model obeyed them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from itertools import pairwise

from bot.models import Article
from bot.summarise.sentences import split_sentences
from bot.summarise.support.text import Token, tokenize

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-"})
# Sentences in an article that speak to the model rather than to the reader.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(?:instructions?|prompts?|rules?|"
    r"directions?)\b|\b(?:system prompt|language model|as an ai|you are (?:an? )?(?:ai|assistant|"
    r"chatbot|model)|ai assistant|new instructions?|(?:summaries|summary|summariser|the model|"
    r"assistants?|bots?) (?:must|should|shall)|when summari[sz]ing)\b",
    re.IGNORECASE,
)
_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+|\n+")


@lru_cache(maxsize=4096)  # an article is read by the article-level and the span check
def normalise(text: str) -> str:
    """NFKC, plain quotes and dashes, single spaces: what "verbatim" compares."""
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES)
    return " ".join(text.split())


# Words one of which every instruction `_INSTRUCTION` finds contains: a cheap test first.
_INSTRUCTION_WORDS = (
    "ignore", "disregard", "forget", "override", "prompt", "model", "as an ai", "you are",
    "assistant", "instruction", "summar", "bot",
)  # fmt: skip


def instruction_sentences(text: str) -> list[str]:
    """Sentences of `text` that address an AI model instead of the reader."""
    return list(_instructions(text))


@lru_cache(maxsize=1024)  # both checks of a story look for them in the same article
def _instructions(text: str) -> tuple[str, ...]:
    lower = text.lower()
    if not any(word in lower for word in _INSTRUCTION_WORDS):
        return ()
    return tuple(part for part in _SENTENCE_BREAK.split(text) if _INSTRUCTION.search(part))


@dataclass(frozen=True, slots=True)
class Passage:
    """One sentence (or the title) of an article, tokenised."""

    text: str
    tokens: tuple[Token, ...]
    keys: frozenset[str]  # keys of its names, numbers and content words


@dataclass(frozen=True)
class ArticleIndex:
    """What one article can support: passages in order, outlet, instruction-like sentences."""

    article: Article
    passages: tuple[Passage, ...]  # the title first, when there is one
    outlet_keys: frozenset[str]
    instructions: tuple[frozenset[str], ...]
    titled: bool = False

    @cached_property
    def all_keys(self) -> frozenset[str]:
        return frozenset().union(*(p.keys for p in self.passages))

    @cached_property
    def name_keys(self) -> frozenset[str]:
        """Words the article capitalises where position does not: its names."""
        return frozenset(t.key for p in self.passages for t in p.tokens[1:] if t.kind == "name")

    @cached_property
    def name_pairs(self) -> frozenset[tuple[str, str]]:
        """Names written next to each other ("Douglas Bader"): one person's full name."""
        return frozenset(
            (a.key, b.key)
            for p in self.passages
            for a, b in pairwise(p.tokens)
            if a.kind == "name" and b.kind == "name"
        )


def passage_of(text: str) -> Passage:
    """`text` as a passage."""
    tokens = tokenize(text)
    return Passage(text=text, tokens=tokens, keys=frozenset(t.key for t in tokens if t.claims))


@lru_cache(maxsize=512)  # the sentences of one story are checked against the same articles
def article_index(article: Article) -> ArticleIndex:
    """The passages of `article`: its title first, then its sentences minus instructions."""
    body = normalise(article.text)
    instructions = instruction_sentences(body)
    for sentence in instructions:
        body = body.replace(sentence, "\n")
    texts = [normalise(article.title)] if article.title.strip() else []
    texts.extend(split_sentences(body))
    return ArticleIndex(
        article=article,
        passages=tuple(passage_of(t) for t in texts if t.strip()),
        outlet_keys=passage_of(article.outlet).keys,
        instructions=tuple(passage_of(s).keys for s in instructions),
        titled=bool(texts) and bool(article.title.strip()),
    )


def forget_instructions() -> None:
    """Empty the cache of instruction-like sentences (benchmarks measure a cold story)."""
    _instructions.cache_clear()
