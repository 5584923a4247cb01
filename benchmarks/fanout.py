"""Fan-out benchmark: N channels over F feeds, all due the same minute, 50 posts/s sink.

    .venv/bin/python benchmarks/fanout.py               # 10,000 channels, 500 feeds
    .venv/bin/python benchmarks/fanout.py --channels 1000

It seeds a fresh SQLite database, then runs ONE scheduler tick (the same code `newsbot run`
runs) with the real extractive summariser and a recording sink that accepts at most 50 posts
in any one-second window (the poster paces itself, as every platform poster must). Printed:
time to deliver everything against the rate-limit lower bound (N / 50 s), digest build cost
per channel (with clusters and summaries shared across channels), duplicates and peak memory.

Half of the channels follow one of 100 popular feed bundles; the other half follow their own
mix of 2-4 feeds. Each feed carries three stories of its own and one wire story that twenty
other feeds also cover in their own words.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import resource
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from bot.channels.daily import BuildDeps
from bot.channels.delivery import PostError, PostResult
from bot.channels.scheduler import Scheduler
from bot.channels.timing import latest_digest_at, parse_zone
from bot.digest.compose import BuildCache, compose_digest
from bot.models import Article, ChannelRef, Digest
from bot.store.db import Database, open_database
from bot.store.schema import (
    ArticleRow,
    ChannelRow,
    FeedArticleRow,
    FeedRow,
    SubscriptionRow,
)
from bot.summarise.extractive import ExtractiveSummariser

RATE = 50.0  # posts per second the platform allows
TOWNS = [
    "Harbourne",
    "Millbrook",
    "Eastvale",
    "Ridgeford",
    "Ashcombe",
    "Kelby",
    "Stonewick",
    "Larkspur",
]
THINGS = [
    "bridge",
    "library",
    "ferry",
    "school",
    "tram",
    "clinic",
    "market",
    "stadium",
    "reservoir",
    "park",
]
MONTHS = ["March", "April", "May", "June", "July", "September", "October", "November"]
WIRE_EVENTS = 25


@dataclass
class RecordingSink:
    """Accepts posts, at most RATE in any one-second window; records every accepted post."""

    accepted: list[tuple[str, float]] = field(default_factory=list)
    window: collections.deque[float] = field(default_factory=collections.deque)
    rejected: int = 0

    def accept(self, key: str) -> str:
        now = time.monotonic()
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        if len(self.window) >= RATE:
            self.rejected += 1
            raise PostError("429 too many posts", retryable=True, retry_after_s=1.0)
        self.window.append(now)
        self.accepted.append((key, now))
        return f"m{len(self.accepted)}"


class PacedPoster:
    """The one rate-limited sender of a platform: at most RATE posts in any one second.

    A sliding window, like the platform's own: a post waits only until the post RATE places
    back is a second old, so a late post never wastes capacity for the ones behind it.
    """

    platform = "bench"

    def __init__(self, sink: RecordingSink) -> None:
        self.sink = sink
        self._lock = asyncio.Lock()
        self._sent: collections.deque[float] = collections.deque(maxlen=int(RATE))

    async def post_digest(
        self, where: ChannelRef, digest: Digest, *, idempotency_key: str
    ) -> PostResult:
        async with self._lock:
            if len(self._sent) == self._sent.maxlen:
                wait = self._sent[0] + 1.001 - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            message = self.sink.accept(idempotency_key)
            self._sent.append(time.monotonic())
        return PostResult(message_id=message, thread_id=message)

    async def find_posted(self, where: ChannelRef, idempotency_key: str) -> PostResult | None:
        for key, _ in self.sink.accepted:
            if key == idempotency_key:
                return PostResult(message_id="found", thread_id="found")
        return None

    async def notify(self, where: ChannelRef, text: str) -> None:
        return None


def story_text(rng: random.Random, town: str, thing: str, amount: int, outlet: str) -> str:
    month = rng.choice(MONTHS)
    return (
        f"{town} council approved a {amount} million euro plan for the {thing} on Tuesday. "
        f"Officials said work on the {thing} would start in {month} and last two years. "
        f"Residents of {town} told {outlet} they welcomed the {thing} plan. "
        f"The opposition asked for a review of the {amount} million euro budget."
    )


async def seed(db: Database, channels: int, feeds: int, now: datetime) -> list[list[int]]:
    """Store the feeds, articles, channels and subscriptions; returns each channel's feeds."""
    rng = random.Random(7)
    due = latest_digest_at(now, dtime(8, 0), parse_zone("UTC"))
    fetched = due - timedelta(hours=3)
    feed_rows, article_rows, links = [], [], []
    for f in range(feeds):
        outlet = f"Outlet {f}"
        feed_rows.append(
            {
                "id": f + 1,
                "url": f"https://feeds{f}.example/rss",
                "title": outlet,
                "outlet": outlet,
                "origin": "user",
                "poll_interval_s": 900,
                "next_poll_at": now + timedelta(days=365),
                "last_status": "ok",
                "last_error": "",
                "consecutive_failures": 0,
                "disabled": False,
                "disabled_reason": "",
                "baselined": True,
                "created_at": now,
            }
        )
        stories = [
            (
                f"own{f}-{k}",
                TOWNS[(f + k) % len(TOWNS)],
                THINGS[(f * 3 + k) % len(THINGS)],
                2 + k + f % 40,
            )
            for k in range(3)
        ]
        wire = f % WIRE_EVENTS
        town, thing = TOWNS[wire % len(TOWNS)], THINGS[wire % len(THINGS)]
        stories.append((f"wire{wire}-{f}", town, thing, 90 + wire))
        for slug, town, thing, amount in stories:
            aid = f"{slug}"
            article_rows.append(
                {
                    "id": aid,
                    "url": f"https://feeds{f}.example/{slug}",
                    "title": f"{town} approves {thing} plan worth {amount} million",
                    "text": story_text(rng, town, thing, amount, outlet),
                    "outlet": outlet,
                    "feed_id": f + 1,
                    "published_at": fetched - timedelta(minutes=rng.randint(0, 600)),
                    "fetched_at": fetched,
                    "baseline": False,
                }
            )
            links.append({"feed_id": f + 1, "article_id": aid})
    bundles = [sorted(rng.sample(range(1, feeds + 1), 3)) for _ in range(100)]
    channel_rows, subs, followed = [], [], []
    for c in range(channels):
        chosen = (
            bundles[c % 100] if c % 2 == 0 else rng.sample(range(1, feeds + 1), rng.randint(2, 4))
        )
        followed.append(list(chosen))
        channel_rows.append(
            {
                "id": c + 1,
                "platform": "bench",
                "workspace": f"w{c // 100}",
                "channel": f"c{c}",
                "timezone": "UTC",
                "digest_time": "08:00",
                "max_items": 8,
                "summariser": "extractive",
                "digest_enabled": True,
                "next_digest_at": now - timedelta(seconds=30),
                "created_at": now - timedelta(days=2),
            }
        )
        for feed_id in chosen:
            subs.append(
                {
                    "channel_id": c + 1,
                    "kind": "feed",
                    "feed_id": feed_id,
                    "topic": "",
                    "include_words": [],
                    "exclude_words": [],
                    "created_at": now - timedelta(days=2),
                }
            )
    async with db.session() as session:
        for table, rows in (
            (FeedRow, feed_rows),
            (ArticleRow, article_rows),
            (FeedArticleRow, links),
            (ChannelRow, channel_rows),
            (SubscriptionRow, subs),
        ):
            for start in range(0, len(rows), 2000):
                await session.execute(insert(table), rows[start : start + 2000])
    return followed


