"""Real `newsbot worker` processes on a PostgreSQL database of their own, for the scale tests.

A `Cluster` owns one fresh database (`newsbot_scale_<pid>_<random>`, dropped afterwards), the
processes started on it and a job-queue app the test defers ticks through. Ticks are deferred
with explicit timestamps (the simulated clock); the workers run with `--no-tick`, so no
wall-clock minute tick interferes.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from procrastinate import App
from sqlalchemy import make_url

from bot.store import dispatch
from bot.store.db import Database, open_database
from bot.workers.app import job_app
from bot.workers.tasks import TICK
from tests.channels.test_crash_delivery import kill_9, run_on_server, wait_for

REPO = Path(__file__).resolve().parents[2]
STALE_S = 6.0  # a worker silent this long is dead (heartbeats every 0.5 s, even under load)
WORKER_ENV = {
    "NEWSBOT_DIGEST__SUMMARISER": "extractive",
    "NEWSBOT_FETCH__PARSE_WORKERS": "1",
    "NEWSBOT_WORKERS__HEARTBEAT_S": "0.5",
    "NEWSBOT_WORKERS__STALLED_AFTER_S": "2",
    "NEWSBOT_WORKERS__SENDER_WAIT_S": "0.2",
    "NEWSBOT_SCHEDULER__DELIVERY_LEASE_S": "1",
    "NEWSBOT_LOG_LEVEL": "INFO",
}


@dataclass
class Proc:
    process: asyncio.subprocess.Process
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def kill_9(self) -> None:
        """SIGKILL the process and its parser workers at once (no clean-up of any kind)."""
        for child in kill_9(self.process):
            child.kill()


@dataclass
class Cluster:
    url: str
    db: Database
    jobs: App
    logs: Path
    procs: list[Proc] = field(default_factory=list)

    async def cli(self, *args: str) -> tuple[int, str]:
        """Run one `newsbot` command to its end: exit code and output."""
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            *args,
            cwd=REPO,
            env={**os.environ, **WORKER_ENV, "NEWSBOT_DATABASE_URL": self.url},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        out, _ = await asyncio.wait_for(process.communicate(), 60)
        return process.returncode or 0, out.decode()

    async def start(self, name: str, *args: str, env: dict[str, str] | None = None) -> Proc:
        log = self.logs / f"{name}.log"
        with log.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "worker",
                "--no-tick",
                *args,
                cwd=REPO,
                env={**os.environ, **WORKER_ENV, "NEWSBOT_DATABASE_URL": self.url, **(env or {})},
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
            )
        proc = Proc(process, log)
        self.procs.append(proc)
        return proc

    async def tick(self, at: datetime) -> None:
        """The minute tick for `at`, deferred as the periodic deferrer would; then wait until
        every job it led to has run."""
        await self.jobs.tasks[TICK].defer_async(timestamp=int(at.timestamp()))
        await self.idle()

    async def idle(self, timeout: float = 30.0) -> None:
        """Wait until no job waits or runs (seen twice in a row: a job may defer another)."""
        deadline = asyncio.get_running_loop().time() + timeout
        quiet = 0
        while quiet < 2:
            async with self.db.session() as session:
                busy = sum((await dispatch.queue_depths(session)).values())
                # A killed worker's job stays "doing" until a tick retries it: not waited for.
                busy += await dispatch.running_job_count(session, alive_within_s=STALE_S)
            quiet = quiet + 1 if busy == 0 else 0
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"jobs still waiting after {timeout:.0f} s:\n{self.tails()}")
            await asyncio.sleep(0.05)

    def tails(self) -> str:
        return "\n".join(f"--- {p.log.name}\n{p.text()[-1500:]}" for p in self.procs)

    async def stop_all(self) -> None:
        for proc in self.procs:
            if proc.process.returncode is None:
                proc.process.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.process.wait(), 15)
            except TimeoutError:
                proc.kill_9()
                await proc.process.wait()


async def wait_until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    """The crash test's `wait_for`, with the scale tests' default timeout."""
    await wait_for(condition, timeout)


@asynccontextmanager
async def cluster(server_url: str, logs: Path) -> AsyncIterator[Cluster]:
    """A fresh database prepared by `newsbot db upgrade`, and the processes started on it."""
    name = f"newsbot_scale_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    await run_on_server(server_url, f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    db = await open_database(url)
    jobs = job_app(url, periodic_tick=False)
    made = Cluster(url, db, jobs, logs)
    try:
        code, out = await made.cli("db", "upgrade")
        assert code == 0 and "job queue's tables were created" in out, out
        async with jobs.open_async():
            yield made
    finally:
        await made.stop_all()
        await db.close()
        # FORCE: connections of killed workers may linger until the server notices.
        await run_on_server(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
