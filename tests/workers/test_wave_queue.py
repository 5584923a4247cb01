"""A long digest wave on the real job queue: posts whose delivery job still waits in the
sender's queue are not queued again by every minute's tick (in a wave of 100,000 posts at
50 a second most rows wait for minutes), while a due post without a job gets one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.webhook import PLATFORM
from bot.store.db import Database
from bot.workers.tasks import defer_delivery, defer_plan, send_queue
from bot.workers.tick import plan_tick
from tests.channels.helpers import utc
from tests.conftest import postgres_url_or_skip
from tests.workers.helpers import stored_webhook_digests
from tests.workers.procs import Cluster, cluster

pytestmark = [pytest.mark.postgres]

NOW = utc(2026, 4, 2, 8)


@pytest.fixture
async def scale(tmp_path: Path) -> AsyncIterator[Cluster]:
    async with cluster(postgres_url_or_skip(), tmp_path) as made:
        yield made


async def waiting_deliveries(db: Database) -> list[int]:
    async with db.session() as session:
        rows = await session.execute(
            text(
                "SELECT (args->>'outbox_id')::int FROM procrastinate_jobs "
                "WHERE status = 'todo' AND queue_name = :queue ORDER BY 1"
            ),
            {"queue": send_queue(PLATFORM)},
        )
    return [int(outbox_id) for (outbox_id,) in rows.all()]


async def test_a_tick_queues_only_the_due_posts_without_a_waiting_job(scale: Cluster) -> None:
    first, second, third = await stored_webhook_digests(scale.db, 3, NOW)
    # The builder queued the first two as it stored them; the third lost its job.
    await defer_delivery(scale.jobs, PLATFORM, first)
    await defer_delivery(scale.jobs, PLATFORM, second)

    plan = await plan_tick(scale.db, NOW + timedelta(minutes=1), batch=50, claim_s=600)
    assert plan.posts == {PLATFORM: (third,)}
    await defer_plan(scale.jobs, plan, (NOW + timedelta(minutes=1)).timestamp())
    assert await waiting_deliveries(scale.db) == [first, second, third]  # one job each

    later = await plan_tick(scale.db, NOW + timedelta(minutes=2), batch=50, claim_s=600)
    assert later.posts == {}  # every due post has its job waiting: nothing queued again