async def compose_cost(
    cache: BuildCache, followed: list[list[int]], *, sample: int
) -> tuple[float, float]:
    """Milliseconds per channel to cluster and summarise its articles: sharing the tick's
    clusters and summaries across channels, and each channel on its own (CPU only)."""
    by_feed: dict[int, list[Article]] = {}
    for (feed_id, _, _), articles in cache.feed_articles.items():
        by_feed.setdefault(feed_id, []).extend(articles)
    chosen = random.Random(11).sample(followed, min(sample, len(followed)))
    sets = [[a for f in feeds for a in by_feed.get(f, [])] for feeds in chosen]
    start, end = next(iter(cache.feed_articles))[1:]
    summariser = ExtractiveSummariser()

    async def timed(shared: bool) -> float:
        common = BuildCache(feed_articles=dict(cache.feed_articles))
        began = time.perf_counter()
        for articles in sets:
            await compose_digest(
                articles,
                title="t",
                start=start,
                end=end,
                max_items=8,
                summariser=summariser,
                cache=common if shared else BuildCache(),
            )
        return 1000 * (time.perf_counter() - began) / max(len(sets), 1)

    return await timed(True), await timed(False)


async def run(channels: int, feeds: int, folder: Path) -> int:
    db = await open_database(f"sqlite+aiosqlite:///{folder / 'fanout.db'}")
    now = datetime.now(UTC)
    seeded = time.perf_counter()
    followed = await seed(db, channels, feeds, now)
    print(f"seeded {channels} channels over {feeds} feeds in {time.perf_counter() - seeded:.1f} s")
    sink = RecordingSink()
    summariser = ExtractiveSummariser()
    scheduler = Scheduler(
        db=db,
        build=BuildDeps(
            db=db, summariser_for=lambda _mode: summariser, clock=lambda: datetime.now(UTC)
        ),
        posters={"bench": PacedPoster(sink)},
        clock=lambda: datetime.now(UTC),
        delivery_concurrency=64,
        batch=channels + 1,
    )
    began = time.monotonic()
    report = await scheduler.tick()
    await db.close()
    if sink.accepted:
        first, last = sink.accepted[0][1] - began, sink.accepted[-1][1] - began
        print(f"posting:              first post after {first:.2f} s, last after {last:.2f} s")
    bound = channels / RATE
    keys = collections.Counter(key for key, _ in sink.accepted)
    duplicates = sum(count - 1 for count in keys.values())
    cache = report.cache
    assert cache is not None
    shown = cache.summarised_stories + cache.reused_items
    shared_ms, alone_ms = await compose_cost(cache, followed, sample=400)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"delivered:            {len(keys)} of {channels} digests ({dict(report.deliveries)})")
    print(
        f"total time:           {report.total_s:.1f} s; rate-limit bound {bound:.1f} s; "
        f"ratio {report.total_s / bound:.3f} (target <= 1.1; the first {int(RATE)} posts may go "
        f"at once, so the true floor is {(channels - RATE) / RATE:.1f} s)"
    )
    print(
        f"build phase:          {report.build_phase_s:.1f} s for {report.digests_built} digests "
        f"= {1000 * report.build_phase_s / max(report.digests_built, 1):.2f} ms per channel "
        "(overlapped with delivery)"
    )
    print(
        f"shared work:          {cache.summarised_stories} stories summarised for {shown} items "
        f"shown ({100 * cache.reused_items / max(shown, 1):.1f}% reused), "
        f"{cache.clusterings} clusterings for {len(cache.stories)} distinct article sets"
    )
    print(
        f"compose cost:         {shared_ms:.2f} ms per channel with shared clusters and "
        f"summaries, {alone_ms:.2f} ms each on its own (400 random channels, CPU only)"
    )
    print(f"duplicates:           {duplicates} (must be 0); sink refusals (rate): {sink.rejected}")
    print(f"peak memory (RSS):    {peak_mb:.0f} MB (target < 500)")
    ok = (
        duplicates == 0
        and len(keys) == channels
        and report.total_s <= 1.1 * bound
        and peak_mb < 500
    )
    print("result:               " + ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--channels", type=int, default=10_000)
    parser.add_argument("--feeds", type=int, default=0, help="default: channels / 20, at most 500")
    args = parser.parse_args()
    feeds = args.feeds or max(10, min(500, args.channels // 20))
    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(run(args.channels, feeds, Path(folder)))


if __name__ == "__main__":
    sys.exit(main())
