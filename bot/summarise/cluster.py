"""Group articles about the same event from several outlets into `Story`s.

Deterministic and local: TF-IDF over each article's title and lead, with names and numbers
weighted up (outlets word the same event differently but keep its names and figures),
damped by the time between articles, then average-linkage agglomerative clustering with a
similarity threshold. Only pairs that share a term are ever compared, so a thousand
articles cluster in well under a second.

Two articles are only ever linked when they report the same event, which similarity alone
does not prove on real feeds: they must share specific content besides names (two people
called Paterson, or one company's two launches on one day, are different events), generic
words ("test", "review", "news", weekdays) count for nothing, and articles further apart
than the window (`window_days`, 3 by default) are never in one story. Two groups each told by
several outlets merge only when about as alike across as within: one saga's separate events
stay apart. A lone article that passes no pairwise test (an opinion piece) still joins the
story its text is clearly closest to, on the same news day, when their titles share a word.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.models import Article, Story
from bot.summarise import furniture
from bot.summarise.sentences import STOPWORDS, content_words, stem, word_count

# Outlets report one event within a few days; a story never spans more than this.
DEFAULT_WINDOW_DAYS = 3.0

# Two groups of several articles each merge only at this many times the threshold: two
# stories each told by several outlets are more often related events than one event.
GROUPS_MERGE = 2.0
# ...and only when they are at least this close across as within each (x its own average).
GROUPS_COHERENCE = 0.5
# Average similarity at or above which two groups are the same story (tuned, see NEUTRALITY.md).
DEFAULT_THRESHOLD = 0.08
# Outlets cover one event within a news day; beyond that, similarity fades to half at the
# window's end (the next day's articles are as often a related event as the same one).
SAME_EVENT_HOURS = 24.0
# An outlet seldom runs two separate articles on one event in a single digest period.
SAME_OUTLET_FACTOR = 0.8
# Weight of a title word against a word of the lead: the title states the event.
TITLE_WEIGHT = 2
# Extra weight of capitalised names: they survive paraphrase better than other words.
NAME_BOOST = 1
# A lone article joins a story lacking its outlet on one link this strong (x threshold)...
STRAY_LINK = 1.0
# ...and an average link this strong (x threshold).
STRAY_AVERAGE = 0.5
# A lone article joins the story its whole text is on average this close to (x threshold)...
CLEAR_AVERAGE = 1.0
# ...only this far ahead of the next story...
CLEAR_LEAD = 1.5
# ...and only when it is this close in time to all of the story's articles.
CLEAR_HOURS = 24.0
# Pretend documents that contain no term, so that tiny piles still get sensible weights.
_PRIOR_DOCS = 10
_LEAD_WORDS = 80
_LEAD_CHARS = 2000


def _listed(words: str) -> list[str]:
    return words.split()


# Two articles share at least this many terms, and this much of their similarity comes from
# terms other than names (x threshold): a shared name alone is not a shared event.
MIN_SHARED_TERMS = 2
MIN_SHARED_CONTENT = 2
# Similarity (x threshold) that must remain without the pair's strongest shared word: one
# word in common ("buy", "library") is a topic, not an event.
BEYOND_ONE_WORD = 0.5
# Articles whose titles share no specific word join only on this much similarity (x threshold).
UNLIKE_TITLES = 2.0
CONTENT_SHARE = 0.3
# Words that name a kind of post, a routine or a day rather than an event (stemmed).
GENERIC_WORDS = frozenset(
    stem(word)
    for word in _listed(
        "test tests testing review reviews news update updates podcast episode episodes show "
        "links link week weekly today daily tonight morning evening afternoon night live video "
        "videos photo photos picture pictures opinion analysis column letter letters blog post "
        "posts release released version announce announces announced announcement report "
        "reports reported company companies people thing things day days month months first "
        "latest part series guide story stories watch read listen more here now help via "
        "monday tuesday wednesday thursday friday saturday sunday january february march april "
        "may june july august september october november december dollar dollars percent "
        "hour hours minute minutes weekend"
    )
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][\w'’-]+|[A-Z]{2,})")
_NUMBER = re.compile(r"\b\d[\d,.]*\b")


@dataclass(frozen=True)
class _Doc:
    article: Article
    vector: dict[str, float]
    names: frozenset[str]  # terms this article writes as a name (capitalised mid-sentence)
    title: frozenset[str]  # the title's specific words


def cluster_articles(
    articles: Iterable[Article],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    window_days: float = DEFAULT_WINDOW_DAYS,
) -> list[Story]:
    """Cluster articles into stories, most widely covered first, then most recent.

    Articles published more than `window_days` apart are never in one story.
    """
    unique = {a.id: a for a in articles}
    ordered = sorted(unique.values(), key=lambda a: (a.published, a.id))
    if not ordered:
        return []
    window = timedelta(days=window_days)
    docs = _vectorise(ordered)
    similar, dots = _similar_pairs(docs, window, threshold)
    groups = _agglomerate(docs, similar, threshold, window)
    groups = _attach_strays(groups, docs, similar, threshold, window)
    groups = _attach_clear_strays(groups, docs, dots, threshold, window)
    stories = [_story(tuple(docs[i].article for i in sorted(group))) for group in groups]
    return sorted(stories, key=lambda s: (-len(s.outlets), -s.latest.timestamp(), s.id))


def story_id(articles: Sequence[Article]) -> str:
    """A stable id from the member article ids (order does not matter)."""
    digest = hashlib.sha256("\n".join(sorted(a.id for a in articles)).encode()).hexdigest()
    return digest[:16]


def _story(articles: tuple[Article, ...]) -> Story:
    return Story(id=story_id(articles), articles=articles)


def _features(article: Article) -> tuple[Counter[str], frozenset[str]]:
    # Sponsor reads, captions and link lists say nothing about the event: never group by them.
    content = furniture.content_text(article.title, article.text[:_LEAD_CHARS])
    lead = " ".join(content.split()[:_LEAD_WORDS])
    counts: Counter[str] = Counter()
    for word in content_words(article.title):
        counts[word] += TITLE_WEIGHT
    for word in content_words(lead):
        counts[word] += 1
    names = set()
    for match in _NAME.finditer(f"{article.title} {lead}"):
        token = stem(match.group(1).lower().replace("’", "'").removesuffix("'s"))
        if token not in STOPWORDS:
            counts[token] += NAME_BOOST  # names count again: they survive paraphrase
            names.add(token)
    for word in GENERIC_WORDS.intersection(counts):
        del counts[word]
    for match in _NUMBER.finditer(f"{article.title} {lead}"):
        number = match.group(0).rstrip(".,")
        if len(number) > 1:
            counts[number] += 1
    if word_count(article.text) and not counts:
        # Scripts without spaces: fall back to character pairs of the title and lead.
        text = (article.title + lead).replace(" ", "")
        counts.update(text[i : i + 2] for i in range(len(text) - 1))
    return counts, frozenset(names)


def _vectorise(articles: Sequence[Article]) -> list[_Doc]:
    features = [_features(a) for a in articles]
    df: Counter[str] = Counter()
    for counts, _ in features:
        df.update(counts.keys())
    n = len(articles) + _PRIOR_DOCS
    docs = []
    for article, (counts, names) in zip(articles, features, strict=True):
        vector = {t: (1 + math.log(c)) * math.log(n / (df[t] + 0.5)) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        title = frozenset(content_words(article.title)) - GENERIC_WORDS
        docs.append(_Doc(article, {t: v / norm for t, v in vector.items()}, names, title))
    return docs


def _similar_pairs(
    docs: Sequence[_Doc], window: timedelta, threshold: float
) -> tuple[dict[tuple[int, int], float], dict[tuple[int, int], float]]:
    """Cosine similarity of every pair reporting alike, damped by time and same outlet; and
    the plain cosine of every pair within the window sharing a term."""
    postings: defaultdict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, doc in enumerate(docs):
        for term, weight in doc.vector.items():
            postings[term].append((i, weight))
    # Terms in a large share of a big pile link everything to everything and say little.
    too_common = max(50, len(docs) // 3)
    skipped = {term for term, entries in postings.items() if len(entries) > too_common}
    times = [doc.article.published for doc in docs]  # ascending: docs are in time order
    dots: defaultdict[tuple[int, int], float] = defaultdict(float)
    for term, entries in postings.items():
        if len(entries) < 2 or term in skipped:
            continue
        for a in range(len(entries)):
            i, wi = entries[a]
            latest = times[i] + window
            for b in range(a + 1, len(entries)):
                j, wj = entries[b]
                if times[j] > latest:
                    break  # this term's later articles are all beyond the window too
                dots[(i, j)] += wi * wj
    pairs = {}
    for (i, j), dot in dots.items():
        # Cheap test first: a pair this weak fails the one-word test below anyway.
        if dot < BEYOND_ONE_WORD * threshold:
            continue
        if not _shares_an_event(docs[i], docs[j], dot, threshold, skipped):
            continue
        first, second = docs[i].article, docs[j].article
        factor = _time_factor(first, second, window)
        if first.outlet == second.outlet:
            factor *= SAME_OUTLET_FACTOR
        if factor > 0:
            pairs[(i, j)] = dot * factor
    return pairs, dots


def _shares_an_event(
    first: _Doc, second: _Doc, dot: float, threshold: float, skipped: set[str]
) -> bool:
    """More in common than a name or a single word, and titles alike or texts close."""
    shared = (first.vector.keys() & second.vector.keys()) - skipped
    products = {term: first.vector[term] * second.vector[term] for term in shared}
    content = [term for term in shared if term not in first.names or term not in second.names]
    if len(shared) < MIN_SHARED_TERMS or len(content) < MIN_SHARED_CONTENT:
        return False
    if sum(products[term] for term in content) < CONTENT_SHARE * threshold:
        return False  # the likeness is names only: two people called Paterson
    if dot - max(products.values()) < BEYOND_ONE_WORD * threshold:
        return False  # one word in common ("buy", "library") is a topic, not an event
    # Titles with nothing in common need texts that clearly agree.
    return not first.title.isdisjoint(second.title) or dot >= UNLIKE_TITLES * threshold


def _attach_strays(
    groups: list[list[int]],
    docs: Sequence[_Doc],
    pairs: dict[tuple[int, int], float],
    threshold: float,
    window: timedelta,
) -> list[list[int]]:
    """Join a lone article to the story it is closest to when that story lacks its outlet.

    Average linkage is strict with an outlet that words the event differently (an opinion
    piece, a partisan angle): one strong link to a member, and a fair average, suffice.
    """
    group_of = {i: g for g, members in enumerate(groups) for i in members}
    links: defaultdict[int, dict[int, float]] = defaultdict(dict)
    for (i, j), sim in pairs.items():
        if sim >= threshold * STRAY_LINK:
            links[i][j] = sim
            links[j][i] = sim
    moves: dict[int, int] = {}
    for g, members in enumerate(groups):
        if len(members) != 1 or members[0] not in links:
            continue
        lone = members[0]
        outlet = docs[lone].article.outlet
        best, best_link = -1, 0.0
        for neighbour, strongest in sorted(links[lone].items()):
            target = group_of[neighbour]
            others = groups[target]
            if len(others) < 2 or any(docs[o].article.outlet == outlet for o in others):
                continue
            if _span(docs, [*others, lone]) > window:
                continue
            average = sum(pairs.get((min(lone, o), max(lone, o)), 0.0) for o in others)
            if average / len(others) >= threshold * STRAY_AVERAGE and strongest > best_link:
                best, best_link = target, strongest
        if best >= 0:
            moves[g] = best
    return _moved(groups, moves)


def _attach_clear_strays(
    groups: list[list[int]],
    docs: Sequence[_Doc],
    dots: dict[tuple[int, int], float],
    threshold: float,
    window: timedelta,
) -> list[list[int]]:
    """Join a lone article to a story lacking its outlet that its whole text is clearly
    closest to, when its title shares a specific word with the story's titles.

    An opinion piece on an event shares the event's words without passing the pairwise
    same-event tests with any one report; against the whole story, and well ahead of any
    other story, it is recognisably about that event.
    """
    group_of = {i: g for g, members in enumerate(groups) for i in members}
    lone = {members[0] for members in groups if len(members) == 1}
    closeness: defaultdict[int, defaultdict[int, float]] = defaultdict(lambda: defaultdict(float))
    for (i, j), dot in dots.items():
        for single, other in ((i, j), (j, i)):
            if single in lone and len(groups[group_of[other]]) > 1:
                factor = _time_factor(docs[single].article, docs[other].article, window)
                closeness[single][group_of[other]] += dot * factor
    # One article per outlet joins a story: the closest of that outlet's candidates.
    chosen: dict[tuple[int, str], tuple[float, int]] = {}
    for single, totals in sorted(closeness.items()):
        target, average = _clearly_closest(single, totals, groups, docs, threshold, window)
        key = (target, docs[single].article.outlet)
        if target >= 0 and average > chosen.get(key, (0.0, -1))[0]:
            chosen[key] = (average, single)
    return _moved(groups, {group_of[single]: target for (target, _), (_, single) in chosen.items()})


def _clearly_closest(
    single: int,
    totals: dict[int, float],
    groups: list[list[int]],
    docs: Sequence[_Doc],
    threshold: float,
    window: timedelta,
) -> tuple[int, float]:
    """The story `single` is on average closest to and how close, if close enough and well
    ahead of the next, lacking its outlet and sharing a title word; (-1, 0) otherwise."""
    outlet = docs[single].article.outlet
    averages = sorted(
        ((total / len(groups[g]), g) for g, total in totals.items()),
        reverse=True,
    )
    best, target = averages[0]
    runner_up = averages[1][0] if len(averages) > 1 else 0.0
    members = groups[target]
    if best < threshold * CLEAR_AVERAGE or best < CLEAR_LEAD * runner_up:
        return -1, 0.0
    if any(docs[o].article.outlet == outlet for o in members):
        return -1, 0.0
    if _span(docs, [*members, single]) > min(window, timedelta(hours=CLEAR_HOURS)):
        return -1, 0.0
    if all(docs[single].title.isdisjoint(docs[o].title) for o in members):
        return -1, 0.0
    return target, best


def _moved(groups: list[list[int]], moves: dict[int, int]) -> list[list[int]]:
    """The groups after moving each group `g` of `moves` into group `moves[g]`."""
    if not moves:
        return groups
    merged = [list(m) for m in groups]
    for g, target in moves.items():
        merged[target].extend(merged[g])
        merged[g] = []
    return [sorted(m) for m in merged if m]


def _time_factor(first: Article, second: Article, window: timedelta) -> float:
    """1 within the same-event hours, fading to half at the window's end (0 beyond it)."""
    hours = abs((first.published - second.published).total_seconds()) / 3600
    window_hours = window.total_seconds() / 3600
    full = min(SAME_EVENT_HOURS, window_hours)
    if hours <= full:
        return 1.0
    if hours > window_hours:
        return 0.0
    # Half weight at the window's end: a follow-up two days on still reads as one story.
    return 1.0 - 0.5 * (hours - full) / max(1e-9, window_hours - full)


