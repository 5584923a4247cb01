"""`newsbot run`: the bot itself — scheduler plus the chat adapters that are configured.

With no Discord or Slack credentials it opens the console channel on this terminal (the
embedded default: try every command without any account). With credentials it starts those
adapters, and the console too when asked (`--console`). Which adapters start is decided in
`adapters/launch.py`; this module owns the process: signals, start order and shutdown.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

from adapters.launch import LaunchOptions, check_options, launch_adapters
from bot.app import App, build_app
from bot.cli.web_cmd import check_dashboard, start_dashboard
from bot.config import Settings
from bot.ops.server import start_ops_server
from bot.store.db import Database
from bot.store.outbox import pending_post_count
from bot.store.runlock import RunLock

log = logging.getLogger("newsbot.run")

# How long a stop may take before the process exits anyway. Nothing is lost by exiting:
# a digest interrupted mid-post is found again through the outbox on the next start.
SHUTDOWN_GRACE_SECONDS = 20.0
CLOSE_DEADLINE_S = 5.0  # closing the database (its connections' threads) on the way out
COUNT_DEADLINE_S = 3.0


def register(subparsers: Any) -> None:
    """Add `run` to the `newsbot` command line."""
    run = subparsers.add_parser(
        "run",
        help="run the bot: scheduled digests plus Discord/Slack (console when neither is set up)",
    )
    console = run.add_mutually_exclusive_group()
    console.add_argument(
        "--console",
        action="store_true",
        help="open the console channel even when Discord or Slack is configured",
    )
    console.add_argument(
        "--no-console",
        action="store_true",
        help="no interactive console: run the scheduler (and adapters) until stopped",
    )
    run.add_argument(
        "--webhook",
        metavar="URL",
        help="deliver the console channel's digests as JSON to URL instead of printing them",
    )
    run.add_argument(
        "--web",
        action="store_true",
        help="serve the web dashboard beside the bot (what `newsbot web` serves alone)",
    )
    run.add_argument(
        "--distributed",
        action="store_true",
        help="PostgreSQL: only the Discord/Slack connections; `newsbot worker` does the rest",
    )
    # `run` handles stop signals itself from its first line (bot/__main__.py).
    run.set_defaults(handler=run_bot, handles_stop_signals=True)


async def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    """Start everything, serve until end of console input or a stop signal, shut down.

    A stop (SIGINT or SIGTERM, to this process or its whole group, at any moment from the
    first line on) ends the process within SHUTDOWN_GRACE_SECONDS with exit code 0 and one
    log line; a start-up still in progress is cancelled. The process exits from here rather
    than returning: what is left after an orderly shutdown (a library's thread that will not
    finish, asyncio's final clean-up) must not keep a stopped bot alive.
    """
    stop = _stop_on_signals()
    # APScheduler logs every tick at INFO and a skipped tick at WARNING; our own log says
    # what was done.
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    options = LaunchOptions(
        console=args.console,
        no_console=args.no_console or args.distributed,
        webhook=args.webhook,
        distributed=args.distributed,
    )
    check_options(options)
    if args.web:
        check_dashboard(settings)
    lock = RunLock.for_database(settings.database.url)
    lock.acquire()  # a second runner on this SQLite store is refused in one sentence
    state = _RunState()
    serving = asyncio.create_task(
        _serve(settings, options, stop, state, web=args.web), name="newsbot-serve"
    )
    stopped = asyncio.create_task(stop.event.wait())
    await asyncio.wait({serving, stopped}, return_when=asyncio.FIRST_COMPLETED)
    # Armed until the process exits: nothing after this point may keep it alive.
    ShutdownWatchdog(SHUTDOWN_GRACE_SECONDS).arm()
    began = time.monotonic()
    if not state.running:
        serving.cancel()  # stopped during start-up: undo what was started so far
    await asyncio.wait({serving}, timeout=SHUTDOWN_GRACE_SECONDS - 2)
    stopped.cancel()
    error = serving.exception() if serving.done() and not serving.cancelled() else None
    if error is not None and not stop.event.is_set():
        raise error  # a failure, not a stop: reported by the command line as usual
    lock.release()
    if stop.event.is_set():
        log.info(
            "newsbot stopping on %s; stopped in %.1f s, %s",
            stop.signal_name,
            time.monotonic() - began,
            _left(state),
        )
    _exit_now(0)
    return 0


@dataclass
class _RunState:
    running: bool = False  # start-up finished
    pending_posts: int | None = None  # counted on the way out


async def _serve(
    settings: Settings, options: LaunchOptions, stop: _StopRequest, state: _RunState, *, web: bool
) -> None:
    async with AsyncExitStack() as stack:
        app = await _open_app(settings)
        stack.push_async_callback(_within, CLOSE_DEADLINE_S, app.aclose, "closing the store")
        stack.push_async_callback(_count_pending, app.db, state)
        launched = await launch_adapters(app, options, stack)
        posters, console = launched.posters, launched.console
        scheduler = app.scheduler(posters)
        for adapter in launched.adapters:
            await adapter.start()
            stack.push_async_callback(adapter.close)
        if not options.distributed:  # distributed: the workers' minute tick schedules
            scheduler.start()
            stack.push_async_callback(scheduler.stop)
        if web:
            await start_dashboard(app, stack, announce=lambda line: print(line, flush=True))
        await start_ops_server(app, stack)  # when ops.enabled: /metrics, /healthz, /readyz
        state.running = True
        log.info("newsbot running: %s", ", ".join(sorted(posters)) or "no chat platform")
        if console is not None and not options.no_console:
            await console.start()
            await _first_of(console.serve(), stop.event.wait())
        else:
            await stop.event.wait()


async def _open_app(settings: Settings) -> App:
    """`build_app`, which a stop does not cut short: the store and the parser workers finish
    opening (a second or two) and are then closed in order. Cancelled half-way, a database
    connection or a process pool is left half-open and complains on the way out."""
    opening = asyncio.ensure_future(build_app(settings))
    try:
        return await asyncio.shield(opening)
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            app = await opening
            await _within(CLOSE_DEADLINE_S, app.aclose, "closing the store")
        raise


async def _count_pending(db: Database, state: _RunState) -> None:
    """How many posts wait in the outbox for the next start (for the stop's log line)."""
    try:
        async with asyncio.timeout(COUNT_DEADLINE_S), db.session() as session:
            state.pending_posts = await pending_post_count(session)
    except Exception:  # a timeout, a closed database: the count is a courtesy, the stop goes on
        state.pending_posts = None


async def _within(seconds: float, close: Callable[[], Awaitable[Any]], what: str) -> None:
    try:
        await asyncio.wait_for(close(), seconds)
    except TimeoutError:
        log.warning("%s took longer than %.0f s; exiting without waiting for it", what, seconds)


def _left(state: _RunState) -> str:
    """What the stop leaves for the next start, for its log line."""
    count = state.pending_posts
    if count is None:
        return "before it had started" if not state.running else "the outbox not counted"
    posts = "1 post" if count == 1 else f"{count} posts"
    return f"{posts} left in the outbox"


@dataclass
class _StopRequest:
    event: asyncio.Event
    signal_name: str = ""


def _stop_on_signals() -> _StopRequest:
    """A stop request set by the first SIGINT or SIGTERM; a second one exits at once."""
    stop = _StopRequest(asyncio.Event())
    loop = asyncio.get_running_loop()

    def on_signal(sig: signal.Signals) -> None:
        if stop.event.is_set():
            log.warning("newsbot: a second stop signal while shutting down; exiting now")
            _exit_now(1)
        stop.signal_name = sig.name
        stop.event.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal, sig)
    return stop


async def _first_of(*waits: Coroutine[Any, Any, Any]) -> None:
    """Wait until one of `waits` finishes; cancel the others."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    for task in done:
        task.result()  # an error in the one that finished is not swallowed


def _exit_now(code: int) -> None:
    logging.shutdown()  # flush the log line that says why
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


class ShutdownWatchdog:
    """Ends the process if an orderly shutdown has not finished within `grace` seconds.

    It is a thread, not an asyncio timer: the shutdown it guards may be stuck with the
    event loop blocked (a library waiting on a socket, a worker that never returns).
    """

    def __init__(self, grace: float, on_expiry: Callable[[int], None] = _exit_now) -> None:
        self.grace = grace
        self._exit = on_expiry
        self._timer: threading.Timer | None = None

    def arm(self) -> None:
        if self._timer is None:
            self._timer = threading.Timer(self.grace, self._expired)
            self._timer.daemon = True
            self._timer.start()

    def disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        log.warning(
            "newsbot: shutdown did not finish within %.0f s; exiting now "
            "(posts not yet delivered stay in the outbox for the next start)",
            self.grace,
        )
        self._exit(1)
