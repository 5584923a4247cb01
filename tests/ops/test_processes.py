"""Every process kind serves the endpoints: `newsbot run` on SQLite, `newsbot worker` on
PostgreSQL, each a real process; the worker's /metrics counts the polls its jobs did."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from bot.store.feeds import FeedStore
from tests.fakes.feed_server import FeedServer
from tests.feeds.samples import rss
from tests.workers.procs import REPO, Cluster


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def answer(url: str, timeout_s: float = 60.0) -> tuple[int, str]:
    """The first answer of `url`, retried while the process is still starting."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        try:
            async with aiohttp.ClientSession() as http, http.get(url) as response:
                return response.status, await response.text()
        except aiohttp.ClientConnectionError:
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_newsbot_run_serves_health_and_readiness(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "NEWSBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'newsbot.db'}",
        "NEWSBOT_OPS__ENABLED": "true",
        "NEWSBOT_OPS__PORT": str(port),
        "NEWSBOT_DIGEST__SUMMARISER": "extractive",
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", "--no-console", cwd=REPO, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert await answer(f"http://127.0.0.1:{port}/healthz") == (200, "ok\n")
        assert await answer(f"http://127.0.0.1:{port}/readyz") == (200, "ready\n")
        status, text = await answer(f"http://127.0.0.1:{port}/metrics")
        assert status == 200 and "newsbot_feeds_polled_total 0.0" in text
    finally:
        bot.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(bot.wait(), 30) == 0


@pytest.mark.postgres
async def test_a_workers_metrics_count_the_polls_its_jobs_did(
    scale: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    monkeypatch.setenv("NEWSBOT_OPS__ENABLED", "true")
    monkeypatch.setenv("NEWSBOT_OPS__PORT", str(port))
    monkeypatch.setenv("NEWSBOT_FETCH__ALLOW_PRIVATE_ADDRESSES", "true")  # the loopback feeds
    now = datetime.now(UTC).replace(microsecond=0)
    with FeedServer() as feeds_server:
        feeds_server.serve("/a.xml", rss(2, title="Harbour Gazette"))
        feeds_server.serve("/b.xml", rss(3, title="Valley Times", link_base="https://vt.example/n"))
        feeds_server.serve("/gone.xml", b"gone", status=500)
        store = FeedStore(scale.db)
        for path in ("/a.xml", "/b.xml", "/gone.xml"):
            await store.add(feeds_server.url(path), now=now - timedelta(hours=1))
        await scale.start("worker")
        base = f"http://127.0.0.1:{port}"
        assert await answer(f"{base}/readyz") == (200, "ready\n"), scale.tails()
        await scale.tick(now)
    status, text = await answer(f"{base}/metrics")
    assert status == 200
    assert "newsbot_feeds_polled_total 3.0" in text, text
    assert "newsbot_feeds_failed_total 1.0" in text
    assert 'newsbot_queue_depth{queue="jobs"} 0.0' in text
