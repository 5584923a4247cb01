"""Speed of the extractive summariser against sumy's LexRank, and of a 1,000-article digest.

    .venv/bin/python benchmarks/summarise.py [--eval-dir ../shared/eval] [--repeat 5]

Texts: the CNN/DM evaluation articles when `cnndm.jsonl` is in the eval folder, otherwise
generated project texts of the same size (about 600 words, 30 sentences). Both summarisers
run on the same texts in the same process, pinned to one core; the best of `--repeat` runs
counts. LexRank gets a tokenizer built on the project's sentence splitter, since NLTK's
punkt data cannot be downloaded here.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.digest.compose import compose_digest  # noqa: E402
from bot.models import Article, Story  # noqa: E402
from bot.summarise.cluster import cluster_articles, story_id  # noqa: E402
from bot.summarise.extractive import ExtractiveSummariser  # noqa: E402
from bot.summarise.furniture import is_furniture  # noqa: E402
from bot.summarise.neutral import assess  # noqa: E402
from bot.summarise.sentences import split_sentences  # noqa: E402

WORDS = [
    "council",
    "harbour",
    "minister",
    "agency",
    "budget",
    "bridge",
    "police",
    "report",
    "vote",
    "plan",
    "figures",
    "company",
    "shares",
    "court",
    "judge",
    "workers",
    "union",
    "storm",
    "hospital",
    "school",
    "market",
    "energy",
    "transport",
    "city",
    "region",
    "officials",
    "residents",
    "million",
    "crowns",
    "percent",
    "week",
    "month",
    "year",
    "said",
    "announced",
    "approved",
    "rejected",
    "delayed",
    "opened",
    "closed",
    "raised",
    "cut",
    "expected",
    "warned",
    "confirmed",
]
PLACES = ["Port Ellis", "Marlow Ferry", "Brenton", "Kestrel Bay", "Alderford", "Norhaven"]
OUTLETS = [f"Outlet {name}" for name in "ABCDEFGHIJ"]


def pin_to_one_core() -> str:
    """Run on a single CPU so the figure means 'articles per second on one core'."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        return "pinned to one core"
    return "not pinned (no sched_setaffinity)"


def generated_sentence(rng: random.Random, topic: str) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
    return f"The {topic} {' '.join(words)} in {rng.choice(PLACES)}, officials said."


def generated_texts(count: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(generated_sentence(rng, rng.choice(WORDS)) for _ in range(30))
        for _ in range(count)
    ]


def load_texts(eval_dir: Path) -> tuple[list[str], str]:
    path = eval_dir / "cnndm.jsonl"
    if path.exists():
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [row["text"] for row in rows], f"CNN/DM eval texts ({path})"
    return generated_texts(60), "generated project texts (eval set absent)"


def best_rate(run: Callable[[], None], items: int, repeat: int) -> float:
    """Items per CPU second, best of `repeat` runs (CPU time: other processes on the
    machine slow the wall clock, not the work done on this core)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        run()
        best = min(best, time.process_time() - start)
    return items / best


def extractive_runner(texts: list[str]) -> Callable[[], None]:
    summariser = ExtractiveSummariser()
    now = datetime(2026, 1, 1, tzinfo=UTC)
    stories = []
    for i, text in enumerate(texts):
        article = Article(str(i), f"https://x.example/{i}", "", text, "Outlet", now)
        stories.append(Story(story_id([article]), (article,)))

    def run() -> None:
        assess.cache_clear()  # each run judges every sentence afresh
        is_furniture.cache_clear()
        for story in stories:
            summariser.summarise_story(story)

    return run


def lexrank_runner(texts: list[str]) -> Callable[[], None]:
    from sumy.nlp.stemmers import Stemmer
    from sumy.parsers.plaintext import PlaintextParser
    from sumy.summarizers.lex_rank import LexRankSummarizer

    class Tokenizer:
        language = "english"

        def to_sentences(self, paragraph: str) -> tuple[str, ...]:
            return tuple(split_sentences(paragraph))

        def to_words(self, sentence: str) -> tuple[str, ...]:
            return tuple(re.findall(r"[A-Za-z0-9']+", sentence))

    summarizer = LexRankSummarizer(Stemmer("english"))
    tokenizer = Tokenizer()

    def run() -> None:
        for text in texts:
            document = PlaintextParser.from_string(text, tokenizer).document
            summarizer(document, 3)

    return run


def digest_articles(count: int = 1000, outlets: int = 10, seed: int = 2) -> list[Article]:
    """`count` articles from `outlets` outlets: about three outlets per event."""
    rng = random.Random(seed)
    start = datetime(2026, 11, 24, tzinfo=UTC)
    articles = []
    for i in range(count):
        event = i // 3
        topic_rng = random.Random(event)
        topic = " ".join(topic_rng.choice(WORDS) for _ in range(4))
        place = topic_rng.choice(PLACES)
        title = f"{place} {topic} {event}"
        text = " ".join(generated_sentence(rng, f"{topic} {event}") for _ in range(8))
        outlet = OUTLETS[i % outlets]
        published = start + timedelta(minutes=event * 3 + rng.randint(0, 90))
        articles.append(
            Article(
                f"a{i}", f"https://{outlet[-1].lower()}.example/{i}", title, text, outlet, published
            )
        )
    return articles


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(pin_to_one_core())
    texts, origin = load_texts(args.eval_dir)
    words = sum(len(t.split()) for t in texts) / len(texts)
    print(f"texts: {len(texts)} {origin}, {words:.0f} words on average")

    ours = best_rate(extractive_runner(texts), len(texts), args.repeat)
    lexrank = best_rate(lexrank_runner(texts), len(texts), max(1, args.repeat // 2))
    print(f"extractive summariser: {ours:8.0f} articles/s (target >= 500)")
    print(f"sumy LexRank:          {lexrank:8.0f} articles/s")
    print(f"ratio:                 {ours / lexrank:8.1f}x (target >= 10x)")

    articles = digest_articles()
    start = time.perf_counter()
    stories = cluster_articles(articles)
    cluster_s = time.perf_counter() - start
    is_furniture.cache_clear()  # the digest checks its sentences afresh, not from the run above
    start = time.perf_counter()
    digest = asyncio.run(
        compose_digest(
            articles,
            title="Benchmark",
            start=articles[0].published,
            end=articles[-1].published,
            max_items=20,
            summariser=ExtractiveSummariser(),
        )
    )[0]
    build_s = time.perf_counter() - start
    print(
        f"digest of {len(articles)} articles from {len(OUTLETS)} outlets: {build_s * 1000:.0f} ms "
        f"(clustering alone {cluster_s * 1000:.0f} ms, {len(stories)} stories, "
        f"{len(digest.items)} items summarised)"
    )


if __name__ == "__main__":
    main()
