"""One sentence against the articles it cites: supported by a span, or why not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.models import Article
from bot.summarise.support.passages import article_index, normalise
from bot.summarise.support.span import SpanSupport, SpanThresholds, best_span, claims
from bot.summarise.support.text import Token, placeholders, tokenize

# Share of a failed sentence's claim words found in one instruction-like sentence of the
# article from which the sentence reads as obeying it (the model followed the injection).
OBEYED_SHARE = 0.5


@dataclass(frozen=True)
class SupportVerdict:
    """Whether a sentence is supported; `hostile` when it obeys text hidden in an article."""

    reason: str | None
    where: str = ""  # the supporting passage, e.g. "sentences 3-4 of Harbour Gazette"
    hostile: bool = False
    coverage: float = 1.0  # of the best window: share of the claim words it holds
    order: float = 1.0  # and share of neighbouring claim words it has in that order


def check_support(
    text: str, cited: Sequence[Article], limits: SpanThresholds | None = None
) -> SupportVerdict:
    """Whether one window of neighbouring sentences of a cited article supports `text`."""
    limits = limits or SpanThresholds()
    if not limits.enabled:
        return SupportVerdict(None)
    found = placeholders(text)
    if found:
        return SupportVerdict(f"a placeholder ({found[0]!r}) instead of a word")
    text = normalise(text)
    tokens = tokenize(text)
    spans = [s for s in (best_span(tokens, article_index(a), text) for a in cited) if s]
    if not spans:
        return SupportVerdict(None)  # nothing to check: no names, numbers or content words
    best = max(spans, key=_strength)
    label = "its sources" if len(cited) > 1 else "the source"
    reason = best.reason(limits, label)
    if reason is not None and _obeys_an_instruction(tokens, cited):
        return SupportVerdict("it repeats an instruction hidden in an article", hostile=True)
    return SupportVerdict(reason, best.where, coverage=best.coverage, order=best.order)


def _strength(span: SpanSupport) -> tuple[bool, float]:
    return (not span.missing and span.problem is None, span.coverage + span.order)


def _obeys_an_instruction(tokens: Sequence[Token], cited: Sequence[Article]) -> bool:
    for article in cited:
        index = article_index(article)
        keys = {t.key for t in claims(tokens, index.outlet_keys)}
        for instruction in index.instructions:
            if keys and len(keys & instruction) / len(keys) >= OBEYED_SHARE:
                return True
    return False
