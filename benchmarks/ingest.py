"""Ingest benchmark: 200 feeds x 50 items on 50 loopback hosts, each answer 200 ms late.

Polls every feed cold (all new, stored) and warm (all 304) through the real code path:
`Fetcher` (with the SSRF guard on: 127.0.0.2-51 stand in for public hosts through the
address policy), `ParserPool` (a process per core), `poll_feeds` and the SQLite store.
The baseline, measured in the same run against the same server, is the naive loop
`for url in urls: feedparser.parse(url)`.

    .venv/bin/python benchmarks/ingest.py                 # full naive loop (~46 s)
    .venv/bin/python benchmarks/ingest.py --naive-feeds 40  # naive loop on 40, extrapolated

The feed server runs in its own process so that it never competes with the client for
the GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import ipaddress
import multiprocessing
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from pathlib import Path

import feedparser
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import FetchSettings
from bot.feeds.fetch import Fetcher
from bot.feeds.guard import IPAddress, is_public_address
from bot.feeds.parse import ParserPool
from bot.feeds.poll import PollOutcome, poll_feeds
from bot.store.db import open_database
from bot.store.feeds import FeedStore
from tests.fakes.feed_server import FeedServer, MappedResolver

HOSTS = [f"127.0.0.{n}" for n in range(2, 52)]
STAND_INS = frozenset(ipaddress.ip_address(h) for h in HOSTS)
START = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Plan:
    feeds: int
    items: int
    delay_s: float

    def host_index(self, feed: int) -> int:
        return feed % len(HOSTS)

    def path(self, feed: int) -> str:
        return f"/outlet-{feed}/feed.xml"


def feed_body(feed: int, items: int) -> bytes:
    """A fictional outlet's RSS feed with `items` entries of a few sentences each."""
    entries = []
    for n in range(items):
        published = format_datetime(START + timedelta(minutes=37 * n + feed))
        entries.append(
            f"""
    <item>
      <title>Outlet {feed} report {n}: council &amp; harbour board agree on ferry plan</title>
      <link>https://outlet-{feed}.example/news/{n}?utm_source=rss&amp;utm_medium=feed</link>
      <guid isPermaLink="false">outlet-{feed}-{n}</guid>
      <pubDate>{published}</pubDate>
      <description>&lt;p&gt;The harbour board of town {feed} agreed a &lt;b&gt;new ferry
      timetable&lt;/b&gt; on day {n}; fares will be reviewed in spring.&lt;/p&gt;</description>
    </item>"""
        )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0">
  <channel>
    <title>Outlet {feed} Gazette</title>
    <link>https://outlet-{feed}.example/</link>
    <description>Benchmark outlet {feed}</description>{"".join(entries)}
  </channel>
</rss>
""".encode()


def serve(plan: Plan, pipe: Connection) -> None:
    """Child process: serve every feed with ETag and delay until told to stop."""
    server = FeedServer(hosts=HOSTS).start()
    for feed in range(plan.feeds):
        server.serve(
            plan.path(feed),
            feed_body(feed, plan.items),
            etag=f'"outlet-{feed}-v1"',
            delay_s=plan.delay_s,
        )
    pipe.send(server.port)
    pipe.recv()  # any message means stop
    pipe.send((len(server.requests), server.connections))
    server.stop()


class MemorySampler:
    """Peak resident memory of this process plus its parser workers (not the server)."""

    def __init__(self, exclude_pid: int) -> None:
        self._exclude = exclude_pid
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        me = psutil.Process()
        total = int(me.memory_info().rss)
        for child in me.children(recursive=True):
            if child.pid == self._exclude:
                continue
            with contextlib.suppress(psutil.Error):
                total += child.memory_info().rss
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(0.05)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def stand_in_public(address: IPAddress) -> bool:
    return address in STAND_INS or is_public_address(address)


def summarise(outcomes: list[PollOutcome]) -> str:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    new = sum(o.new_articles for o in outcomes)
    errors = {o.error for o in outcomes if o.error}
    return f"{counts}, {new} new articles" + (f", errors: {sorted(errors)[:3]}" if errors else "")


@dataclass(frozen=True)
class CpuUse:
    """CPU seconds used by this process, its parser workers and the feed server."""

    main: float
    workers: float
    server: float

    @property
    def total(self) -> float:
        return self.main + self.workers + self.server

    def __sub__(self, other: CpuUse) -> CpuUse:
        return CpuUse(
            self.main - other.main, self.workers - other.workers, self.server - other.server
        )


def cpu_use(server_pid: int) -> CpuUse:
    me = psutil.Process()
    main = sum(me.cpu_times()[:2])
    workers = server = 0.0
    for child in me.children(recursive=True):
        with contextlib.suppress(psutil.Error):
            used = sum(child.cpu_times()[:2])
            if child.pid == server_pid:
                server += used
            else:
                workers += used
    return CpuUse(main, workers, server)


@dataclass(frozen=True)
class Round:
    cold_s: float
    warm_s: float
    cold_summary: str
    warm_summary: str
    cold_cpu: CpuUse


async def run_newsbot(plan: Plan, port: int, db_path: Path, server_pid: int) -> Round:
    """Cold then warm poll through poll_feeds and the store; timings, summaries, CPU."""
    settings = FetchSettings(timeout_s=30)
    names = {f"feeds-{k}.bench": [host] for k, host in enumerate(HOSTS)}
    urls = [
        f"http://feeds-{plan.host_index(f)}.bench:{port}{plan.path(f)}" for f in range(plan.feeds)
    ]
    db = await open_database(f"sqlite+aiosqlite:///{db_path}")
    try:
        store = FeedStore(db)
        now = datetime.now(UTC)
        ids = [(await store.add(url, now=now, origin="user")).id for url in urls]
        fetcher = Fetcher(settings, resolver=MappedResolver(names), is_public=stand_in_public)
        async with fetcher, ParserPool.from_settings(settings) as parser:
            before = cpu_use(server_pid)
            started = time.perf_counter()
            cold = await poll_feeds(db, fetcher, parser, ids, now=now, settings=settings)
            cold_s = time.perf_counter() - started
            cold_cpu = cpu_use(server_pid) - before
            later = now + timedelta(minutes=20)
            started = time.perf_counter()
            warm = await poll_feeds(db, fetcher, parser, ids, now=later, settings=settings)
            warm_s = time.perf_counter() - started
    finally:
        await db.close()
    return Round(cold_s, warm_s, summarise(cold), summarise(warm), cold_cpu)


def run_naive(plan: Plan, port: int, count: int) -> tuple[float, int]:
    """The baseline: feedparser fetching and parsing each feed in turn."""
    entries = 0
    started = time.perf_counter()
    for feed in range(count):
        host = HOSTS[plan.host_index(feed)]
        result = feedparser.parse(f"http://{host}:{port}{plan.path(feed)}")
        entries += len(result.entries)
    return time.perf_counter() - started, entries


def feedparser_cpu_per_10k_items(plan: Plan, sample: int = 20) -> float:
    """One core's time for feedparser alone (defaults) on these feeds, per 10,000 items."""
    bodies = [feed_body(feed, plan.items) for feed in range(min(sample, plan.feeds))]
    started = time.process_time()
    for body in bodies:
        feedparser.parse(io.BytesIO(body))
    return (time.process_time() - started) / (len(bodies) * plan.items) * 10_000


