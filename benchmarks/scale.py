"""Scale-out benchmark: channels over feeds on PostgreSQL with 1, 2 and 4 `newsbot worker`s.

    .venv/bin/python benchmarks/scale.py                 # 100,000 channels over 50,000 feeds
    .venv/bin/python benchmarks/scale.py --scale 0.01    # 1,000 channels over 500 feeds
    .venv/bin/python benchmarks/scale.py --workers 1,2 --scale 0.005
    .venv/bin/python benchmarks/scale.py --scale 0.01 --sink hold --sender-concurrency 16

For each worker count it makes a database of its own on the local server
(`newsbot_bench_<pid>_<n>`, dropped afterwards), prepares it with `newsbot db upgrade`, seeds
the feeds (each served by the loopback feed server, three fresh items each) and the channels
(channel i follows feed i mod feeds), and starts the worker processes plus one webhook sender
(`newsbot worker --send webhook`) posting to a recording sink that enforces 50 posts/s in one
of two ways (`--sink`): `refuse` accepts at most 50 posts in any one-second window and answers
429 (Retry-After: 1) beyond that, as a platform's API does; `hold` keeps each request open
until its slot (one every 20 ms), as a client library that waits out the rate limit does, so
the wave's time shows whether building and queueing keep the platform's pipe full. The
benchmark is the cron: it defers the minute tick itself (workers run with --no-tick), once a
minute of wall time, as the queue's periodic deferrer does.

Two phases, timed on the wall clock:
1. Polling: one tick hands out every feed; feeds polled per second until all are polled.
2. The digest wave: every channel's digest falls due at once; the time from the tick to the
   sink's last accepted post, against the rate-limit bound (channels / 50 s, target <= 1.1x).
Printed per worker count: feeds/s, jobs/s (the queue's job ids used), wave time and ratio,
posts refused by the sink (429), duplicates and lost posts (both must be 0), the database's
size, and the peak memory (RSS, the process with its parser children) of each process kind.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil
from aiohttp import web
from sqlalchemy import func, insert, make_url, select, text, update

from bot.store.db import Database, open_database
from bot.store.schema import ChannelRow, DigestRow, FeedRow, SubscriptionRow
from tests.channels.test_crash_delivery import run_on_server
from tests.fakes.feed_server import FeedServer
from tests.fakes.webhook_sink import RecordingSink

REPO = Path(__file__).resolve().parents[1]
SERVER = os.environ.get(
    "NEWSBOT_BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
POSTS_PER_S = 50
FEED_HOSTS = tuple(f"127.0.0.{n}" for n in range(1, 9))  # 8 "sites", so per-host limits apply
TICK_EVERY_S = 60.0
WORKER_ENV = {
    "NEWSBOT_DIGEST__SUMMARISER": "extractive",
    "NEWSBOT_FETCH__ALLOW_PRIVATE_ADDRESSES": "true",  # the simulated sites are on loopback
    "NEWSBOT_FETCH__PARSE_WORKERS": "1",
    "NEWSBOT_FETCH__PER_HOST_CONNECTIONS": "8",
    "NEWSBOT_LOG_LEVEL": "WARNING",
}
TOWNS = ("Harbourview", "Millbrook", "Eastcliff", "Ashford", "Lakemoor", "Stonebridge")
THINGS = ("ferry timetable", "library roof", "tram depot", "school garden", "river wall")


def feed_body(feed: int, when: datetime) -> bytes:
    """Three fresh stories of one fictional local outlet (project-written text)."""
    town = TOWNS[feed % len(TOWNS)]
    items = "".join(
        f"<item><title>{town} council backs {THINGS[(feed + n) % len(THINGS)]} plan {n}</title>"
        f"<link>https://site{feed}.bench.example/{n}</link>"
        f"<pubDate>{format_datetime(when - timedelta(minutes=n))}</pubDate>"
        f"<description>The {town} council approved the {THINGS[(feed + n) % len(THINGS)]} plan "
        f"on Monday. Work costs {feed % 9 + 1}.{n} million and starts in spring, officials "
        f"said. Residents were asked for comments until the end of the month.</description>"
        "</item>"
        for n in range(3)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{town} Post {feed}</title>'
        f"<link>https://site{feed}.bench.example/</link><description>news</description>"
        f"{items}</channel></rss>"
    ).encode()


@dataclass
class Sink(RecordingSink):
    """The platform: records posts, at most POSTS_PER_S a second (refused or held, `enforce`)."""

    enforce: str = "refuse"  # or "hold": see the module doc
    accepted: list[tuple[str, float]] = field(default_factory=list)  # (key, monotonic time)
    refused: int = 0
    _next_slot: float = 0.0
    _window: list[float] = field(default_factory=list)

    async def _post(self, request: web.Request) -> web.Response:
        body = await request.json()
        if "notice" in body:
            return web.json_response({})
        now = time.monotonic()
        if self.enforce == "hold":
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1 / POSTS_PER_S
            await asyncio.sleep(slot - now)
            now = time.monotonic()
        self._window = [t for t in self._window if now - t < 1.0]
        if self.enforce == "refuse" and len(self._window) >= POSTS_PER_S:
            self.refused += 1
            return web.json_response({}, status=429, headers={"Retry-After": "1"})
        self._window.append(now)
        key = str(body["idempotency_key"])
        self.accepted.append((key, now))
        return web.json_response({"message_id": f"m{len(self.accepted)}"})

    async def _get(self, request: web.Request) -> web.Response:
        key = request.query.get("idempotency_key", "")
        for index, (posted, _) in enumerate(self.accepted, start=1):
            if posted == key:
                return web.json_response({"message_id": f"m{index}"})
        return web.json_response({}, status=404)


@dataclass
class Proc:
    kind: str
    process: asyncio.subprocess.Process
    peak_rss: int = 0
    cpu_s: float = 0.0  # user + system, with its parser children, at the last sample

    def sample(self) -> None:
        try:
            root = psutil.Process(self.process.pid)
            tree = [root, *root.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in tree)
            cpu = sum(p.cpu_times().user + p.cpu_times().system for p in tree)
        except psutil.Error:
            return
        self.peak_rss = max(self.peak_rss, rss)
        self.cpu_s = max(self.cpu_s, cpu)


@dataclass
class Result:
    workers: int
    feeds: int
    channels: int
    poll_s: float
    poll_jobs: int
    wave_s: float
    wave_jobs: int
    built_s: float  # from the wave's tick to the last digest stored
    first_post_s: float  # from the wave's tick to the sink's first accepted post
    xacts: int  # database transactions during the wave, every process's (load-independent cost)
    refused: int
    duplicates: int
    lost: int
    db_bytes: int
    peak_rss: dict[str, int]
    cpu_s: dict[str, float]  # CPU seconds over the run, all processes of a kind together
    sink_mode: str

    @property
    def bound_s(self) -> float:
        return self.channels / POSTS_PER_S


async def newsbot(
    url: str, *args: str, kind: str = "", log: Path | None = None, env: dict[str, str] | None = None
) -> Proc:
    out = log.open("ab") if log else asyncio.subprocess.DEVNULL
    profile = os.environ.get(f"NEWSBOT_BENCH_PROFILE_{kind.upper()}") if kind else None
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *(("-m", "cProfile", "-o", profile) if profile else ()),  # where time goes, per kind
        "-m",
        "bot",
        *args,
        cwd=REPO,
        env={**os.environ, **WORKER_ENV, **(env or {}), "NEWSBOT_DATABASE_URL": url},
        stdin=asyncio.subprocess.DEVNULL,
        stdout=out,
        stderr=out,
    )
    return Proc(kind, process)


async def seed(db: Database, server: FeedServer, feeds: int, channels: int, now: datetime) -> None:
    """Feeds due now (already baselined: their items count as news), channels not yet due."""
    for n in range(feeds):
        server.serve(f"/f{n}.xml", feed_body(n, now))
    later = datetime(2100, 1, 1, tzinfo=UTC)
    async with db.session() as session:
        for start in range(0, feeds, 5000):
            rows = [
                {
                    "url": server.url(f"/f{n}.xml", host=FEED_HOSTS[n % len(FEED_HOSTS)]),
                    "outlet": f"Post {n}",
                    "next_poll_at": now - timedelta(minutes=5),
                    "baselined": True,
                    "created_at": now - timedelta(days=1),
                }
                for n in range(start, min(start + 5000, feeds))
            ]
            await session.execute(insert(FeedRow), rows)
        feed_ids = list((await session.scalars(select(FeedRow.id).order_by(FeedRow.id))).all())
        for start in range(0, channels, 5000):
            rows = [
                {
                    "platform": "webhook",
                    "workspace": "bench",
                    "channel": f"c{n}",
                    "summariser": "extractive",
                    "next_digest_at": later,
                    "created_at": now - timedelta(days=1),
                }
                for n in range(start, min(start + 5000, channels))
            ]
            await session.execute(insert(ChannelRow), rows)
        channel_ids = list(
            (await session.scalars(select(ChannelRow.id).order_by(ChannelRow.id))).all()
        )
        for start in range(0, channels, 5000):
            rows = [
                {
                    "channel_id": channel_ids[n],
                    "kind": "feed",
                    "feed_id": feed_ids[n % feeds],
                    "created_at": now - timedelta(days=1),
                }
                for n in range(start, min(start + 5000, channels))
            ]
            await session.execute(insert(SubscriptionRow), rows)


async def transactions(db: Database) -> int:
    """Transactions committed or rolled back in this database so far (PostgreSQL's count)."""
    async with db.session() as session:
        count = await session.scalar(
            text(
                "SELECT xact_commit + xact_rollback FROM pg_stat_database "
                "WHERE datname = current_database()"
            )
        )
    return int(count or 0)


async def job_ids_used(db: Database) -> int:
    async with db.session() as session:
        used = await session.scalar(text("SELECT last_value FROM procrastinate_jobs_id_seq"))
    return int(used or 0)


async def feeds_polled(db: Database, since: datetime) -> int:
    async with db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(FeedRow).where(FeedRow.last_polled_at >= since)
        )
    return int(count or 0)


