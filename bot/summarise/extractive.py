"""The project's own extractive summariser: always available, pure CPU, never invents text.

For one story (one or more outlets) it splits every article into sentences, drops the ones
that cannot stand alone (captions, boilerplate, fragments), scores the rest by centrality
(similarity to the whole story), position (news puts the key fact first), coverage (how
strongly other outlets report the same thing) and neutrality (see `neutral.py`), then picks
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
from bot.summarise import furniture, grounding, headline, neutral, opinion
from bot.summarise.sentences import (
    STOPWORDS,
    content_words,
    iter_sentences,
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
# Above this similarity a sentence from another outlet says the same thing: merge sources.
SAME_CLAIM = 0.5
# Two sentences this similar with different figures are a disagreement worth showing.
SAME_TOPIC = 0.3
# Two outlets' sentences this similar that give the same figure state the same fact.
SAME_FACT_TOPIC = 0.25
MIN_WORDS = 5
# A sentence shown only because the article has no better one still needs this many words.
MIN_FALLBACK_WORDS = 3
MAX_WORDS_SENTENCE = 70
_PRIOR_SENTENCES = 5
MAX_CANDIDATES_PER_ARTICLE = 10
# Sentences given the neutrality check per summary slot, best content score first.
_CHECKED_PER_SLOT = 2
_UNCHECKED = neutral.Loadedness(0.0, False, ())

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
_DANGLING = re.compile(
    r"^(?:He|She|It|They|This|These|Those|That|His|Her|Their|Its|But|And|Also|However|"
    r"Meanwhile|Still|Yet|So|Then|Instead|Indeed)\b"
)
_TERMINAL = (".", "!", "?", "。", "！", "？")
_CLOSED_MIN_WORDS = 9
_LETTERS = re.compile(r"[^\W\d_]+")
_QUOTE_MARKS = frozenset("\"“‘'")
# "(pictured)", "(left)": pointers to photos the reader of a digest cannot see.
_PHOTO_DIRECTION = re.compile(
    r"\s*\((?:pictured|above|below|left|right|centre|center|top|bottom|inset|file photo|"
    r"(?:far|second|third|front|back) (?:left|right|row)|(?:pictured|seen|shown) [\w ,]{1,30})\)",
    re.IGNORECASE,
)
_CLOSERS = "\"”’')]»"
_NUMBER_CONTEXT = re.compile(r"(\w+)?\s*\b(\d[\d,.]*)\b\s*(\w+)?")
_TAIL_CLOSE_SINGLE = frozenset((".’", "!’", "?’"))
_TAIL_CLOSE_STRAIGHT = frozenset(('."', '!"', '?"', ".'", "!'", "?'"))
_OPEN_STRAIGHT = re.compile(r"(?:^|\s)['\"]\w")


@dataclass(frozen=True)
class _Candidate:
    text: str
    article: Article
    position: int
    vector: dict[str, float]
    loaded: neutral.Loadedness
    words: int
    # False for a sentence that opens a quotation it does not close: shown alone, the
    # quotation never ends. It still counts for what the story is about.
    showable: bool = True


@dataclass(frozen=True)
class _Scored:
    candidate: _Candidate
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
        english = _looks_english(story.articles)
        candidates = _candidates(story.articles, english=english)
        shares = _commentary_shares(story.articles, candidates) if english else {}
        # One article: its candidates' share is at hand. Several: the opening sentences decide
        # (the candidates' share labelled news reports too often and cost the roundups 0.1-0.3).
        opinions = frozenset(
            a.id
            for a in story.articles
            if opinion.is_opinion(a, None if multi else shares.get(a.id, 0.0))
        )
        sources = _sources(story.articles, opinions)
        if not english:
            chosen = _lead_sentences(candidates, max_sentences, self.max_words)
            note = "Not in English: the outlet's opening sentences, without the neutrality checks."
        else:
            budget = self.max_words_multi if multi else self.max_words
            partisan = not multi and max(shares.values(), default=0.0) >= PARTISAN_SHARE
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
            chosen = _add_disagreements(chosen, scored, max_sentences)
            note = _differences_note(chosen, sources)
        if not chosen:
            # Text present means a summary: a short or plainly written article still has one.
            chosen = _first_content_sentence(story.articles)
            if not chosen:  # nothing shown: say why only when there was text to show
                note = furniture.NOTHING_TO_QUOTE if _has_text(story.articles) else ""
        sentences = tuple(
            Sentence(text=c.text, sources=_supporting(c, candidates, sources)) for c in chosen
        )
        if multi and not note:
            sentences = _widest_first(sentences, opinions)
        return DigestItem(
            story_id=story.id,
            headline=headline.choose_headline(
                _news_first(story.articles, opinions), chosen[0].text if chosen else ""
            ),
            sentences=sentences,
            sources=sources,
            summariser="extractive",
            note=note,
        )


def _has_text(articles: Sequence[Article]) -> bool:
    return any(a.text.strip() for a in articles)


def _first_content_sentence(articles: Sequence[Article]) -> list[_Candidate]:
    """The first sentence of the story that is content and reads as neutral, if any.

    Used when no sentence passed the usual bar (too short, no final full stop, a title-like
    line): an article with text still gets a summary, but never furniture or a fragment.
    """
    for article in articles:
        for text in furniture.content_sentences(article.title, article.text):
            text = strip_dateline(text)
            words = text.count(" ") + 1
            if words < MIN_FALLBACK_WORDS or words > MAX_WORDS_SENTENCE or not text[0].isupper():
                continue
            if text.rstrip(" .").lower() == article.title.rstrip(" .").lower():
                continue
            if _unbalanced_quotes(text):
                continue  # part of a quotation: whose words they are is not in the sentence
            loaded = neutral.assess(text)
            if loaded.strong or loaded.score >= LOADED_LIMIT:
                continue
            return [_Candidate(text, article, 0, {}, loaded, words)]
    return []


def _unbalanced_quotes(text: str) -> bool:
    return text.count("“") != text.count("”") or text.count('"') % 2 == 1


def _widest_first(
    sentences: tuple[Sentence, ...], opinions: frozenset[str]
) -> tuple[Sentence, ...]:
    """Several outlets: the fact most of them state comes first (news before opinion still;
    otherwise the chosen order). Not used when a disagreement pair must stay together."""

    def key(sentence: Sentence) -> tuple[bool, int]:
        return sentence.sources[0].article_id in opinions, -len(sentence.sources)

    return tuple(sorted(sentences, key=key))


def _commentary_shares(
    articles: Sequence[Article], candidates: list[_Candidate]
) -> dict[str, float]:
    """Each article's share of candidate sentences with strong markers (commentary)."""
    texts: dict[str, list[str]] = {a.id: [] for a in articles}
    for c in candidates:
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


