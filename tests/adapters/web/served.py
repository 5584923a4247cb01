"""The dashboard on a real loopback port, for a real browser.

The App and its server live on their own thread and event loop (Playwright's sync API runs
the test's thread), so a test reaches the store through `run`, which executes a coroutine
on that loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self, TypeVar

from adapters.web.server import DashboardServer
from bot.app import App, build_app
from bot.config import Settings

T = TypeVar("T")


class ServedDashboard:
    """`with ServedDashboard(settings) as served:` ... `served.address`, `served.run(...)`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.address = ""
        self._app: App | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="dashboard", daemon=True)

    def run(self, work: Callable[[App], Awaitable[T]]) -> T:
        """Run `work(app)` on the dashboard's loop and return its result."""
        assert self._loop is not None and self._app is not None
        app = self._app

        async def call() -> T:
            return await work(app)

        return asyncio.run_coroutine_threadsafe(call(), self._loop).result(30)

    def __enter__(self) -> Self:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise RuntimeError(f"the dashboard did not start: {self._error}") from self._error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def _main(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to __enter__
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
