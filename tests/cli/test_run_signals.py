"""Stopping always stops: `newsbot run` signalled as an operator's tools do it.

Ctrl-C, `systemctl stop` and `timeout` signal the whole process group (the bot, its parser
workers, the forkserver), once or again; a supervisor may signal the main process alone. Each
trial starts `newsbot run --no-console --webhook URL` in its own process group with many
feeds due on a slow local feed server and a digest due for a local webhook, signals it at one
moment (before its imports finish, during start-up, mid-poll, mid-delivery), and checks that
it ends within the documented 20 s, with exit code 0 for one signal, one "stopped" line and
no traceback. A second `newsbot run` on the same SQLite store is refused in one sentence.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psutil
import pytest

from bot.models import ChannelRef
from bot.store.db import open_database
from bot.store.feeds import FeedStore
from tests.channels.helpers import seed_due_channel
from tests.fakes.feed_server import FeedServer
from tests.fakes.webhook_sink import Mode, RecordingSink
from tests.workers.procs import Proc

pytestmark = pytest.mark.slow
STOP_LIMIT_S = 20.0  # the documented shutdown grace
FEEDS = 40
WHERE = ChannelRef("webhook", "local", "default")


def rss(n: int) -> bytes:
    items = "".join(
        f"<item><title>Story {n}-{i}</title><link>https://outlet{n}.example/{i}</link>"
        f"<description>Report {i} of outlet {n}.</description></item>"
        for i in range(20)
    )
    return f'<rss version="2.0"><channel><title>Outlet {n}</title>{items}</channel></rss>'.encode()


@pytest.fixture(scope="module")
def feed_server() -> Iterator[FeedServer]:
    """Feeds that answer after a second: a poll pass is in progress for many seconds."""
    with FeedServer() as server:
        for n in range(FEEDS):
            server.serve(f"/feed{n}.xml", rss(n), delay_s=1.0)
        yield server


async def prepare_store(folder: Path, server: FeedServer) -> str:
    """A store with every feed due and the webhook channel's digest overdue."""
    url = f"sqlite+aiosqlite:///{folder / 'newsbot.db'}"
    db = await open_database(url)
    try:
        feeds = FeedStore(db)
        now = datetime.now(UTC)
        for n in range(FEEDS):
            await feeds.add(server.url(f"/feed{n}.xml"), now=now)
        await seed_due_channel(db, WHERE)
    finally:
        await db.close()
    return url