def _source_of(article: Article, sources: tuple[Source, ...]) -> Source:
    for source in sources:
        if source.article_id == article.id:
            return source
    return Source(name=article.outlet, url=article.url, article_id=article.id)


def _looks_english(articles: Sequence[Article]) -> bool:
    """English text is full of function words; other languages (and scripts) are not."""
    sample = " ".join(a.title + " " + a.text[:1000] for a in articles).lower()
    tokens = _LETTERS.findall(sample)
    if not tokens:
        return True
    function_words = sum(map(STOPWORDS.__contains__, tokens))
    return function_words / len(tokens) >= 0.15


def _usable(sentence: str, title: str) -> bool:
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
    if sentence.lstrip("\"“‘'([")[:1].islower():
        return False  # the tail of a sentence (or of a quotation) broken across lines
    if _quote_tail(sentence):
        return False  # the end of a quotation begun earlier: the speaker is not named
    long_words = [w for w in sentence.split() if len(w) > 3]
    capitalised = sum(1 for w in long_words if w[0].isupper())
    return capitalised < 0.7 * len(long_words)  # a Title Case Line is a headline


def _quote_left_open(sentence: str) -> bool:
    """ "“It is not rude to people.": opens a quotation that ends in a later sentence."""
    return (
        sentence.count("“") > sentence.count("”")
        or sentence.count("‘") > sentence.count("’")  # ’ is also an apostrophe: only more ‘
        or sentence.count('"') % 2 == 1
    )


def _quote_tail(sentence: str) -> bool:
    """ "I missed it all.’": closes a quotation that this sentence never opened."""
    if sentence.count("”") > sentence.count("“"):
        return True
    end = sentence[-2:]
    if end in _TAIL_CLOSE_SINGLE:
        return "‘" not in sentence
    if end in _TAIL_CLOSE_STRAIGHT:
        return sentence.count(end[-1]) % 2 == 1 and not _OPEN_STRAIGHT.search(sentence)
    return False


def _candidates(articles: Sequence[Article], *, english: bool) -> list[_Candidate]:
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
        position = 0
        for sentence in iter_sentences(article.text):
            if position >= MAX_CANDIDATES_PER_ARTICLE:
                break
            text = strip_dateline(sentence) if position == 0 else sentence
            if "(" in text:
                text = _PHOTO_DIRECTION.sub("", text)
            if furniture.is_furniture(text):
                continue  # sponsor reads, captions, polls, pasted logs: never content
            if english and not _usable(text, article.title):
                continue
            if _quote_left_open(text):
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
            _Candidate(
                text=text,
                article=article,
                position=position,
                vector={t: v / norm for t, v in vector.items()},
                loaded=_UNCHECKED,
                words=text.count(" ") + 1,
                showable=index not in unshowable,
            )
        )
    return out


