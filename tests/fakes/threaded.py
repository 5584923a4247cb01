"""A test server on a thread and event loop of its own.

Sync tests (and Playwright's sync API) hold their own thread, so a server they talk to must
run elsewhere; `start()` returns once it serves and `stop()` ends it, from any thread.
"""

from __future__ import annotations

import asyncio
import threading
from types import TracebackType
from typing import Self


class ThreadedServer:
    """Start/stop around a subclass's `_run`, the thread's body: it runs an event loop, sets
    `_loop` and `_stop` (the event that ends serving), then `_ready` once it serves; what
    ends it before that goes to `_error` (with `_ready` set), for `start()` to raise."""

    thread_name = "server"
    what = "the server"  # named when it does not start
    wait_s = 10.0  # how long start-up and the end of the thread may take

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None

    def start(self) -> Self:
        """Start serving; returns once it serves."""
        self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self._thread.start()
        self._ready.wait(self.wait_s)
        if self._error is not None:
            raise RuntimeError(f"{self.what} did not start: {self._error}") from self._error
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(self.wait_s)
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        raise NotImplementedError
