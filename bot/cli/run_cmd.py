"""`newsbot run`: the bot itself — scheduler plus the chat adapters that are configured.

With no Discord or Slack credentials it opens the console channel on this terminal (the
embedded default: try every command without any account). With credentials it starts those
adapters, and the console too when asked (`--console`). Which adapters start is decided in
`adapters/launch.py`; this module owns the process: signals, start order and shutdown.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import threading
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any

from adapters.launch import LaunchOptions, check_options, launch_adapters
from bot.app import build_app
from bot.cli.web_cmd import check_dashboard, start_dashboard
from bot.config import Settings
from bot.ops.server import start_ops_server

log = logging.getLogger("newsbot.run")

# How long a stop may take before the process exits anyway. Nothing is lost by exiting:
# a digest interrupted mid-post is found again through the outbox on the next start.
SHUTDOWN_GRACE_SECONDS = 20.0


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
    run.set_defaults(handler=run_bot)


async def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    """Start everything, serve until end of console input or a stop signal, shut down."""
    # APScheduler logs every tick at INFO; our own tick log says what was done.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    options = LaunchOptions(
        console=args.console,
        no_console=args.no_console or args.distributed,
        webhook=args.webhook,
        distributed=args.distributed,
    )
    check_options(options)
    if args.web:
        check_dashboard(settings)
    watchdog = ShutdownWatchdog(SHUTDOWN_GRACE_SECONDS)
    # Handled from the first moment: a stop that arrives while adapters are still starting
    # must shut down in order too, not kill the process under its parser workers.
    stop = _stop_on_signals()
    async with AsyncExitStack() as stack:
        app = await build_app(settings)
        stack.push_async_callback(app.aclose)
        launched = await launch_adapters(app, options, stack)
        posters, console = launched.posters, launched.console
        scheduler = app.scheduler(posters)
        for adapter in launched.adapters:
            await adapter.start()
            stack.push_async_callback(adapter.close)
        if not options.distributed:  # distributed: the workers' minute tick schedules
            scheduler.start()
            stack.push_async_callback(scheduler.stop)
        if args.web:
            await start_dashboard(app, stack, announce=lambda line: print(line, flush=True))
        await start_ops_server(app, stack)  # when ops.enabled: /metrics, /healthz, /readyz
        log.info("newsbot running: %s", ", ".join(sorted(posters)) or "no chat platform")
        try:
            if console is not None and not args.no_console:
                await console.start()
                await _first_of(console.serve(), stop.wait())
            else:
                await stop.wait()
        finally:
            # Armed before the exit stack unwinds: closing adapters, the scheduler and the
            # database must not keep a stopped bot alive forever.
            watchdog.arm()
    watchdog.disarm()
    return 0


def _stop_on_signals() -> asyncio.Event:
    """An event set by the first SIGINT or SIGTERM; a second one exits at once."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop.is_set():
            log.warning("newsbot: stopped again while shutting down; exiting now")
            _exit_now(1)
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
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