async def defer_tick(url: str, at: datetime) -> None:
    from bot.workers.app import job_app
    from bot.workers.tasks import TICK

    jobs = job_app(url, periodic_tick=False)
    async with jobs.open_async():
        await jobs.tasks[TICK].defer_async(timestamp=int(at.timestamp()))


# The tables a wave churns: the queue deletes each finished job (three rows a post), and
# every channel and outbox row is updated once or twice.
CHURNED = "procrastinate_jobs, procrastinate_events, procrastinate_workers, outbox, channels, feeds"


async def vacuum_like_autovacuum(url: str, db: Database, stop: asyncio.Event) -> None:
    """VACUUM the churned tables each minute when the server's autovacuum is off (as on this
    project's CI server), as autovacuum would: without it dead queue rows pile up and each
    job fetch walks over them (the 100k wave's sender fell from 50 to 39 posts/s)."""
    async with db.session() as session:
        if await session.scalar(text("SHOW autovacuum")) == "on":
            return
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 60)
        if not stop.is_set():
            await run_on_server(url, f"VACUUM (ANALYZE) {CHURNED}")


async def sample_memory(procs: list[Proc], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for proc in procs:
            proc.sample()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def wait_for(
    condition: Callable[[], Awaitable[bool]], timeout_s: float, every_s: float = 0.25
) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(every_s)
    return False


async def run_one(
    workers: int,
    feeds: int,
    channels: int,
    server: FeedServer,
    logs: Path,
    sink_mode: str,
    sender_concurrency: int | None,
    pace: float,
) -> Result:
    name = f"newsbot_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    await run_on_server(SERVER, f'CREATE DATABASE "{name}"')
    url = make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    db = await open_database(url)
    procs: list[Proc] = []
    sink = Sink(enforce=sink_mode)
    stop_sampling = asyncio.Event()
    try:
        upgrade = await newsbot(url, "db", "upgrade", log=logs / "upgrade.log")
        if await upgrade.process.wait() != 0:
            raise RuntimeError(f"newsbot db upgrade failed; see {logs / 'upgrade.log'}")
        now = datetime.now(UTC).replace(microsecond=0)
        await seed(db, server, feeds, channels, now)
        await sink.start()
        for n in range(workers):
            procs.append(
                await newsbot(url, "worker", "--no-tick", kind="worker", log=logs / f"w{n}.log")
            )
        procs.append(
            await newsbot(
                url,
                "worker",
                "--no-tick",
                "--send",
                "webhook",
                "--webhook",
                sink.url,
                kind="sender",
                env=sender_env(sender_concurrency, pace),
                log=logs / "sender.log",
            )
        )
        sampler = asyncio.create_task(sample_memory(procs, stop_sampling))
        vacuum = asyncio.create_task(vacuum_like_autovacuum(url, db, stop_sampling))

        async def all_listening() -> bool:  # each process registers when it starts taking jobs
            async with db.session() as session:
                found = await session.scalar(text("SELECT count(*) FROM procrastinate_workers"))
            return int(found or 0) >= len(procs)

        if not await wait_for(all_listening, 120):
            raise RuntimeError(f"the workers did not start; see {logs}")

        # Phase 1: polling. Ticks as of a minute ago, so the articles predate the wave.
        poll_at = now.replace(second=0) - timedelta(minutes=1)
        jobs_before = await job_ids_used(db)
        started = time.monotonic()
        for _ in range(math.ceil(feeds / 20_000)):  # the tick hands out at most 20,000
            await defer_tick(url, poll_at)

        async def all_polled() -> bool:
            return await feeds_polled(db, poll_at) >= feeds

        if not await wait_for(all_polled, 1800):
            raise RuntimeError(f"not every feed was polled; see {logs}")
        poll_s = time.monotonic() - started
        poll_jobs = await job_ids_used(db) - jobs_before

        # Phase 2: the digest wave, every channel due at this minute.
        wave_at = datetime.now(UTC).replace(second=0, microsecond=0)
        async with db.session() as session:
            await session.execute(
                update(ChannelRow).values(digest_time=f"{wave_at:%H:%M}", next_digest_at=wave_at)
            )
        jobs_before, xacts_before = await job_ids_used(db), await transactions(db)
        started, started_at = time.monotonic(), datetime.now(UTC)
        ticker = asyncio.create_task(_cron(url))
        bound = channels / POSTS_PER_S
        delivered = await wait_for(
            lambda: _distinct_at_least(sink, channels), bound * 3 + 3 * TICK_EVERY_S
        )
        ticker.cancel()
        last_post = max((t for _, t in sink.accepted), default=time.monotonic())
        first_post = min((t for _, t in sink.accepted), default=last_post)
        wave_s = last_post - started
        if os.environ.get("NEWSBOT_BENCH_TRACE"):  # posts accepted in each second of the wave
            per_s = Counter(int(t - started) for _, t in sink.accepted)
            print(" ".join(f"{per_s[s]}" for s in range(int(wave_s) + 1)), flush=True)
        await asyncio.sleep(2)  # a late duplicate would show now
        wave_jobs = await job_ids_used(db) - jobs_before
        xacts = await transactions(db) - xacts_before
        async with db.session() as session:
            last_built = await session.scalar(select(func.max(DigestRow.created_at)))
        built_s = (last_built - started_at).total_seconds() if last_built else float("nan")
        posted = Counter(key for key, _ in sink.accepted)
        async with db.session() as session:
            db_bytes = int(
                await session.scalar(text("SELECT pg_database_size(current_database())")) or 0
            )
        stop_sampling.set()
        await sampler
        await vacuum
        peak: dict[str, int] = {}
        cpu: dict[str, float] = {}
        for proc in procs:
            peak[proc.kind] = max(peak.get(proc.kind, 0), proc.peak_rss)
            cpu[proc.kind] = cpu.get(proc.kind, 0.0) + proc.cpu_s
        return Result(
            workers=workers,
            feeds=feeds,
            channels=channels,
            poll_s=poll_s,
            poll_jobs=poll_jobs,
            wave_s=wave_s if delivered else float("nan"),
            wave_jobs=wave_jobs,
            built_s=built_s,
            first_post_s=first_post - started,
            xacts=xacts,
            refused=sink.refused,
            duplicates=sum(n - 1 for n in posted.values() if n > 1),
            lost=channels - len(posted),
            db_bytes=db_bytes,
            peak_rss=peak,
            cpu_s=cpu,
            sink_mode=sink_mode,
        )
    finally:
        stop_sampling.set()
        for proc in procs:
            if proc.process.returncode is None:
                proc.process.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                await asyncio.wait_for(proc.process.wait(), 20)
            except TimeoutError:
                proc.process.kill()
                await proc.process.wait()
        await sink.stop()
        await db.close()
        await run_on_server(SERVER, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sender_env(concurrency: int | None, pace: float) -> dict[str, str]:
    """The sender's settings: the endpoint's rate as its operator configures it, and the
    posts in flight when asked for (default: the setting's)."""
    env = {"NEWSBOT_WEBHOOK__POSTS_PER_SECOND": str(pace)}
    if concurrency is not None:
        env["NEWSBOT_WORKERS__SENDER_CONCURRENCY"] = str(concurrency)
    return env


async def _distinct_at_least(sink: Sink, wanted: int) -> bool:
    return len({key for key, _ in sink.accepted}) >= wanted


async def _cron(url: str) -> None:
    """The minute tick, deferred now and then every TICK_EVERY_S (what the deferrer does)."""
    while True:
        await defer_tick(url, datetime.now(UTC))
        await asyncio.sleep(TICK_EVERY_S)


def header(
    channels: int, feeds: int, sink_mode: str, sender_concurrency: int | None, pace: float
) -> str:
    bound = channels / POSTS_PER_S
    return (
        f"{channels:,} channels over {feeds:,} feeds; sink {POSTS_PER_S} posts/s "
        f"({sink_mode}, bound {bound:.1f} s); sender concurrency "
        f"{sender_concurrency or 'default'}, paced to {pace:g}/s; cores: {os.cpu_count()}\n"
        "workers | feeds/s | x1w | poll jobs/s | built s | 1st post s | wave s | wave/bound | "
        "wave jobs/s | xact/post | 429s | dup | lost | PG MB | peak MB worker/sender | "
        "CPU s workers/sender | load"
    )


def row(r: Result, base: Result) -> str:
    """One worker count's figures; `base` (the first count run) for the throughput ratio."""
    rate = r.feeds / r.poll_s
    return (
        f"{r.workers:7d} | {rate:7.1f} | {rate / (base.feeds / base.poll_s):4.2f} | "
        f"{r.poll_jobs / r.poll_s:11.1f} | {r.built_s:7.1f} | {r.first_post_s:10.1f} | "
        f"{r.wave_s:6.1f} | "
        f"{r.wave_s / r.bound_s:10.2f} | {r.wave_jobs / r.wave_s:11.1f} | "
        f"{r.xacts / r.channels:9.1f} | {r.refused:4d} | "
        f"{r.duplicates:3d} | {r.lost:4d} | {r.db_bytes / 2**20:5.0f} | "
        f"{r.peak_rss.get('worker', 0) / 2**20:.0f}/{r.peak_rss.get('sender', 0) / 2**20:.0f}"
        f" | {r.cpu_s.get('worker', 0):.0f}/{r.cpu_s.get('sender', 0):.0f}"
        f" | {os.getloadavg()[0]:.1f}"
    )


async def run(
    scale: float,
    worker_counts: list[int],
    channels: int,
    feeds: int,
    sink_mode: str,
    sender_concurrency: int | None,
    pace: float,
) -> int:
    channels, feeds = max(int(channels * scale), 1), max(int(feeds * scale), 1)
    print(header(channels, feeds, sink_mode, sender_concurrency, pace), flush=True)
    results: list[Result] = []
    with FeedServer(hosts=FEED_HOSTS) as server, tempfile.TemporaryDirectory() as folder:
        for workers in worker_counts:
            logs = Path(folder) / f"w{workers}"
            logs.mkdir()
            try:
                result = await run_one(
                    workers, feeds, channels, server, logs, sink_mode, sender_concurrency, pace
                )
            except RuntimeError as error:
                print(f"{workers:7d} | failed: {error}\n{_log_tails(logs)}", flush=True)
                return 1
            results.append(result)
            print(row(result, results[0]), flush=True)
            server.reset_records()
    return 1 if any(r.duplicates or r.lost for r in results) else 0


def _log_tails(logs: Path) -> str:
    return "\n".join(
        f"--- {log.name}\n{log.read_text(errors='replace')[-1500:]}"
        for log in sorted(logs.iterdir())
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=100_000)
    parser.add_argument("--feeds", type=int, default=50_000)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply channels and feeds (e.g. 0.01)"
    )
    parser.add_argument("--workers", default="1,2,4", help="worker counts to compare")
    parser.add_argument("--sink", choices=("refuse", "hold"), default="refuse")
    parser.add_argument(
        "--sender-concurrency",
        type=int,
        default=None,
        help="the sender's workers.sender_concurrency (posts in flight; default the setting's)",
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=POSTS_PER_S,
        help="webhook.posts_per_second the sender is given (the sink's rate; 0 = unpaced)",
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    return asyncio.run(
        run(
            args.scale,
            counts,
            args.channels,
            args.feeds,
            args.sink,
            args.sender_concurrency,
            args.pace,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
