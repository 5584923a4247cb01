"""The project's own extractive summariser: always available, pure CPU, never invents text.

For one story (one or more outlets) it splits every article into sentences, drops the ones
that cannot stand alone (captions, boilerplate, fragments), scores the rest by centrality
(similarity to the whole story), position (news puts the key fact first), coverage (how
strongly other outlets report the same thing) and neutrality (see `neutral/`), then picks
sentences greedily with a redundancy penalty (MMR) inside a sentence and word budget. Each
shown sentence carries every outlet whose own sentence says the same; where outlets give
different figures for the same thing, both sentences are shown, each with its outlet.
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.models import Article, DigestItem, Sentence, Source, Story
from bot.summarise import furniture, headline, neutral, opinion
from bot.summarise.candidates import (
    LETTERS,
    MAX_WORDS_SENTENCE,
    Candidate,
    collect_candidates,
    cosine,
    looks_english,
)
from bot.summarise.facts import (
    SAME_CLAIM,
    add_disagreements,
    differences_note,
    same_fact,
    supporting,
)
from bot.summarise.sentences import (
    content_words,
    lower_case_start,
    quotes_balanced,
    strip_dateline,
)

# Weights of the sentence score (tuned on public news sets, see docs/NEUTRALITY.md).
W_CENTRALITY = 1.0
W_POSITION = 0.9
W_POSITION_MULTI = 0.3
W_COVERAGE = 1.5
W_LOADED = 0.7
W_REDUNDANCY = 0.7
# Outlets retell the same fact in their own words, so word overlap understates repetition
# across articles: the penalty is stronger there, and the three slots go to different facts.
W_REDUNDANCY_MULTI = 1.2
W_DANGLING = 0.25
W_QUOTE = 0.4
POSITION_DECAY = 0.5
W_TITLE = 0.3
# Several outlets: a second sentence from the same article must be clearly better.
W_SAME_ARTICLE = 0.3
W_LENGTH_MULTI = 2.0
# Several outlets: a sentence of an opinion piece must be clearly better to take a slot, and
# never leads (news first, commentary after, labelled). 0.5-2.0 leave the held-out roundups
# unchanged (39.28-39.30 R-1); above 1.0 the tuned folds lose up to 0.2.
W_OPINION = 1.0
# Several outlets: a loaded or evaluative word that no other outlet of the story uses.
W_ONE_OUTLET = 0.5
FULL_SENTENCE_WORDS = 50
# Loadedness (after repair) from which a sentence is a last resort; see neutral.assess.
LOADED_LIMIT = 1.0
# Share of an article's sentences with strong markers from which it reads as commentary.
PARTISAN_SHARE = 0.2
PARTISAN_SENTENCES = 1
STRICT_LOADED_LIMIT = 0.5
W_ATTRIBUTED_STRICT = 0.3
# A sentence shown only because the article has no better one still needs this many words.
MIN_FALLBACK_WORDS = 3
# Sentences given the neutrality check per summary slot, best content score first.
_CHECKED_PER_SLOT = 2
_DANGLING = re.compile(
    r"^(?:He|She|It|They|This|These|Those|That|His|Her|Their|Its|But|And|Also|However|"
    r"Meanwhile|Still|Yet|So|Then|Instead|Indeed)\b"
)
_QUOTE_MARKS = frozenset("\"“‘'")


@dataclass(frozen=True)
class _Scored:
    candidate: Candidate
    score: float


class ExtractiveSummariser:
    """Selects, repairs and attributes source sentences; `name` is "extractive"."""

    name = "extractive"

    def __init__(self, *, max_words: int = 95, max_words_multi: int = 180) -> None:
        self.max_words = max_words
        self.max_words_multi = max_words_multi

    async def summarise_stories(
        self, stories: Sequence[Story], *, max_sentences: int = 3, scope: str = ""
    ) -> list[DigestItem]:
        """One item per story, same order (the `Summariser` protocol)."""
        items = []
        for story in stories:
            items.append(self.summarise_story(story, max_sentences=max_sentences))
            await asyncio.sleep(0)  # a long digest must not starve the event loop
        return items

    def summarise_story(self, story: Story, *, max_sentences: int = 3) -> DigestItem:
        """The digest item of one story: neutral headline, attributed sentences, sources."""
        multi = len(story.outlets) > 1
        english = looks_english(story.articles)
        candidates = collect_candidates(story.articles, english=english)
        shares = _commentary_shares(story.articles, candidates) if english else {}
        # One article: its candidates' share is at hand. Several: the opening sentences decide
        # (the candidates' share labelled news reports too often and cost the roundups 0.1-0.3).
        opinions = frozenset(
            a.id
            for a in story.articles
            if opinion.is_opinion(a, None if multi else shares.get(a.id, 0.0))
        )
        sources = _sources(story.articles, opinions)
        # One outlet's piece read as commentary: its title is its angle, not the news.
        partisan = english and not multi and max(shares.values(), default=0.0) >= PARTISAN_SHARE
        if not english:
            chosen = _lead_sentences(candidates, max_sentences, self.max_words)
            note = "Not in English: the outlet's opening sentences, without the neutrality checks."
        else:
            budget = self.max_words_multi if multi else self.max_words
            wanted = max_sentences * _CHECKED_PER_SLOT
            if partisan:
                # Commentary more than report: keep to its most neutral, attributed sentence.
                max_sentences = min(max_sentences, PARTISAN_SENTENCES)
            scored = _neutral_scores(
                _content_scores(candidates, story.articles, multi=multi, opinions=opinions),
                wanted=wanted,
                strict=partisan,
                vocabularies=_outlet_vocabularies(story.articles) if multi else None,
            )
            chosen = _select(scored, max_sentences, budget, multi=multi, opinions=opinions)
            chosen = add_disagreements(chosen, [s.candidate for s in scored], max_sentences)
            note = differences_note(chosen, sources)
        if not chosen:
            # Text present means a summary: a short or plainly written article still has one.
            chosen = _first_content_sentence(story.articles)
            if not chosen:  # nothing shown: say why only when there was text to show
                note = furniture.NOTHING_TO_QUOTE if _has_text(story.articles) else ""
        sentences = tuple(
            Sentence(text=c.text, sources=supporting(c, candidates, sources)) for c in chosen
        )
        if multi and not note:
            sentences = _widest_first(sentences, opinions)
        return DigestItem(
            story_id=story.id,
            headline=headline.choose_headline(
                _news_first(story.articles, opinions),
                chosen[0].text if chosen else "",
                commentary=not multi and (bool(opinions) or partisan),
            ),
            sentences=sentences,
            sources=sources,
            summariser="extractive",
            note=note,
        )


def _has_text(articles: Sequence[Article]) -> bool:
    return any(a.text.strip() for a in articles)


def _first_content_sentence(articles: Sequence[Article]) -> list[Candidate]:
    """The first sentence of the story that is content and reads as neutral, if any.

    Used when no sentence passed the usual bar (too short, no final full stop, a title-like
    line): an article with text still gets a summary, but never furniture or a fragment.
    """
    for article in articles:
        for text in furniture.content_sentences(article.title, article.text):
            text = strip_dateline(text)
            words = text.count(" ") + 1
            # A capital, or a word written with a lower-case first letter ("iPhone", "eBay").
            starts_well = text[0].isupper() or (text[0].islower() and not lower_case_start(text))
            if words < MIN_FALLBACK_WORDS or words > MAX_WORDS_SENTENCE or not starts_well:
                continue
            if text.rstrip(" .").lower() == article.title.rstrip(" .").lower():
                continue
            if not quotes_balanced(text):
                continue  # part of a quotation: whose words they are is not in the sentence
            loaded = neutral.assess(text)
            if loaded.strong or loaded.score >= LOADED_LIMIT:
                continue
            return [Candidate(text, article, 0, {}, loaded, words)]
    return []


def _widest_first(
    sentences: tuple[Sentence, ...], opinions: frozenset[str]
) -> tuple[Sentence, ...]:
    """Several outlets: the fact most of them state comes first (news before opinion still;
    otherwise the chosen order). Not used when a disagreement pair must stay together."""

    def key(sentence: Sentence) -> tuple[bool, int]:
        return sentence.sources[0].article_id in opinions, -len(sentence.sources)

    return tuple(sorted(sentences, key=key))


def _commentary_shares(
    articles: Sequence[Article], candidates: list[Candidate]
) -> dict[str, float]:
    """Each article's share of candidate sentences with strong markers (commentary)."""
    texts: dict[str, list[str]] = {a.id: [] for a in articles}
    for c in candidates:
        if c.showable:  # not a speaker's words running on from an earlier sentence
            texts[c.article.id].append(c.text)
    return {article_id: neutral.commentary_share(t) for article_id, t in texts.items()}


