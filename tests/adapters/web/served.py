"""The dashboard on a real loopback port, for a real browser.

The App and its server live on their own thread and event loop (Playwright's sync API runs
the test's thread), so a test reaches the store through `run`, which executes a coroutine
on that loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from adapters.web.server import DashboardServer
from bot.app import App, build_app
from bot.config import Settings
from tests.fakes.threaded import ThreadedServer

T = TypeVar("T")


class ServedDashboard(ThreadedServer):
    """`with ServedDashboard(settings) as served:` ... `served.address`, `served.run(...)`."""

    thread_name = "dashboard"
    what = "the dashboard"
    wait_s = 30.0

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.address = ""
        self._app: App | None = None

    def run(self, work: Callable[[App], Awaitable[T]]) -> T:
        """Run `work(app)` on the dashboard's loop and return its result."""
        assert self._loop is not None and self._app is not None
        app = self._app

        async def call() -> T:
            return await work(app)

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(30)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to start()
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with await build_app(self.settings, parse_in_process=True) as app:
            self._app = app
            server = DashboardServer(app)
            await server.start()
            self.address = server.address
            self._ready.set()
            try:
                await self._stop.wait()
            finally:
                await server.close()
