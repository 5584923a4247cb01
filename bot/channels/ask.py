"""Follow-up questions: find the articles that answer, answer from them only, cite them.

Words match in any form (Snowball stems: "cut" finds "cutting"); a company or person the
question names must be in the article, and sentences where the named person says it come
first. A follow-up that names nothing ("When will it ship?") is asked together with the
conversation's last question that did (`Conversations`), from articles about that subject.

Retrieval looks first at the articles behind the digest the question was asked under (its
thread) or the channel's recent digests, then, when none of those is relevant, at the whole
store, where the database's full-text index (FTS5 on SQLite, tsvector on PostgreSQL) picks
the best-ranked candidates, old or new. Both sets then go through the same test here: an
article is relevant only when it covers most of the question's content words (BM25 orders
the relevant ones); when nothing is, the answer is "My sources don't say." rather than a
guess.

The answer is extractive (the best-matching sentences, each with its outlet) or, when an LLM
is configured, the grounded LLM answer, which falls back to the extractive one.
"""

from __future__ import annotations

import math
import re
from collections import Counter, OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

import snowballstemmer

from bot.models import Article, Reply, Sentence, Source, outlet_list
from bot.store import digests as digest_store
from bot.store.db import Database
from bot.store.search import count_matches, search_articles
from bot.summarise.base import Answer, Answerer
from bot.summarise.sentences import content_words, split_sentences, strip_dateline

NOT_FOUND = "My sources don't say."
# Words of a question that say what kind of answer is wanted, not what it is about.
_QUESTION_WORDS_TEXT = """
    what who whom whose when where why how which tell know explain happen happened happening
    please anything something news latest story stories article articles report reported
    mean means think much many say says said told
"""
QUESTION_WORDS = frozenset(_QUESTION_WORDS_TEXT.split())
MIN_COVERAGE = 0.6  # share of the question's content words an article or sentence must hold
RECENT_DIGEST_DAYS = 7
TOP_ARTICLES = 5
# The database's best-ranked articles that `rank_articles` then judges. Generous, since the
# database ranks on the rarest words only and `ask` wants most of all of them.
STORE_CANDIDATES = 100
MAX_SEARCH_WORDS = 16
MAX_QUESTION_CHARS = 500


def question_terms(question: str) -> list[str]:
    """The question's content words (stemmed, deduplicated, in order), as the store's
    full-text search takes them (the database stems them again its own way)."""
    words = [w for w in content_words(question) if w not in QUESTION_WORDS]
    return list(dict.fromkeys(words))


@lru_cache(maxsize=1)
def _english() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("english")


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    # Snowball after the light stemmer: "cutting", "cuts" and "cut" all become "cut".
    return str(_english().stemWord(word))


def stems(text: str) -> list[str]:
    """The content words of `text` by their Snowball stems, for matching word forms."""
    return list(map(_stem, content_words(text)))  # map: a third of the comprehension's cost


def question_stems(question: str) -> list[str]:
    """The question's content words as stems, deduplicated, in order."""
    return list(dict.fromkeys(_stem(word) for word in question_terms(question)))


_NAME = re.compile(r"(?<![\w'’])[A-Z][\w'’-]*")
_REFERS_BACK = re.compile(
    r"\b(?:it|its|they|them|their|this|that|these|those|he|she|him|his|her)\b", re.I
)
_SPEECH = re.compile(r"\b(?:say|says|said|saying|tell|told|claim|claims|claimed)\b", re.I)
_SPOKE = re.compile(
    r"\b(?:said|says|told|according to|announced|stated|added|explained|argued)\b", re.I
)


def named_entities(question: str) -> list[str]:
    """Stems of the names a question mentions ("Intel", "Tim Cook"): capitalised words past
    its first, which an answer must be about."""
    names = [
        m.group(0)
        for m in _NAME.finditer(question)
        # A capital that opens a sentence ("When ...", "What ...") says nothing.
        if question[: m.start()].rstrip()[-1:] not in ("", ".", "?", "!", ":")
    ]
    # "NEAR", "NOT": search operators typed in capitals are not names.
    names = [n for n in names if n not in ("I", "AND", "OR", "NOT", "NEAR")]
    found = [w for name in names for w in stems(name)]
    return [w for w in dict.fromkeys(found) if w not in QUESTION_WORDS]


_OPENERS_TEXT = """
    what who whom whose when where why how which is are was were do does did can could
    will would should shall has have had may might tell explain any
"""
_OPENERS = frozenset(_OPENERS_TEXT.split())


def looks_like_question(text: str) -> bool:
    """True for text typed as a question: it ends with "?" or opens like one ("who won
    ..."). A stray word ("clear") is not, and must not be answered with quotes holding it."""
    words = text.strip().lower().split()
    return bool(words) and (text.strip().endswith("?") or words[0].strip(",") in _OPENERS)


def refers_back(question: str) -> bool:
    """True for a follow-up that names nothing itself: "When will it ship?"."""
    return bool(_REFERS_BACK.search(question)) and not named_entities(question)