def _news_first(articles: Sequence[Article], opinions: frozenset[str]) -> Sequence[Article]:
    """The articles whose titles may headline the story: news reports, when there are any."""
    news = [a for a in articles if a.id not in opinions]
    return news or articles


def _sources(
    articles: Sequence[Article], opinions: frozenset[str] = frozenset()
) -> tuple[Source, ...]:
    """Each article's outlet, news first, opinion pieces labelled ("National Review (opinion)")."""
    seen: dict[str, Source] = {}
    for article in sorted(articles, key=lambda a: a.id in opinions):
        key = article.url or article.id
        name = opinion.labelled_outlet(article) if article.id in opinions else article.outlet
        seen.setdefault(key, Source(name=name, url=article.url, article_id=article.id))
    return tuple(seen.values())


def _centroid(vectors: Sequence[dict[str, float]]) -> dict[str, float]:
    total: dict[str, float] = {}
    for vector in vectors:
        for term, weight in vector.items():
            total[term] = total.get(term, 0.0) + weight
    norm = math.sqrt(sum(v * v for v in total.values())) or 1.0
    return {t: v / norm for t, v in total.items()}


def _title_vector(articles: Sequence[Article]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for article in articles:
        for word in content_words(article.title):
            counts[word] = counts.get(word, 0) + 1
    if not counts:
        return {}
    norm = math.sqrt(sum(v * v for v in counts.values())) or 1.0
    return {t: v / norm for t, v in counts.items()}


def _content_scores(
    candidates: list[Candidate],
    articles: Sequence[Article],
    *,
    multi: bool,
    opinions: frozenset[str] = frozenset(),
) -> list[_Scored]:
    """Centrality, position, headline overlap and cross-outlet coverage: worth as news."""
    centroid = _centroid([c.vector for c in candidates])
    titles = _title_vector(articles)
    per_article: dict[str, dict[str, float]] = {}
    if multi:
        for article_id in dict.fromkeys(c.article.id for c in candidates):  # stable order
            per_article[article_id] = _centroid(
                [c.vector for c in candidates if c.article.id == article_id]
            )
    scored = []
    for c in candidates:
        score = W_CENTRALITY * cosine(c.vector, centroid)
        if titles:
            score += W_TITLE * cosine(c.vector, titles)
        score += (W_POSITION_MULTI if multi else W_POSITION) / (1 + c.position) ** POSITION_DECAY
        if multi:
            others = [
                cosine(c.vector, v)
                for article_id, v in per_article.items()
                if article_id != c.article.id
            ]
            score += W_COVERAGE * (sum(others) / len(others) if others else 0.0)
        if c.position > 0 and _DANGLING.match(c.text):
            score -= W_DANGLING
        if multi:
            # Several outlets: fuller sentences carry more of the shared facts per slot.
            score += W_LENGTH_MULTI * min(1.0, c.words / FULL_SENTENCE_WORDS)
            if c.article.id in opinions:
                score -= W_OPINION
        scored.append(_Scored(c, score))
    return scored


def _quoted_share(text: str) -> float:
    """Share of the sentence inside quotation marks: quotes carry the speaker's wording."""
    spans = neutral.quoted_spans(text) if _QUOTE_MARKS.intersection(text) else []
    return sum(end - start for start, end in spans) / max(1, len(text))


def _neutral_scores(
    scored: list[_Scored],
    wanted: int,
    *,
    strict: bool = False,
    vocabularies: dict[str, frozenset[str]] | None = None,
) -> list[_Scored]:
    """Repair and re-score the best sentences, setting aside those that stay loaded.

    Only as many sentences as selection can use are checked, best first: the checks cost
    more than everything else, and a long article's tail is never chosen anyway. A sentence
    still loaded after repair is used only when no clean one exists (and then only one);
    strongly loaded ones (name-calling, exclamations, rhetorical questions) never are.
    """
    clean: list[_Scored] = []
    loaded_ones: list[_Scored] = []
    for item in sorted(scored, key=lambda s: -s.score):
        if len(clean) >= wanted:
            break
        if not item.candidate.showable:
            continue
        text = item.candidate.text
        loaded = neutral.assess(text)
        if not loaded.clean:
            text = neutral.repair_sentence(text)
            loaded = neutral.assess(text)
        if loaded.strong:
            continue
        candidate = replace(item.candidate, text=text, loaded=loaded, words=text.count(" ") + 1)
        penalty = W_LOADED * loaded.score + W_QUOTE * _quoted_share(text)
        if vocabularies and not loaded.clean:
            penalty += W_ONE_OUTLET * len(_one_outlet_words(candidate, vocabularies))
        if strict and neutral.is_attributed(text):
            penalty -= W_ATTRIBUTED_STRICT  # in commentary, prefer what someone is said to say
        limit = STRICT_LOADED_LIMIT if strict else LOADED_LIMIT
        (clean if loaded.score < limit else loaded_ones).append(
            _Scored(candidate, item.score - penalty)
        )
    if clean or not loaded_ones:
        return clean  # fewer sentences rather than loaded ones
    return [max(loaded_ones, key=lambda s: s.score)]


def _outlet_vocabularies(articles: Sequence[Article]) -> dict[str, frozenset[str]]:
    """Each outlet's words (lower case), to tell one outlet's framing from shared wording."""
    words: dict[str, set[str]] = {}
    for article in articles:
        found = LETTERS.findall(f"{article.title} {article.text}".lower())
        words.setdefault(article.outlet, set()).update(found)
    return {outlet: frozenset(found) for outlet, found in words.items()}


def _one_outlet_words(candidate: Candidate, vocabularies: dict[str, frozenset[str]]) -> list[str]:
    """Loaded or evaluative words of the sentence that no other outlet of the story uses.

    Outlets reporting one event share its facts' words; a charged word only one of them
    uses is that outlet's framing ("rampage" where the others say "protest").
    """
    others = [v for outlet, v in vocabularies.items() if outlet != candidate.article.outlet]
    suspects = [w.lower() for term in neutral.find_terms(candidate.text) for w in term.text.split()]
    suspects += neutral.evaluative_words(candidate.text)
    return [w for w in suspects if not any(w in vocabulary for vocabulary in others)]


def _select(
    scored: list[_Scored],
    max_sentences: int,
    budget: int,
    *,
    multi: bool = False,
    opinions: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """Greedy MMR within the sentence and word budget; near-duplicates are never repeated."""
    chosen: list[Candidate] = []
    words = 0
    pool = sorted(scored, key=lambda s: -s.score)
    w_redundancy = W_REDUNDANCY_MULTI if multi else W_REDUNDANCY
    while pool and len(chosen) < max_sentences:
        best, best_value = None, -math.inf
        for item in pool:
            redundancy = max((cosine(item.candidate.vector, c.vector) for c in chosen), default=0.0)
            repeats = sum(1 for c in chosen if c.article.id == item.candidate.article.id)
            value = item.score - w_redundancy * redundancy - W_SAME_ARTICLE * repeats
            if (
                redundancy < SAME_CLAIM
                and value > best_value
                and not (multi and any(same_fact(item.candidate, c) for c in chosen))
            ):
                best, best_value = item, value
        if best is None:
            break
        pool.remove(best)
        if chosen and words + best.candidate.words > budget:
            continue
        chosen.append(best.candidate)
        words += best.candidate.words
    return _in_reading_order(chosen, opinions)


def _in_reading_order(
    chosen: list[Candidate], opinions: frozenset[str] = frozenset()
) -> list[Candidate]:
    """One article: its own order. Several: best first, each outlet's sentences in order,
    news before opinion (commentary never leads a story)."""
    rank = {c.article.id: i for i, c in reversed(list(enumerate(chosen)))}
    return sorted(chosen, key=lambda c: (c.article.id in opinions, rank[c.article.id], c.position))


def _lead_sentences(
    candidates: list[Candidate], max_sentences: int, budget: int
) -> list[Candidate]:
    """The first article's opening sentences: used when the neutrality checks cannot apply."""
    chosen: list[Candidate] = []
    words = 0
    for c in candidates:
        if c.article.id != candidates[0].article.id or len(chosen) >= max_sentences:
            break
        if chosen and words + c.words > budget:
            break
        chosen.append(c)
        words += c.words
    return chosen
