"""/metrics, /healthz and /readyz as an operator's scraper sees them, after a real run.

The run polls three feeds on the loopback feed server (one answers 500), then one scheduler
tick builds and posts two channels' digests; the scrape must report exactly that.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import make_url

from bot.app import App, build_app
from bot.config import Settings
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.ops.metrics import Metrics
from bot.ops.server import OpsServer, start_ops_server
from bot.store import channels as channel_store
from bot.store.db import Database
from bot.store.feeds import FeedStore
from tests.channels.helpers import Clock, RecordingPoster, add_channel, add_feed_with_articles, utc
from tests.channels.helpers import article as news_article
from tests.channels.test_crash_delivery import run_on_server
from tests.conftest import postgres_url_or_skip
from tests.fakes.feed_server import FeedServer
from tests.feeds.samples import rss

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def settings_for(url: str, **ops: object) -> Settings:
    return Settings(
        database={"url": url},  # type: ignore[arg-type]
        fetch={"allow_private_addresses": True, "timeout_s": 5},  # type: ignore[arg-type]
        digest={"summariser": "extractive"},  # type: ignore[arg-type]
        ops={"enabled": True, "port": 0, **ops},  # type: ignore[arg-type]
    )


@pytest.fixture
async def app(db: Database) -> AsyncIterator[App]:
    """An App over the test database (both dialects), its metrics on a fresh registry."""
    settings = settings_for("sqlite+aiosqlite://")
    clock = Clock(utc(2026, 4, 1, 10))
    async with Fetcher(settings.fetch) as fetcher, ParserPool(in_process=True) as parser:
        yield App(
            settings=settings,
            db=db,
            fetcher=fetcher,
            parser=parser,
            clock=clock,
            metrics=Metrics(CollectorRegistry()),
        )


async def get(server: OpsServer, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(server.url + path) as response:
        return response.status, await response.text()


async def scrape(server: OpsServer) -> Samples:
    status, text = await get(server, "/metrics")
    assert status == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def serve(app: App, stack: AsyncExitStack) -> OpsServer:
    server = await start_ops_server(app, stack)
    assert server is not None
    return server


async def test_metrics_report_the_polls_and_posts_of_the_run(app: App) -> None:
    clock = app.clock
    assert isinstance(clock, Clock)
    with FeedServer() as feeds_server:
        feeds_server.serve("/a.xml", rss(3, title="Harbour Gazette"))
        feeds_server.serve("/b.xml", rss(2, title="Valley Times", link_base="https://vt.example/n"))
        feeds_server.serve("/broken.xml", b"server trouble", status=500)
        store = FeedStore(app.db)
        ids = [
            (await store.add(feeds_server.url(path), now=clock.now, origin="operator")).id
            for path in ("/a.xml", "/b.xml", "/broken.xml")
        ]
        outcomes = await app.poll(ids)
    assert sorted(o.status for o in outcomes) == ["failed", "new", "new"]

    poster = RecordingPoster(platform="webhook")
    for n in (1, 2):  # two channels, each with news in its window and its digest due now
        channel_id, _ = await add_channel(
            app.db, clock.now - timedelta(days=2), channel=f"c{n}", platform="webhook"
        )
        await add_feed_with_articles(
            app.db,
            channel_id,
            [news_article(n, clock.now - timedelta(hours=3))],
            fetched_at=clock.now - timedelta(hours=2),
            url=f"https://news.example/feed{n}.xml",
        )
        async with app.db.session() as session:
            await channel_store.set_next_digest(session, channel_id, clock.now)
    await app.scheduler({"webhook": poster}).tick()
    assert len(poster.posts) == 2

    async with AsyncExitStack() as stack:
        samples = await scrape(await serve(app, stack))
    assert samples[("newsbot_feeds_polled_total", ())] == 3
    assert samples[("newsbot_feeds_failed_total", ())] == 1
    stored = sum(o.new_articles for o in outcomes)
    assert stored > 0 and samples[("newsbot_articles_stored_total", ())] == stored
    assert samples[("newsbot_digests_built_total", ())] == 2
    assert samples[("newsbot_posts_sent_total", (("platform", "webhook"),))] == 2
    assert samples[("newsbot_posts_sent_total", (("platform", "discord"),))] == 0
    assert samples[("newsbot_posts_refused_total", (("platform", "webhook"),))] == 0
    assert samples[("newsbot_queue_depth", (("queue", "outbox"),))] == 0


async def test_no_label_carries_a_feed_address_or_credential(app: App) -> None:
    clock = app.clock
    assert isinstance(clock, Clock)
    with FeedServer() as feeds_server:
        feeds_server.serve("/private.xml", b"nope", status=401)
        secret_url = feeds_server.url("/private.xml").replace(
            "http://", "http://reader:hunter2secret@"
        )
        feed = await FeedStore(app.db).add(secret_url, now=clock.now, origin="operator")
        await app.poll([feed.id])
    async with AsyncExitStack() as stack:
        _, text = await get(await serve(app, stack), "/metrics")
    assert "newsbot_feeds_failed_total 1.0" in text
    for leaked in ("hunter2secret", "reader", "private.xml", "127.0.0.1", "http"):
        assert leaked not in text


async def test_healthz_and_readyz_answer_while_the_database_does(app: App) -> None:
    async with AsyncExitStack() as stack:
        server = await serve(app, stack)
        assert await get(server, "/healthz") == (200, "ok\n")
        assert await get(server, "/readyz") == (200, "ready\n")


async def test_readyz_fails_when_the_database_is_gone(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    settings = settings_for(f"sqlite+aiosqlite:///{folder / 'newsbot.db'}")
    async with await build_app(settings, parse_in_process=True) as app, AsyncExitStack() as stack:
        server = await serve(app, stack)
        assert (await get(server, "/readyz"))[0] == 200
        shutil.rmtree(folder)  # the volume went away
        await app.db.close()  # no pooled connection left to hide it
        status, text = await get(server, "/readyz")
        assert status == 503 and text.startswith("not ready: the database is unreachable")
        assert await get(server, "/healthz") == (200, "ok\n")  # the process itself is alive


@pytest.mark.postgres
async def test_readyz_fails_when_the_postgresql_database_is_dropped() -> None:
    server_url = postgres_url_or_skip()
    name = f"newsbot_ops_{uuid.uuid4().hex[:10]}"
    await run_on_server(server_url, f'CREATE DATABASE "{name}"')
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        async with (
            await build_app(settings_for(url), parse_in_process=True) as app,
            AsyncExitStack() as stack,
        ):
            server = await serve(app, stack)
            assert await get(server, "/readyz") == (200, "ready\n")
            await run_on_server(server_url, f'DROP DATABASE "{name}" WITH (FORCE)')
            status, text = await get(server, "/readyz")
            assert status == 503 and text.startswith("not ready: the database is unreachable")
    finally:
        await run_on_server(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_a_worker_is_not_ready_without_the_job_queue(app: App) -> None:
    # The test database has newsbot's tables but `newsbot db upgrade` never added the queue.
    async with AsyncExitStack() as stack:
        server = await start_ops_server(app, stack, worker=True)
        assert server is not None
        status, text = await get(server, "/readyz")
    assert status == 503
    if app.db.dialect == "postgresql":
        assert "the job queue's tables are missing (run `newsbot db upgrade`)" in text
    else:
        assert "the job queue needs PostgreSQL" in text


async def test_the_endpoints_listen_on_loopback_only_by_default(app: App) -> None:
    assert Settings().ops.host == "127.0.0.1"
    async with AsyncExitStack() as stack:
        server = await serve(app, stack)
        assert server.host == "127.0.0.1"
        # Not reachable on another address of this machine (the wildcard's other faces).
        with pytest.raises(aiohttp.ClientConnectionError):
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"http://127.0.0.2:{server.port}/healthz"),
            ):
                pass


async def test_nothing_listens_unless_enabled(app: App) -> None:
    disabled = App(
        settings=settings_for("sqlite+aiosqlite://", enabled=False),
        db=app.db,
        fetcher=app.fetcher,
        parser=app.parser,
    )
    async with AsyncExitStack() as stack:
        assert await start_ops_server(disabled, stack) is None