def _span(docs: Sequence[_Doc], members: Iterable[int]) -> timedelta:
    times = [docs[i].article.published for i in members]
    return max(times) - min(times)


def _agglomerate(
    docs: Sequence[_Doc], pairs: dict[tuple[int, int], float], threshold: float, window: timedelta
) -> list[list[int]]:
    """Average-linkage clustering; pairs never compared count as similarity 0.

    Two groups whose articles would span more than the window are never merged, so a
    chain of follow-ups cannot grow one story across weeks.
    """
    members: dict[int, list[int]] = {i: [i] for i in range(len(docs))}
    sums: defaultdict[int, dict[int, float]] = defaultdict(dict)
    for (i, j), sim in pairs.items():
        sums[i][j] = sim
        sums[j][i] = sim
    heap = [(-sim, i, j) for (i, j), sim in pairs.items() if sim >= threshold]
    heapq.heapify(heap)
    while heap:
        negative, i, j = heapq.heappop(heap)
        if i not in members or j not in members:
            continue
        current = sums[i].get(j, 0.0) / (len(members[i]) * len(members[j]))
        if abs(current + negative) > 1e-12:
            continue  # stale entry: one side grew since it was pushed
        if _span(docs, members[i] + members[j]) > window:
            continue
        if min(len(members[i]), len(members[j])) > 1 and not _groups_agree(
            members[i], members[j], current, pairs, threshold
        ):
            continue  # two stories already told by several outlets: related, not the same
        _merge(i, j, members, sums)
        for k, total in sums[i].items():
            average = total / (len(members[i]) * len(members[k]))
            if average >= threshold:
                heapq.heappush(heap, (-average, min(i, k), max(i, k)))
    return [members[key] for key in sorted(members)]


def _groups_agree(
    first: list[int],
    second: list[int],
    between: float,
    pairs: dict[tuple[int, int], float],
    threshold: float,
) -> bool:
    """Two groups are one story when their articles are about as close across the groups as
    within each: two agencies' decisions on one topic are close, but less than either's
    reports are to each other."""
    if between < threshold * GROUPS_MERGE:
        return False
    return all(between >= GROUPS_COHERENCE * _within(group, pairs) for group in (first, second))


def _within(group: list[int], pairs: dict[tuple[int, int], float]) -> float:
    """Average similarity of a group's pairs."""
    ordered = sorted(group)
    links = [
        pairs.get((ordered[a], ordered[b]), 0.0)
        for a in range(len(ordered))
        for b in range(a + 1, len(ordered))
    ]
    return sum(links) / len(links)


def _merge(
    keep: int, gone: int, members: dict[int, list[int]], sums: defaultdict[int, dict[int, float]]
) -> None:
    members[keep].extend(members.pop(gone))
    for k, total in sums.pop(gone, {}).items():
        if k == keep:
            continue
        sums[keep][k] = sums[keep].get(k, 0.0) + total
        sums[k].pop(gone, None)
        sums[k][keep] = sums[keep][k]
    sums[keep].pop(gone, None)