class Bot(Proc):
    """A `newsbot run` process and the log its output goes to."""

    async def wait_for_line(self, needle: str, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise AssertionError(f"no {needle!r} in the log:\n{self.text()}")
            await asyncio.sleep(0.05)

    async def wait_for_children(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not psutil.Process(self.process.pid).children():
            if self.process.returncode is not None or time.monotonic() > deadline:
                raise AssertionError(f"no child process started:\n{self.text()}")
            await asyncio.sleep(0.01)

    def signal_group(self, sig: signal.Signals) -> None:
        os.killpg(self.process.pid, sig)

    async def stopped_within(self, limit: float) -> float:
        started = time.monotonic()
        try:
            await asyncio.wait_for(self.process.wait(), limit)
        except TimeoutError:
            os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()
            raise AssertionError(
                f"still running {limit:.0f} s after the stop:\n{self.text()}"
            ) from None
        return time.monotonic() - started


async def start_bot(db_url: str, sink: RecordingSink, folder: Path, name: str) -> Bot:
    env = {
        **os.environ,
        "NEWSBOT_DATABASE_URL": db_url,
        "NEWSBOT_FETCH__ALLOW_PRIVATE_ADDRESSES": "true",
        "NEWSBOT_FETCH__PARSE_WORKERS": "2",
        "NEWSBOT_SCHEDULER__TICK_S": "0.5",
        "NEWSBOT_DIGEST__SUMMARISER": "extractive",
        "NEWSBOT_LOG_LEVEL": "INFO",
    }
    for variable in list(env):
        if variable.startswith(("NEWSBOT_DISCORD", "NEWSBOT_SLACK", "NEWSBOT_CONFIG")):
            del env[variable]
    log = folder / f"{name}.log"
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--no-console",
            "--webhook",
            sink.url,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            start_new_session=True,  # its own process group, as a service manager starts it
        )
    return Bot(process, log)


@dataclass(frozen=True)
class Trial:
    moment: str  # imports | start-up | poll | delivery
    signals: tuple[signal.Signals, ...]
    group: bool = True
    sink_mode: Mode = "accept"


TRIALS = [
    Trial("imports", (signal.SIGINT,)),
    Trial("imports", (signal.SIGTERM,)),
    Trial("start-up", (signal.SIGINT,)),
    Trial("start-up", (signal.SIGTERM,)),
    Trial("poll", (signal.SIGTERM,)),
    Trial("poll", (signal.SIGINT,), group=False),
    Trial("delivery", (signal.SIGINT,), sink_mode="hold_before_accept"),
    Trial("delivery", (signal.SIGTERM,), sink_mode="hold_after_accept"),
    Trial("poll", (signal.SIGINT, signal.SIGINT)),
]


async def reach(bot: Bot, trial: Trial, sink: RecordingSink) -> None:
    if trial.moment == "imports":
        await asyncio.sleep(0.3)  # Python is up and importing newsbot (about a second)
    elif trial.moment == "start-up":
        await bot.wait_for_children()  # the parser pool is starting; nothing runs yet
    elif trial.moment == "poll":
        await bot.wait_for_line("newsbot running")
        await asyncio.sleep(0.8)  # feeds answer after 1 s: fetches are in flight
    else:
        await asyncio.wait_for(sink.seen.wait(), 30)


@pytest.mark.parametrize(
    "trial",
    TRIALS,
    ids=lambda t: f"{t.moment}-{'-'.join(s.name for s in t.signals)}{'' if t.group else '-main'}",
)
async def test_every_stop_ends_in_time_without_a_traceback(
    trial: Trial, feed_server: FeedServer, tmp_path: Path
) -> None:
    db_url = await prepare_store(tmp_path, feed_server)
    sink = await RecordingSink(mode=trial.sink_mode).start()
    try:
        bot = await start_bot(db_url, sink, tmp_path, "bot")
        await reach(bot, trial, sink)
        for sig in trial.signals:
            if trial.group:
                bot.signal_group(sig)
            else:
                bot.process.send_signal(sig)
            await asyncio.sleep(0.2)
        took = await bot.stopped_within(STOP_LIMIT_S)
    finally:
        await sink.stop()
    output = bot.text()
    assert "Traceback" not in output, output
    assert "unexpected error" not in output, output
    assert took < STOP_LIMIT_S
    if len(trial.signals) == 1:
        assert bot.process.returncode == 0, output
    if trial.moment in ("poll", "delivery") and len(trial.signals) == 1:
        stopped = [line for line in output.splitlines() if "stopped" in line]
        assert len(stopped) == 1, output
        assert "left in the outbox" in stopped[0]


async def test_a_second_runner_on_the_same_sqlite_store_is_refused(
    feed_server: FeedServer, tmp_path: Path
) -> None:
    db_url = await prepare_store(tmp_path, feed_server)
    sink = await RecordingSink().start()
    try:
        first = await start_bot(db_url, sink, tmp_path, "first")
        await first.wait_for_line("newsbot running")
        second = await start_bot(db_url, sink, tmp_path, "second")
        await second.stopped_within(30)
        first.signal_group(signal.SIGTERM)
        await first.stopped_within(STOP_LIMIT_S)
    finally:
        await sink.stop()
    refusal = second.text()
    assert second.process.returncode == 2
    assert f"PID {first.process.pid}" in refusal and "is already using the store" in refusal
    assert "Traceback" not in refusal
    assert first.process.returncode == 0
