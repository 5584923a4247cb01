"""How fast `ask` picks its answer candidates from a large store, and whether it finds old ones.

    .venv/bin/python benchmarks/ask.py [--articles 50000] [--repeat 3]
    .venv/bin/python benchmarks/ask.py --postgres postgresql+asyncpg://postgres@127.0.0.1/test

Builds a store of generated project-written articles spread over three years (SQLite in a
temporary folder, or a throwaway schema on PostgreSQL), 20 of them old stories a question
is asked about. Then, for each question, times the candidate selection `ask` does on the
store (everything before the answer is written):

- full-text: `bot.channels.ask.find_relevant` (the code `ask` runs): the full-text index
  counts each word's articles, ranks the candidates holding the rarest words, and
  `rank_articles` keeps the relevant ones;
- baseline: the previous path, kept here only: SQL `LIKE` on any of the question's words,
  the 400 newest matches, then BM25 in Python (`rank_articles`).

Both run in the same process on the same store; the best of `--repeat` runs of each question
counts. Also printed: how many of the 20 old stories each path found.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.channels.ask import Ranked, find_relevant, question_terms, rank_articles
from bot.models import Article
from bot.store.articles import ArticleStore, article_from_row
from bot.store.db import Database, open_database
from bot.store.schema import ArticleRow

NOW = datetime(2026, 4, 1, 12, tzinfo=UTC)
COMMON = [
    "council",
    "harbour",
    "minister",
    "budget",
    "bridge",
    "police",
    "court",
    "school",
    "market",
    "energy",
    "transport",
    "city",
    "river",
    "port",
    "union",
    "hospital",
    "housing",
    "water",
    "rail",
    "storm",
]
PLACES = ["Port Ellis", "Marlow Ferry", "Brenton", "Kestrel Bay", "Alderford", "Norhaven"]
SYLLABLES = [
    "ka",
    "lo",
    "ven",
    "mir",
    "tas",
    "ul",
    "dor",
    "bre",
    "sen",
    "pha",
    "quo",
    "ri",
    "zel",
    "mun",
    "gat",
    "op",
]
NEEDLES = 20


def rare_words(rng: random.Random, count: int) -> list[str]:
    """Made-up words (like names of places, firms and people): each in few articles."""
    words: set[str] = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(3)))
    return rng.sample(sorted(words), count)  # in a fixed but mixed order


def article(n: int, rng: random.Random, rare: Sequence[str], published: datetime) -> Article:
    topic = [rng.choice(COMMON), rng.choice(rare), rng.choice(rare)]
    vocabulary = COMMON + list(rare[:400])
    sentences = [
        f"The {rng.choice(COMMON)} {' '.join(rng.choice(vocabulary) for _ in range(9))}"
        f" in {rng.choice(PLACES)}, officials said."
        for _ in range(6)
    ]
    return Article(
        id=f"a{n}",
        url=f"https://outlet{n % 10}.example/{n}",
        title=" ".join(topic).capitalize(),
        text=" ".join(sentences),
        outlet=f"Outlet {n % 10}",
        published=published,
    )


def needle(n: int, rng: random.Random, rare: Sequence[str]) -> tuple[Article, str]:
    """An old story and the question about it (its words also in many newer articles)."""
    common, first, second = rng.choice(COMMON), rare[-1 - 2 * n], rare[-2 - 2 * n]
    story = Article(
        id=f"needle{n}",
        url=f"https://archive.example/{n}",
        title=f"{first.capitalize()} {common} deal with {second.capitalize()}",
        text=f"The {first} {common} agreed a deal with {second} on Tuesday, officials said. "
        f"The {common} deal runs for ten years.",
        outlet="Archive Times",
        published=NOW - timedelta(days=1000 + n),
    )
    return story, f"What was the {common} deal between {first} and {second}?"


async def build_store(db: Database, count: int) -> list[tuple[Article, str]]:
    rng = random.Random(7)
    rare = rare_words(rng, 3000)
    needles = [needle(n, rng, rare) for n in range(NEEDLES)]
    store = ArticleStore(db)
    await store.add_many([story for story, _ in needles], feed_id=None, fetched_at=NOW)
    batch: list[Article] = []
    for n in range(count - NEEDLES):
        published = NOW - timedelta(minutes=n * 30)  # the newest first, back some 3 years
        batch.append(article(n, rng, rare[: -2 * NEEDLES], published))
        if len(batch) == 1000:
            await store.add_many(batch, feed_id=None, fetched_at=NOW)
            batch = []
    if batch:
        await store.add_many(batch, feed_id=None, fetched_at=NOW)
    return needles


# -- the baseline: the pre-full-text path, kept only here ------------------------------


def baseline_words(question: str) -> list[str]:
    words = [t[:-1] if t.endswith("y") else t for t in question_terms(question)]
    return [w for w in words if len(w) >= 3][:8]


def _contains(word: str) -> Any:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(
        ArticleRow.title.ilike(pattern, escape="\\"), ArticleRow.text.ilike(pattern, escape="\\")
    )


async def baseline_relevant(db: Database, question: str) -> list[Ranked]:
    words = baseline_words(question)
    if not words:
        return []
    query = (
        select(ArticleRow)
        .where(or_(*(_contains(word) for word in words)))
        .order_by(ArticleRow.published_at.desc())
        .limit(400)
    )
    async with db.session() as session:
        candidates = [article_from_row(row) for row in (await session.scalars(query)).all()]
    return rank_articles(question, candidates)[:5]


async def full_text_relevant(db: Database, question: str) -> list[Ranked]:
    return await find_relevant(db, question, None, None, NOW)


async def measure(
    select_for: Callable[[str], Awaitable[list[Ranked]]],
    needles: Sequence[tuple[Article, str]],
    repeat: int,
) -> tuple[list[float], int]:
    """Best time per question (seconds) and how many questions found their story first."""
    times, found = [], 0
    for story, question in needles:
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            ranked = await select_for(question)
            best = min(best, time.perf_counter() - start)
        times.append(best)
        found += bool(ranked) and ranked[0].article.id == story.id
    return times, found


async def run(url: str, schema: str | None, count: int, repeat: int) -> None:
    db = await open_database(url, schema=schema)
    try:
        start = time.perf_counter()
        needles = await build_store(db, count)
        print(
            f"store: {count} articles ({db.dialect}) built in {time.perf_counter() - start:.0f} s"
        )
        questions = [q for _, q in needles]
        for question in questions[:2]:  # warm caches for both paths alike
            await full_text_relevant(db, question)
            await baseline_relevant(db, question)
        ours, ours_found = await measure(lambda q: full_text_relevant(db, q), needles, repeat)
        base, base_found = await measure(lambda q: baseline_relevant(db, q), needles, repeat)
    finally:
        await db.close()
    ours_ms, base_ms = statistics.median(ours) * 1000, statistics.median(base) * 1000
    print(f"questions: {len(needles)} about stories 1,000+ days old, best of {repeat} each")
    print(
        f"full-text (database-ranked):  median {ours_ms:8.1f} ms, max {max(ours) * 1000:8.1f} ms,"
        f" old story found first {ours_found}/{len(needles)}"
    )
    print(
        f"baseline (LIKE, 400 newest):  median {base_ms:8.1f} ms, max {max(base) * 1000:8.1f} ms,"
        f" old story found first {base_found}/{len(needles)}"
    )
    print(f"ratio (baseline / full-text median): {base_ms / ours_ms:.1f}x")


async def drop_schema(url: str, schema: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL", help="run on PostgreSQL instead of SQLite")
    args = parser.parse_args()
    if args.postgres:
        schema = f"bench_{uuid.uuid4().hex[:12]}"
        try:
            asyncio.run(run(args.postgres, schema, args.articles, args.repeat))
        finally:
            asyncio.run(drop_schema(args.postgres, schema))
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        asyncio.run(run(url, None, args.articles, args.repeat))


if __name__ == "__main__":
    main()
