"""What every summariser and answerer offers, so digests and `ask` need not know which one runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.models import Article, DigestItem, Sentence, Story, SummariserName


class Summariser(Protocol):
    """Turns stories into digest items. Implementations never raise for bad input text."""

    name: str

    async def summarise_stories(
        self, stories: Sequence[Story], *, max_sentences: int = 3, scope: str = ""
    ) -> list[DigestItem]:
        """One item per story, same order. `scope` names the channel/server whose budget pays."""
        ...


@dataclass(frozen=True)
class Answer:
    """An answer to a follow-up question: cited sentences, or `found=False` (sources don't say)."""

    sentences: tuple[Sentence, ...]
    summariser: SummariserName
    found: bool


class Answerer(Protocol):
    """Answers a question from the given articles only, citing them."""

    async def answer(
        self, question: str, articles: Sequence[Article], *, scope: str = ""
    ) -> Answer: ...
