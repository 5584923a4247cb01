"""Scale-out on PostgreSQL with real processes: three workers and one sender over simulated
days with DST changes, a sender killed between the platform's answer and its commit, and a
second sender taking over from a dead first one.

Digests go to a recording webhook sink (what a platform would show, duplicates included).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.channels.timing import next_digest_at, parse_time, parse_zone
from bot.store import channels as channel_store
from bot.store.articles import ArticleStore
from bot.store.db import Database
from bot.store.digests import idempotency_key
from bot.store.schema import OutboxRow
from tests.channels.helpers import add_channel, add_feed_with_articles, article, utc
from tests.conftest import postgres_url_or_skip
from tests.fakes.fake_openai import FakeOpenAI, Reply
from tests.fakes.webhook_sink import RecordingSink
from tests.workers.procs import Cluster, Proc, cluster, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

# Each channel's digest instants over its simulated days, worked out by hand (UTC):
# Berlin switches to summer time on 2026-03-29 (UTC+1 -> UTC+2), New York on 2026-03-08
# (UTC-5 -> UTC-4). 02:30 does not exist on those days and fires when the clock has jumped
# (03:30 summer time).
EXPECTED = {
    ("America/New_York", "02:30"): [
        utc(2026, 3, 7, 7, 30),
        utc(2026, 3, 8, 7, 30),
        utc(2026, 3, 9, 6, 30),
    ],
    ("America/New_York", "07:00"): [utc(2026, 3, 7, 12), utc(2026, 3, 8, 11), utc(2026, 3, 9, 11)],
    ("Europe/Berlin", "02:30"): [
        utc(2026, 3, 28, 1, 30),
        utc(2026, 3, 29, 1, 30),
        utc(2026, 3, 30, 0, 30),
    ],
    ("Europe/Berlin", "07:00"): [utc(2026, 3, 28, 6), utc(2026, 3, 29, 5), utc(2026, 3, 30, 5)],
}


@pytest.fixture
async def sink() -> AsyncIterator[RecordingSink]:
    sink = await RecordingSink().start()
    yield sink
    await sink.stop()


@pytest.fixture
async def scale(tmp_path: Path) -> AsyncIterator[Cluster]:
    async with cluster(postgres_url_or_skip(), tmp_path) as made:
        yield made


async def seed_channel(db: Database, n: int, zone: str, at: str, instants: list[datetime]) -> str:
    """A webhook channel with news fetched two hours before each of its digests."""
    created = instants[0] - timedelta(hours=20)
    channel_id, where = await add_channel(
        db, created, channel=f"c{n}", timezone=zone, time=at, platform="webhook"
    )
    async with db.session() as session:
        await channel_store.set_next_digest(
            session, channel_id, next_digest_at(created, parse_time(at), parse_zone(zone))
        )
    feed_id = None
    for day, due in enumerate(instants):
        fresh = [article(n * 100 + day * 10 + i, due - timedelta(hours=2)) for i in range(2)]
        if feed_id is None:
            feed_id = await add_feed_with_articles(
                db,
                channel_id,
                fresh,
                fetched_at=due - timedelta(hours=2),
                url=f"https://n.example/{n}",
            )
        else:
            await ArticleStore(db).add_many(
                fresh, feed_id=feed_id, fetched_at=due - timedelta(hours=2)
            )
    return where.key


async def test_three_workers_post_every_digest_once_at_its_local_time_across_dst(
    scale: Cluster, sink: RecordingSink
) -> None:
    timeline: list[tuple[datetime, str]] = []
    for n, ((zone, at), instants) in enumerate(EXPECTED.items(), start=1):
        channel = await seed_channel(scale.db, n, zone, at, instants)
        for due in instants:
            local = due.astimezone(parse_zone(zone)).date().isoformat()
            timeline.append((due, idempotency_key(channel, f"daily:{local}")))
    for name in ("w1", "w2", "w3"):
        await scale.start(name)
    await scale.start("sender", "--send", "webhook", "--webhook", sink.url)

    for due, key in sorted(timeline):
        before = len(sink.posts)
        await scale.tick(due - timedelta(minutes=1))
        assert sink.keys()[before:] == [], f"posted early, before {due}"
        await scale.tick(due)
        assert sink.keys()[before:] == [key], scale.tails()

    last = max(due for due, _ in timeline)
    await scale.tick(last)  # the same minute again (a second deferrer): nothing more
    assert sorted(sink.keys()) == sorted(key for _, key in timeline)
    jobs_run = {p.log.name: p.text().count("build_digests") for p in scale.procs}
    assert sum(1 for name, n in jobs_run.items() if name.startswith("w") and n) >= 2, jobs_run


async def _count_above(sink: RecordingSink, before: int) -> bool:
    return len(sink.posts) > before


async def due_channel(db: Database) -> tuple[datetime, str]:
    """One webhook channel whose digest is due now (real time), with news in its window."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    instants = [now - timedelta(days=1), now]
    key = await seed_channel(db, 9, "UTC", f"{now:%H:%M}", instants)
    return now, idempotency_key(key, f"daily:{now.date().isoformat()}")