@dataclass
class Conversations:
    """The last question asked in each conversation (a channel, or one digest's thread), so
    a follow-up's "it" is read with it. Kept in memory: a restart forgets, as people do."""

    keep: int = 1000
    _last: OrderedDict[str, str] = field(default_factory=OrderedDict)

    def subject_of(self, conversation: str, question: str) -> str:
        """The earlier question a follow-up refers back to ("" if it names its own subject,
        which then becomes the conversation's)."""
        previous = self._last.get(conversation, "")
        if previous and refers_back(question):
            return previous  # the subject stays that earlier question's
        self.remember(conversation, question)
        return ""

    def remember(self, conversation: str, question: str) -> None:
        """`question` names what the conversation is about from now on."""
        self._last[conversation] = question
        self._last.move_to_end(conversation)
        while len(self._last) > self.keep:
            self._last.popitem(last=False)


@dataclass(frozen=True)
class Ranked:
    """An article with its BM25 score and the share of question words it holds."""

    article: Article
    score: float
    coverage: float


def rank_articles(question: str, articles: Sequence[Article]) -> list[Ranked]:
    """BM25 (title counted twice) over `articles`, best first; only relevant ones kept."""
    terms = question_stems(question)
    if not terms or not articles:
        return []
    docs = [Counter(stems(f"{a.title}. {a.title}. {a.text}")) for a in articles]
    names = named_entities(question)
    lengths = [sum(doc.values()) for doc in docs]
    average = sum(lengths) / len(lengths) or 1.0
    frequency = {t: sum(1 for doc in docs if t in doc) for t in terms}
    total = len(docs)
    ranked = []
    for article, doc, length in zip(articles, docs, lengths, strict=True):
        score = 0.0
        for term in terms:
            count = doc.get(term, 0)
            if count:
                idf = math.log(1 + (total - frequency[term] + 0.5) / (frequency[term] + 0.5))
                score += idf * count * 2.2 / (count + 1.2 * (0.25 + 0.75 * length / average))
        coverage = sum(1 for t in terms if t in doc) / len(terms)
        # An article that never names the company or person asked about does not answer.
        if coverage >= MIN_COVERAGE and score > 0 and all(n in doc for n in names):
            ranked.append(Ranked(article, score, coverage))
    return sorted(ranked, key=lambda r: (-r.coverage, -r.score, r.article.id))


class ExtractiveAnswerer:
    """Answers with the sentences of the given articles that best match the question."""

    name = "extractive"

    def __init__(self, *, max_sentences: int = 3) -> None:
        self.max_sentences = max_sentences

    async def answer(
        self, question: str, articles: Sequence[Article], *, scope: str = ""
    ) -> Answer:
        """Best-matching sentences, each citing its article; found=False when none match."""
        terms = question_stems(question)
        wants = _wanted_detail(question)
        names = set(named_entities(question))
        speech = bool(names) and bool(_SPEECH.search(question))
        scored: list[tuple[float, int, str, Article]] = []
        for rank, article in enumerate(articles):
            # The headline says what every sentence of the article is about.
            topic = set(stems(article.title))
            for position, sentence in enumerate(split_sentences(article.text)):
                if position == 0:  # "SALTMARSH, Nov 24 (Meridian) - " is not part of an answer
                    sentence = strip_dateline(sentence)
                own = set(stems(sentence))
                if not own & set(terms):
                    continue  # about something else: only the headline matched
                hits = [t for t in terms if t in own | topic]
                coverage = len(hits) / len(terms) if terms else 0.0
                if coverage >= MIN_COVERAGE:
                    bonus = 0.25 if wants is not None and wants.search(sentence) else 0.0
                    if speech and own & names and _SPOKE.search(sentence):
                        bonus += 0.3  # the person asked about, saying it: not a view of it
                    scored.append((coverage + bonus - rank * 0.01, rank, sentence, article))
        scored.sort(key=lambda item: (-item[0], item[1]))
        chosen: list[Sentence] = []
        seen: set[str] = set()
        for _, _, text, _article in scored:
            key = " ".join(sorted(set(content_words(text))))
            if key in seen:
                continue  # the same sentence from another outlet: cite both on the first
            seen.add(key)
            sources = tuple(
                _source(other)
                for _, _, other_text, other in scored
                if " ".join(sorted(set(content_words(other_text)))) == key
            )
            chosen.append(Sentence(text=text, sources=tuple(dict.fromkeys(sources))))
            if len(chosen) >= self.max_sentences:
                break
        return Answer(sentences=tuple(chosen), summariser="extractive", found=bool(chosen))


_AMOUNT = re.compile(r"\d|\b(?:million|billion|thousand|hundred|percent|per cent)\b", re.I)
_WHEN = re.compile(
    r"\d|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|tomorrow|"
    r"yesterday|january|february|march|april|may|june|july|august|september|october|"
    r"november|december|spring|summer|autumn|winter|week|month|year)\b",
    re.I,
)


