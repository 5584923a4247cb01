"""`kill -9` of a real `newsbot run` process at each step of delivery: posted exactly once.

The bot delivers to a recording sink through `newsbot run --webhook`. The sink holds the
request open at the chosen step; the test kills the process there, restarts it, and checks
through the sink (which records every accepted post) that the digest appeared once. It runs
on SQLite, and on PostgreSQL when NEWSBOT_TEST_POSTGRES_URL is set.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest
from sqlalchemy import make_url, select
from sqlalchemy.ext.asyncio import create_async_engine

from bot.channels.timing import latest_digest_at, parse_zone
from bot.models import ChannelRef
from bot.store.db import open_database
from bot.store.schema import OutboxRow
from tests.channels.helpers import seed_due_channel
from tests.conftest import postgres_url_or_skip
from tests.fakes.webhook_sink import Mode, RecordingSink

pytestmark = pytest.mark.slow
WHERE = ChannelRef("webhook", "local", "default")


async def run_on_server(server_url: str, sql: str) -> None:
    engine = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            await conn.exec_driver_sql(sql)
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database the bot process opens by URL: a SQLite file, or a PostgreSQL database of
    its own (a per-test schema, as the `db` fixture uses, cannot travel in the URL)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"
        return
    server_url = postgres_url_or_skip()
    name = f"crash_{uuid.uuid4().hex[:20]}"
    await run_on_server(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:  # FORCE: connections of the killed bot may linger until the server notices
        await run_on_server(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def start_bot(
    db_url: str, sink: RecordingSink, cwd: Path, log: Path
) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "NEWSBOT_DATABASE_URL": db_url,
        "NEWSBOT_SCHEDULER__TICK_S": "0.2",
        "NEWSBOT_SCHEDULER__DELIVERY_LEASE_S": "1",
        "NEWSBOT_DIGEST__SUMMARISER": "extractive",
        "NEWSBOT_FETCH__PARSE_WORKERS": "1",
    }
    with log.open("wb") as stderr:  # the child keeps its own copy of the descriptor
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--no-console",
            "--webhook",
            sink.url,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=stderr,
        )


def kill_9(process: asyncio.subprocess.Process) -> list[psutil.Process]:
    """SIGKILL the bot; return its child processes (parser workers) to reap afterwards.
    A bot that already ended is left as it is: the caller's returncode check says so."""
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []
    process.send_signal(signal.SIGKILL)
    return list(children)


def reap(children: list[psutil.Process]) -> None:
    """Orphaned parser workers notice their parent died and exit; make sure they did."""
    _, alive = psutil.wait_procs(children, timeout=5)
    for child in alive:
        child.kill()


async def outbox_row(db_url: str) -> OutboxRow | None:
    db = await open_database(db_url, migrate=False)
    try:
        async with db.session() as session:
            return (await session.scalars(select(OutboxRow))).first()
    finally:
        await db.close()


async def wait_for(condition, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


async def running(log: Path) -> bool:
    return "newsbot running" in log.read_text()


async def sent(db_url: str) -> bool:
    row = await outbox_row(db_url)
    return row is not None and row.state == "sent"


@pytest.mark.parametrize("step", ["hold_before_accept", "hold_after_accept", "accept"])
async def test_kill_9_at_each_delivery_step_posts_exactly_once(
    tmp_path: Path, db_url: str, step: Mode
) -> None:
    db = await open_database(db_url)
    await seed_due_channel(db, WHERE)
    await db.close()
    sink = await RecordingSink(mode=step).start()
    repo = Path(__file__).resolve().parents[2]
    first = await start_bot(db_url, sink, repo, tmp_path / "first.log")
    try:
        await asyncio.wait_for(sink.seen.wait(), 30)
        if step == "accept":
            await wait_for(lambda: sent(db_url))
        else:
            await asyncio.sleep(0.2)  # the request is being held at this step
            assert (await outbox_row(db_url)).state == "pending"  # type: ignore[union-attr]
    finally:
        orphans = kill_9(first)
        await first.wait()
        reap(orphans)
    assert first.returncode == -signal.SIGKILL, (tmp_path / "first.log").read_text()[-2000:]

    sink.mode = "accept"
    second = await start_bot(db_url, sink, repo, tmp_path / "second.log")
    try:
        await wait_for(lambda: running(tmp_path / "second.log"))
        await wait_for(lambda: sent(db_url))
        await asyncio.sleep(0.5)  # a few more ticks: nothing else may be posted
    finally:
        second.send_signal(signal.SIGTERM)
        await asyncio.wait_for(second.wait(), 20)
    log = (tmp_path / "second.log").read_text()
    assert second.returncode == 0, log[-2000:]
    await sink.stop()

    key = "webhook:local:default|daily:" + (
        latest_digest_at(datetime.now(UTC), datetime.min.time().replace(hour=8), parse_zone("UTC"))
        .date()
        .isoformat()
    )
    assert sink.keys() == [key]
    row = await outbox_row(db_url)
    assert row is not None and row.platform_message_id == sink.posts[0].message_id
    assert "Harbour Gazette" in sink.posts[0].body["text"]
    if step == "hold_after_accept":
        assert sink.lookups == [key]  # the restart asked before posting again
