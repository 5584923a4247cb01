"""`/metrics`, `/healthz` and `/readyz` of one process, on a local port (the `[ops]` settings).

Every process kind serves them: `newsbot run` (beside the adapters) and `newsbot worker`.
Healthy means the event loop answers (a handler runs at all); ready means the database
answers a query (and, for a worker, the job queue's tables are there). The server listens on
127.0.0.1 unless `ops.host` says otherwise: the figures are the operator's, not the world's.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.config import OpsSettings
from bot.errors import ConfigError
from bot.ops.metrics import Metrics
from bot.ops.state import read_state, record_queue_gauges
from bot.store import dispatch
from bot.store.backlog import database_answers
from bot.store.db import Database

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger("newsbot.ops")

# A readiness or gauge read that takes longer is a database in trouble: answer, do not hang.
CHECK_DEADLINE_S = 3.0


@dataclass(frozen=True)
class OpsServer:
    """Where the endpoints listen (the real port when 0 was asked for)."""

    host: str
    port: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


class OpsApp:
    """The endpoints' handlers over one process's database and metrics."""

    def __init__(
        self,
        db: Database,
        metrics: Metrics,
        clock: Callable[[], datetime],
        *,
        silent_after_s: float,
        needs_queue: bool = False,
    ) -> None:
        self._silent_after_s = silent_after_s
        self._db = db
        self._metrics = metrics
        self._clock = clock
        self._needs_queue = needs_queue

    def web_app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/metrics", self.metrics)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        return app

    async def healthz(self, request: web.Request) -> web.Response:
        # Answering at all is the proof: the event loop ran this handler.
        return web.Response(text="ok\n")

    async def readyz(self, request: web.Request) -> web.Response:
        problem = await self.not_ready_because()
        if problem:
            return web.Response(status=503, text=f"not ready: {problem}\n")
        return web.Response(text="ready\n")

    async def not_ready_because(self) -> str:
        """Why this process cannot do its work now ("" when it can)."""
        try:
            async with asyncio.timeout(CHECK_DEADLINE_S), self._db.session() as session:
                if not await database_answers(session):
                    return "the database gave an unexpected answer"
                if self._needs_queue and self._db.dialect != "postgresql":
                    return "the job queue needs PostgreSQL"
                if self._needs_queue and not await dispatch.job_tables_exist(session):
                    return "the job queue's tables are missing (run `newsbot db upgrade`)"
        except TimeoutError:
            return f"the database did not answer within {CHECK_DEADLINE_S:.0f} s"
        except Exception as error:  # any driver error means the same to a probe
            log.warning("readiness check failed: %s", type(error).__name__)
            return f"the database is unreachable ({type(error).__name__})"
        return ""

    async def metrics(self, request: web.Request) -> web.Response:
        await self.refresh_gauges()
        return web.Response(
            body=self._metrics.exposition(), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )

    async def refresh_gauges(self) -> None:
        """Read the queue gauges now; on a database error keep the last values."""
        try:
            async with asyncio.timeout(CHECK_DEADLINE_S):
                state = await read_state(
                    self._db, self._clock(), silent_after_s=self._silent_after_s
                )
                record_queue_gauges(self._metrics, state)
        except Exception as error:  # the counters are still worth serving
            log.warning("queue gauges not refreshed: %s", type(error).__name__)


async def serve_ops(ops: OpsApp, settings: OpsSettings, stack: AsyncExitStack) -> OpsServer:
    """Listen on `settings.host:settings.port` until `stack` closes; the address bound."""
    runner = web.AppRunner(ops.web_app(), access_log=None)
    await runner.setup()
    stack.push_async_callback(runner.cleanup)
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
    except OSError as error:
        raise ConfigError(
            f"the metrics and health endpoints cannot listen on {settings.host}:{settings.port} "
            f"({error.strerror}); set ops.port (NEWSBOT_OPS__PORT) to a free port, or 0 for any."
        ) from None
    port = runner.addresses[0][1] if runner.addresses else settings.port
    return OpsServer(settings.host, int(port))


async def start_ops_server(
    app: App, stack: AsyncExitStack, *, worker: bool = False
) -> OpsServer | None:
    """Serve this process's /metrics, /healthz and /readyz when `ops.enabled`; else None.

    One call for every process kind (`newsbot run`, `newsbot worker`): `worker=True` makes
    readiness need the job queue's tables too. The server stops when `stack` closes.
    """
    settings = app.settings.ops
    if not settings.enabled:
        return None
    silent_after_s = app.settings.workers.stalled_after_s
    ops = OpsApp(app.db, app.metrics, app.now, silent_after_s=silent_after_s, needs_queue=worker)
    server = await serve_ops(ops, settings, stack)
    log.info("metrics and health endpoints on %s (/metrics, /healthz, /readyz)", server.url)
    return server