def _wanted_detail(question: str) -> re.Pattern[str] | None:
    """What a "how much" or "when" question looks for, to prefer sentences that hold it."""
    lowered = question.lower()
    if re.search(r"\bhow (?:much|many)\b|\bcost|\bprice|\bnumber of\b", lowered):
        return _AMOUNT
    if re.search(r"\bwhen\b|\bwhat time\b|\bhow long\b", lowered):
        return _WHEN
    return None


def _source(article: Article) -> Source:
    return Source(name=article.outlet or "unknown outlet", url=article.url, article_id=article.id)


async def context_articles(
    db: Database, channel_id: int | None, thread_id: str | None, now: datetime
) -> list[Article]:
    """Articles behind the digest of this thread, else behind the channel's recent digests."""
    if channel_id is None:
        return []
    async with db.session() as session:
        if thread_id:
            digest_id = await digest_store.digest_for_thread(session, channel_id, thread_id)
            if digest_id is not None:
                return await digest_store.articles_of_digests(session, [digest_id])
        recent = await digest_store.recent_digest_ids(
            session, channel_id, since=now - timedelta(days=RECENT_DIGEST_DAYS)
        )
        return await digest_store.articles_of_digests(session, recent)


async def find_relevant(
    db: Database, question: str, channel_id: int | None, thread_id: str | None, now: datetime
) -> list[Ranked]:
    """The most relevant articles: from the channel's digests first, then the whole store."""
    ranked = rank_articles(question, await context_articles(db, channel_id, thread_id, now))
    if ranked:
        return ranked[:TOP_ARTICLES]
    terms = question_terms(question)
    # Stemmed the simple way here; the database stems them again its own way, as it did
    # the articles ("lorry" and "lorries" alike).
    words = terms[:MAX_SEARCH_WORDS]
    async with db.session() as session:
        counts = await count_matches(session, words)
        rarest = sorted(words, key=lambda word: counts[word])[: _words_to_search(len(terms))]
        candidates = await search_articles(session, rarest, limit=STORE_CANDIDATES)
    return rank_articles(question, candidates)[:TOP_ARTICLES]


def _words_to_search(terms: int) -> int:
    """How many of the rarest words a relevant article must hold at least one of.

    An article holding none of the rarest k words covers at most (terms - k) / terms of the
    question, so k is the smallest with that share below MIN_COVERAGE. Searching for those
    alone finds every relevant article, and leaves out the common words that would make the
    database rank a large share of the store.
    """
    needed = math.ceil(MIN_COVERAGE * terms - 1e-9)  # words a relevant article holds
    return terms - needed + 1


async def answer_question(
    db: Database,
    answerer: Answerer,
    question: str,
    *,
    channel_id: int | None,
    thread_id: str | None,
    now: datetime,
    scope: str = "",
    subject: str = "",
) -> Reply:
    """Answer `question` from the store, citing the articles used, or say the sources don't.

    `subject` is the earlier question a follow-up refers back to ("When will it ship?"
    after "What did Valve announce?"): the two are asked together, and only articles about
    that subject may answer.
    """
    question = question.strip()[:MAX_QUESTION_CHARS]
    subject = subject.strip()[:MAX_QUESTION_CHARS]
    # What the subject adds to the follow-up: an article must hold some of it.
    about = set(question_stems(subject)) - set(question_stems(question))
    if subject:
        question = f"{subject} {question}"
    relevant = await find_relevant(db, question, channel_id, thread_id, now)
    if about:
        relevant = [r for r in relevant if about & set(stems(_full_text(r.article)))]
    if not relevant:
        return Reply(text=NOT_FOUND)
    answer = await answerer.answer(question, [r.article for r in relevant], scope=scope)
    if not answer.found or not answer.sentences:
        return Reply(text=NOT_FOUND)
    return reply_from_answer(answer)


def _full_text(article: Article) -> str:
    return f"{article.title}. {article.text}"


def reply_from_answer(answer: Answer) -> Reply:
    """Each sentence followed by the outlets it came from; every cited source in `citations`.

    The links themselves are not in the text: each adapter shows `citations` its own way
    (Slack and Discord as links, the console as a "Sources:" line), so none shows them twice.
    """
    lines = [
        " ".join(sentence.text for sentence in run) + f" ({outlet_list(outlets)})"
        for outlets, run in _runs_by_outlets(answer.sentences)
    ]
    citations = tuple(dict.fromkeys(s for sentence in answer.sentences for s in sentence.sources))
    label = "" if answer.summariser == "llm" else " [extractive]"
    return Reply(text=" ".join(lines) + label, citations=citations)


def _runs_by_outlets(sentences: Sequence[Sentence]) -> list[tuple[list[str], list[Sentence]]]:
    """Consecutive sentences from the same outlets, so each run is tagged once, not each one."""
    runs: list[tuple[list[str], list[Sentence]]] = []
    for sentence in sentences:
        outlets = list(dict.fromkeys(source.name for source in sentence.sources))
        if runs and runs[-1][0] == outlets:
            runs[-1][1].append(sentence)
        else:
            runs.append((outlets, [sentence]))
    return runs
