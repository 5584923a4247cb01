"""The model's cited sentences as drafts, and the rules each must pass before it is shown."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.models import Article, Source, Story
from bot.summarise.grounding import (
    MIN_SOURCE_COVERAGE,
    Judgement,
    LoadedFinder,
    check_sentence,
    judge_sentence,
)
from bot.summarise.support import SpanThresholds


@dataclass(frozen=True)
class Draft:
    """A sentence as the model wrote it, with the articles it cites."""

    text: str
    cited: tuple[Article, ...]


class Rejected(Exception):
    """A reply that cannot be shown; `str(error)` is the reason readers may see.

    `quoted` is the model's own text that was refused, for the operator's log only: it may
    carry the very mention or link that was refused, so it never goes into a note.
    """

    def __init__(self, reason: str, *, quoted: str = "") -> None:
        super().__init__(reason)
        self.quoted = quoted

    def for_log(self) -> str:
        return f"{self} (in {_clip(self.quoted)!r})" if self.quoted else str(self)


def short_ids(articles: Sequence[Article]) -> dict[str, Article]:
    """Ids the model can copy reliably ("A1", "A2", ...) for the articles, in order."""
    return {f"A{index}": article for index, article in enumerate(articles, start=1)}


def articles_payload(ids: dict[str, Article], max_chars: int) -> list[dict[str, str]]:
    """The articles as data: id, outlet, title, text (cut to `max_chars`)."""
    return [
        {"id": key, "outlet": a.outlet, "title": a.title, "text": a.text[:max_chars]}
        for key, a in ids.items()
    ]


def read_drafts(data: dict[str, Any], ids: dict[str, Article], limit: int) -> list[Draft]:
    """The sentences of a reply with their cited articles; raises Rejected when malformed."""
    raw = data.get("sentences")
    if not isinstance(raw, list):
        raise Rejected("the LLM reply has no sentence list")
    drafts: list[Draft] = []
    for entry in raw[:limit]:
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            raise Rejected("an LLM sentence is not of the expected shape")
        sources = entry.get("sources")
        if not isinstance(sources, list) or not sources:
            raise Rejected("a sentence cites no source", quoted=entry["text"])
        cited: list[Article] = []
        for source in sources:
            key = _source_key(source)
            if key not in ids:
                raise Rejected("a sentence cites an unknown source", quoted=str(source))
            if ids[key] not in cited:
                cited.append(ids[key])
        drafts.append(Draft(text=" ".join(entry["text"].split()), cited=tuple(cited)))
    return drafts


def _source_key(source: object) -> str:
    key = str(source).strip().strip("[]()").strip().upper()
    return f"A{key}" if key.isdigit() else key


def _clip(text: str, length: int = 60) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def source_of(article: Article) -> Source:
    """The citation of one article."""
    return Source(name=article.outlet, url=article.url, article_id=article.id)


def story_sources(story: Story) -> tuple[Source, ...]:
    """One source per outlet of the story, first-seen order: every outlet is named."""
    seen: dict[str, Source] = {}
    for article in story.articles:
        seen.setdefault(article.outlet, source_of(article))
    return tuple(seen.values())


def default_loaded_finder() -> LoadedFinder:
    """Loaded wording by the project's neutral lexicon (`bot.summarise.neutral.assess`)."""
    from bot.summarise.neutral import assess

    def find_loaded(text: str) -> list[str]:
        # "opinion" (should/must) is common in plain reporting of what someone said; loaded
        # words, sarcasm, "!" and "?" are not. A capitalised word inside the sentence is
        # part of a name ("the Chinese Communist Party"), not the writer's judgement.
        return [
            term
            for term in assess(text).terms
            if term != "opinion" and not _inside_a_name(term, text)
        ]

    return find_loaded


def _inside_a_name(term: str, text: str) -> bool:
    position = text.find(term)
    return position > 0 and term[:1].isupper() and not term.isupper()


@dataclass
class GroundingRules:
    """What a sentence must satisfy: coverage thresholds and the loaded-language finder.

    `min_coverage` is for all the articles a sentence cites together, `min_source_coverage`
    for each of them on its own.
    """

    min_coverage: float = 0.75
    loaded: LoadedFinder | None = None
    min_source_coverage: float = MIN_SOURCE_COVERAGE
    span: SpanThresholds = field(default_factory=SpanThresholds)

    def check(
        self, draft: Draft, allowed_urls: Sequence[str], *, headline: bool = False
    ) -> str | None:
        """None when `draft` is grounded, else why it is not."""
        return check_sentence(
            draft.text,
            draft.cited,
            allowed_urls=allowed_urls,
            min_coverage=self.min_coverage,
            min_source_coverage=self.min_source_coverage,
            loaded=self.loaded,
            headline=headline,
        )

    def judge(self, text: str, cited: Sequence[Article], allowed_urls: Sequence[str]) -> Judgement:
        """The verdict on one sentence, without the loaded-language check (see `checking`)."""
        return judge_sentence(
            text,
            cited,
            allowed_urls=allowed_urls,
            min_coverage=self.min_coverage,
            min_source_coverage=self.min_source_coverage,
            span=self.span,
        )
