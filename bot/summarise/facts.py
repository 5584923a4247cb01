"""Outlets' agreement on facts: the same fact told twice, figures that differ, joint credit.

Two outlets' sentences state the same fact when their wording is near-equal or they give
the same figure on the same topic; sentences on one topic with different figures for the
same thing are a disagreement, shown side by side and named in the item's note.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from bot.models import Article, Source
from bot.summarise import grounding
from bot.summarise.candidates import Candidate, cosine
from bot.summarise.sentences import STOPWORDS

# Above this similarity a sentence from another outlet says the same thing: merge sources.
SAME_CLAIM = 0.5
# Two sentences this similar with different figures are a disagreement worth showing.
SAME_TOPIC = 0.3
# Two outlets' sentences this similar that give the same figure state the same fact.
SAME_FACT_TOPIC = 0.25
_NUMBER_CONTEXT = re.compile(r"(\w+)?\s*\b(\d[\d,.]*)\b\s*(\w+)?")


def source_of(article: Article, sources: tuple[Source, ...]) -> Source:
    for source in sources:
        if source.article_id == article.id:
            return source
    return Source(name=article.outlet, url=article.url, article_id=article.id)


def _numbers_in_context(text: str) -> dict[str, set[str]]:
    """Figures keyed by the words next to them: {"people": {"12"}, "killed": {"12"}}."""
    found: dict[str, set[str]] = {}
    for before, number, after in _NUMBER_CONTEXT.findall(text.lower()):
        number = number.rstrip(".,")
        if len(number) == 4 and number[:2] in ("19", "20"):
            continue  # years differ for many innocent reasons ("since 2019", "in 2021")
        for word in (before, after):
            if word and word not in STOPWORDS and not word.isdigit():
                found.setdefault(word, set()).add(number)
    return found


def disagree(first: str, second: str) -> bool:
    """True when two sentences give different figures for the same thing."""
    a, b = _numbers_in_context(first), _numbers_in_context(second)
    return any(a[word].isdisjoint(b[word]) for word in a.keys() & b.keys())


def _figures(text: str) -> set[str]:
    """The figures a sentence states, years left out ("400,000", "2", not "2021")."""
    return {
        number
        for numbers in _numbers_in_context(text).values()
        for number in numbers
        if number.replace(",", "").replace(".", "").isdigit()
    }


def same_fact(first: Candidate, second: Candidate) -> bool:
    """Two sentences state the same fact: near-identical wording, or the same figures on
    the same topic ("expected to raise 400,000 pounds" / "expected to reach 400,000 pounds").

    Outlets retell a fact in their own words, so wording alone misses most repeats; a shared
    figure with some shared wording does not. Different figures are never the same fact.
    """
    if first.article.id == second.article.id or disagree(first.text, second.text):
        return False
    similarity = cosine(first.vector, second.vector)
    if similarity >= SAME_CLAIM:
        return True
    return similarity >= SAME_FACT_TOPIC and bool(_figures(first.text) & _figures(second.text))


def differences_note(chosen: list[Candidate], sources: tuple[Source, ...]) -> str:
    """ "Outlets differ: 150 dead (Fox News), 180 (NPR)." for each disagreeing pair shown."""
    parts = []
    for index, first in enumerate(chosen):
        for second in chosen[index + 1 :]:
            if first.article.outlet == second.article.outlet or not _pair(first, second):
                continue
            figures = _differing_figures(first.text, second.text)
            if figures is not None:
                a, b = figures
                name_a = source_of(first.article, sources).name
                name_b = source_of(second.article, sources).name
                parts.append(f"{a} ({name_a}), {b} ({name_b})")
    return f"Outlets differ: {'; '.join(parts)}." if parts else ""


def _differing_figures(first: str, second: str) -> tuple[str, str] | None:
    """The first figure two sentences give differently for the same thing, as shown."""
    a, b = _numbers_in_context(first), _numbers_in_context(second)
    for word in sorted(a.keys() & b.keys()):
        if a[word].isdisjoint(b[word]):
            mine, theirs = sorted(a[word])[0], sorted(b[word])[0]
            if re.search(rf"\b{re.escape(mine)}\s+{re.escape(word)}\b", first.lower()):
                return f"{mine} {word}", theirs
            return f"{word} {mine}", theirs
    return None


def add_disagreements(
    chosen: list[Candidate], others: Sequence[Candidate], max_sentences: int
) -> list[Candidate]:
    """Put next to each chosen sentence another outlet's differing version of its figures.

    Disagreeing pairs are kept whole; sentences outside a pair make room for them.
    """
    result = list(chosen)
    for c in chosen:
        for o in others:
            if o.article.outlet == c.article.outlet or o in result:
                continue
            if cosine(c.vector, o.vector) >= SAME_TOPIC and disagree(c.text, o.text):
                result.insert(result.index(c) + 1, o)
                break
    while len(result) > max_sentences:
        # Keep each disagreeing pair together; drop the last sentence outside any pair.
        paired = {id(x) for x in result if x not in chosen} | {
            id(c) for c in chosen for o in result if o not in chosen and _pair(c, o)
        }
        removable = [x for x in result if id(x) not in paired]
        if not removable:
            break
        result.remove(removable[-1])
    return result


def _pair(first: Candidate, second: Candidate) -> bool:
    return cosine(first.vector, second.vector) >= SAME_TOPIC and disagree(first.text, second.text)


def supporting(
    shown: Candidate, candidates: list[Candidate], sources: tuple[Source, ...]
) -> tuple[Source, ...]:
    """The shown sentence's outlet, plus outlets whose own sentence says the same thing."""
    support = [source_of(shown.article, sources)]
    if len({s.name for s in sources}) == 1:
        return tuple(support)
    outlets = {shown.article.outlet}
    for other in candidates:
        if other.article.outlet in outlets:
            continue
        # Similar wording is not enough to name an outlet: its article must state the
        # sentence's own figures, names and quotations too.
        if same_fact(shown, other) and grounding.states_facts_of(shown.text, other.article):
            support.append(source_of(other.article, sources))
            outlets.add(other.article.outlet)
    return tuple(support)