async def test_a_sender_killed_after_the_platform_accepted_never_posts_twice(
    scale: Cluster, sink: RecordingSink
) -> None:
    now, key = await due_channel(scale.db)
    await scale.start("worker")
    sink.mode = "hold_after_accept"  # the platform said 200; the sender never hears it
    first = await scale.start("sender-1", "--send", "webhook", "--webhook", sink.url)
    await scale.jobs.tasks["newsbot.tick"].defer_async(timestamp=int(now.timestamp()))
    await wait_until(lambda: _count_above(sink, 0))
    first.kill_9()
    await first.process.wait()

    sink.mode = "accept"
    await scale.start("sender-2", "--send", "webhook", "--webhook", sink.url)
    # Later ticks put the dead sender's job back in line once its worker is silent, and hand
    # the post out again once its lease ran out: the new sender asks the platform first.
    for minute in range(1, 60):
        await scale.tick(now + timedelta(minutes=minute))
        if await post_sent(scale.db):
            break
        await asyncio.sleep(0.2)
    await scale.tick(now + timedelta(minutes=60))
    assert sink.keys() == [key], scale.tails()
    assert sink.lookups == [key]  # asked before posting again, and found it


async def post_sent(db: Database) -> bool:
    async with db.session() as session:
        states = await session.scalars(select(OutboxRow.state))
        return list(states) == ["sent"]


async def test_a_second_sender_waits_and_takes_over_within_seconds_of_the_first_dying(
    scale: Cluster, sink: RecordingSink
) -> None:
    became = "this process is now the webhook sender"
    first = await scale.start("sender-1", "--send", "webhook", "--webhook", sink.url)
    await wait_until(lambda: _logged(first, became))
    second = await scale.start("sender-2", "--send", "webhook", "--webhook", sink.url)
    await wait_until(lambda: _logged(second, "waits to take over"))
    await asyncio.sleep(1.0)  # several of its tries for the lock
    assert became not in second.text()

    first.kill_9()
    await first.process.wait()
    killed = asyncio.get_running_loop().time()
    await wait_until(lambda: _logged(second, became), timeout=10)
    assert asyncio.get_running_loop().time() - killed < 5

    now, key = await due_channel(scale.db)
    await scale.start("worker")
    await scale.tick(now)
    await wait_until(lambda: _count_above(sink, 0))
    assert sink.keys() == [key]
    assert "newsbot.deliver" in second.text()


async def _logged(proc: Proc, text: str) -> bool:
    return text in proc.text()


async def test_a_worker_killed_mid_build_has_its_job_retried_and_the_digest_posted_once(
    scale: Cluster, sink: RecordingSink
) -> None:
    now, key = await due_channel(scale.db)
    async with FakeOpenAI() as llm:
        llm.script(Reply(content="{}", delay_s=60))  # the build waits on the LLM: kill it there
        env = {
            "NEWSBOT_DIGEST__SUMMARISER": "llm",
            "NEWSBOT_LLM__BASE_URL": llm.base_url,
            "NEWSBOT_LLM__API_KEY": "sk-test",
            "NEWSBOT_LLM__MAX_RETRIES": "0",
        }
        first = await scale.start("builder-1", "--queues", "tick,build", env=env)
        await scale.start("sender", "--send", "webhook", "--webhook", sink.url)
        await scale.jobs.tasks["newsbot.tick"].defer_async(timestamp=int(now.timestamp()))
        await wait_until(lambda: _llm_asked(llm), timeout=30)
        first.kill_9()
        await first.process.wait()

        llm.script(Reply(content="{}"))  # answers at once now (unusable: the fallback writes)
        second = await scale.start("builder-2", "--queues", "tick,build", env=env)
        for minute in range(1, 60):
            await scale.tick(now + timedelta(minutes=minute))
            if sink.posts:
                break
            await asyncio.sleep(0.2)
        await scale.tick(now + timedelta(minutes=60))
    assert sink.keys() == [key], scale.tails()
    assert "build_digests" in first.text() and "build_digests" in second.text()
    assert "its worker stopped answering" in second.text()


async def _llm_asked(llm: FakeOpenAI) -> bool:
    return bool(llm.chat_requests)


async def test_run_distributed_serves_only_chat_connections(scale: Cluster) -> None:
    code, out = await scale.cli("run", "--distributed")
    assert code == 2
    assert out.strip().splitlines()[-1] == (
        "newsbot: --distributed has nothing to run: configure Discord "
        "(NEWSBOT_DISCORD__TOKEN) or Slack (NEWSBOT_SLACK__BOT_TOKEN)."
    )
    code, out = await scale.cli("run", "--distributed", "--console")
    assert code == 2 and "--distributed runs only the Discord and Slack connections" in out