def run_rounds(plan: Plan, port: int, rounds: int, server_pid: int) -> list[Round]:
    """Cold + warm polls, each round on a fresh database (so every cold poll stores all)."""
    results = []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as folder:
            database = Path(folder) / "bench.db"
            results.append(asyncio.run(run_newsbot(plan, port, database, server_pid)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=50)
    parser.add_argument("--delay", type=float, default=0.2, help="seconds per response")
    parser.add_argument(
        "--naive-feeds", type=int, default=None, help="time the naive loop on N feeds, extrapolate"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="cold+warm rounds (fresh database each); best shown"
    )
    args = parser.parse_args()
    plan = Plan(args.feeds, args.items, args.delay)
    naive_count = min(args.naive_feeds or plan.feeds, plan.feeds)

    context = multiprocessing.get_context("spawn")
    ours, theirs = context.Pipe()
    server = context.Process(target=serve, args=(plan, theirs), daemon=True)
    server.start()
    port = ours.recv()
    print(
        f"{plan.feeds} feeds x {plan.items} items on {len(HOSTS)} loopback hosts, "
        f"{plan.delay_s * 1000:.0f} ms per response, {psutil.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )
    try:
        with MemorySampler(server.pid or 0) as memory:
            rounds = run_rounds(plan, port, max(1, args.rounds), server.pid or 0)
        naive_s, naive_entries = run_naive(plan, port, naive_count)
    finally:
        ours.send("stop")
        served, connections = ours.recv()
        server.join(10)

    cold = min(rounds, key=lambda r: r.cold_s)
    warm = min(rounds, key=lambda r: r.warm_s)
    cold_s, cold_summary, warm_s, warm_summary = (
        cold.cold_s,
        cold.cold_summary,
        warm.warm_s,
        warm.warm_summary,
    )
    naive_total = naive_s * plan.feeds / naive_count
    label = "measured" if naive_count == plan.feeds else f"EXTRAPOLATED from {naive_count} feeds"
    best = f"best of {len(rounds)}: " if len(rounds) > 1 else ""
    print(f"cold poll : {cold_s:6.2f} s  {plan.feeds / cold_s:7.1f} feeds/s  ({cold_summary})")
    print(f"warm poll : {warm_s:6.2f} s  {plan.feeds / warm_s:7.1f} feeds/s  ({warm_summary})")
    if len(rounds) > 1:
        colds, warms = [round(r.cold_s, 2) for r in rounds], [round(r.warm_s, 2) for r in rounds]
        print(f"all rounds: cold {colds}, warm {warms}")
    print(
        f"naive loop: {naive_total:6.2f} s  {plan.feeds / naive_total:7.1f} feeds/s  "
        f"({label}; {naive_entries} entries parsed)"
    )
    print(
        f"speed-up  : {best}cold {naive_total / cold_s:5.1f}x (target 12x), "
        f"warm {naive_total / warm_s:5.1f}x (target 60x)"
    )
    cpu, cores = cold.cold_cpu, psutil.cpu_count() or 1
    floor = cpu.total / cores
    print(
        f"cold CPU  : {cpu.total:.1f} s (this process {cpu.main:.1f}, parser workers "
        f"{cpu.workers:.1f}, feed server {cpu.server:.1f}); with {cores} otherwise idle cores "
        f"a cold poll needs no less than {floor:.1f} s (at most {naive_total / floor:.0f}x)"
    )
    print(
        f"parse cost: {feedparser_cpu_per_10k_items(plan):.1f} s of one core per 10,000 items "
        "(feedparser alone, 20 feeds)"
    )
    print(f"peak RSS  : {memory.peak / 2**20:.0f} MiB (this process + parser workers)")
    print(f"server    : {served} requests on {connections} connections")
    print(f"load avg  : {os.getloadavg()[0]:.1f} at the end (other processes share the cores)")


if __name__ == "__main__":
    main()