def _counts(words: list[str]) -> dict[str, int]:
    counts = dict.fromkeys(words, 1)
    if len(counts) != len(words):  # rare in one sentence: count properly
        counts = {}
        for word in words:
            counts[word] = counts.get(word, 0) + 1
    return counts


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    return sum(a[t] * b[t] for t in a.keys() & b.keys())


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
    candidates: list[_Candidate],
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
        score = W_CENTRALITY * _cosine(c.vector, centroid)
        if titles:
            score += W_TITLE * _cosine(c.vector, titles)
        score += (W_POSITION_MULTI if multi else W_POSITION) / (1 + c.position) ** POSITION_DECAY
        if multi:
            others = [
                _cosine(c.vector, v)
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
        found = _LETTERS.findall(f"{article.title} {article.text}".lower())
        words.setdefault(article.outlet, set()).update(found)
    return {outlet: frozenset(found) for outlet, found in words.items()}


def _one_outlet_words(candidate: _Candidate, vocabularies: dict[str, frozenset[str]]) -> list[str]:
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
) -> list[_Candidate]:
    """Greedy MMR within the sentence and word budget; near-duplicates are never repeated."""
    chosen: list[_Candidate] = []
    words = 0
    pool = sorted(scored, key=lambda s: -s.score)
    w_redundancy = W_REDUNDANCY_MULTI if multi else W_REDUNDANCY
    while pool and len(chosen) < max_sentences:
        best, best_value = None, -math.inf
        for item in pool:
            redundancy = max(
                (_cosine(item.candidate.vector, c.vector) for c in chosen), default=0.0
            )
            repeats = sum(1 for c in chosen if c.article.id == item.candidate.article.id)
            value = item.score - w_redundancy * redundancy - W_SAME_ARTICLE * repeats
            if (
                redundancy < SAME_CLAIM
                and value > best_value
                and not (multi and any(_same_fact(item.candidate, c) for c in chosen))
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
    chosen: list[_Candidate], opinions: frozenset[str] = frozenset()
) -> list[_Candidate]:
    """One article: its own order. Several: best first, each outlet's sentences in order,
    news before opinion (commentary never leads a story)."""
    rank = {c.article.id: i for i, c in reversed(list(enumerate(chosen)))}
    return sorted(chosen, key=lambda c: (c.article.id in opinions, rank[c.article.id], c.position))


def _lead_sentences(
    candidates: list[_Candidate], max_sentences: int, budget: int
) -> list[_Candidate]:
    """The first article's opening sentences: used when the neutrality checks cannot apply."""
    chosen: list[_Candidate] = []
    words = 0
    for c in candidates:
        if c.article.id != candidates[0].article.id or len(chosen) >= max_sentences:
            break
        if chosen and words + c.words > budget:
            break
        chosen.append(c)
        words += c.words
    return chosen


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


def _same_fact(first: _Candidate, second: _Candidate) -> bool:
    """Two sentences state the same fact: near-identical wording, or the same figures on
    the same topic ("expected to raise 400,000 pounds" / "expected to reach 400,000 pounds").

    Outlets retell a fact in their own words, so wording alone misses most repeats; a shared
    figure with some shared wording does not. Different figures are never the same fact.
    """
    if first.article.id == second.article.id or disagree(first.text, second.text):
        return False
    similarity = _cosine(first.vector, second.vector)
    if similarity >= SAME_CLAIM:
        return True
    return similarity >= SAME_FACT_TOPIC and bool(_figures(first.text) & _figures(second.text))


def _differences_note(chosen: list[_Candidate], sources: tuple[Source, ...]) -> str:
    """ "Outlets differ: 150 dead (Fox News), 180 (NPR)." for each disagreeing pair shown."""
    parts = []
    for index, first in enumerate(chosen):
        for second in chosen[index + 1 :]:
            if first.article.outlet == second.article.outlet or not _pair(first, second):
                continue
            figures = _differing_figures(first.text, second.text)
            if figures is not None:
                a, b = figures
                name_a = _source_of(first.article, sources).name
                name_b = _source_of(second.article, sources).name
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


def _add_disagreements(
    chosen: list[_Candidate], scored: list[_Scored], max_sentences: int
) -> list[_Candidate]:
    """Put next to each chosen sentence another outlet's differing version of its figures.

    Disagreeing pairs are kept whole; sentences outside a pair make room for them.
    """
    result = list(chosen)
    for c in chosen:
        for other in scored:
            o = other.candidate
            if o.article.outlet == c.article.outlet or o in result:
                continue
            if _cosine(c.vector, o.vector) >= SAME_TOPIC and disagree(c.text, o.text):
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


def _pair(first: _Candidate, second: _Candidate) -> bool:
    return _cosine(first.vector, second.vector) >= SAME_TOPIC and disagree(first.text, second.text)


def _supporting(
    shown: _Candidate, candidates: list[_Candidate], sources: tuple[Source, ...]
) -> tuple[Source, ...]:
    """The shown sentence's outlet, plus outlets whose own sentence says the same thing."""
    support = [_source_of(shown.article, sources)]
    if len({s.name for s in sources}) == 1:
        return tuple(support)
    outlets = {shown.article.outlet}
    for other in candidates:
        if other.article.outlet in outlets:
            continue
        # Similar wording is not enough to name an outlet: its article must state the
        # sentence's own figures, names and quotations too.
        if _same_fact(shown, other) and grounding.states_facts_of(shown.text, other.article):
            support.append(_source_of(other.article, sources))
            outlets.add(other.article.outlet)
    return tuple(support)
