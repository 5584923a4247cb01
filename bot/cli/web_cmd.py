"""`newsbot web`: the dashboard alone (digests are posted by `newsbot run`, or `run --web`).

Prints the address to open. With no Discord or Slack login configured it serves the local
operator only, on 127.0.0.1, and says so.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable
from contextlib import AsyncExitStack
from typing import Any

from bot.app import App, build_app
from bot.config import Settings
from bot.errors import ConfigError

LOCAL_NOTE = "local operator mode: no login is configured, so only this machine can open it"


def register(subparsers: Any) -> None:
    """Add `web` to the `newsbot` command line."""
    web = subparsers.add_parser(
        "web",
        help="serve the web dashboard: channels, subscriptions, feed health, deliveries",
    )
    web.add_argument("--host", help="address to listen on (default: web.host, 127.0.0.1)")
    web.add_argument(
        "--port", type=int, help="port to listen on (default: web.port, 8080; 0 = any free port)"
    )
    web.set_defaults(handler=serve_web)


def with_address(settings: Settings, host: str | None, port: int | None) -> Settings:
    """The settings with the dashboard address given on the command line, if any."""
    changes: dict[str, Any] = {}
    if host:
        changes["host"] = host
    if port is not None:
        if not 0 <= port <= 65535:
            raise ConfigError(f"--port must be from 0 to 65535, not {port}.")
        changes["port"] = port
    if not changes:
        return settings
    return settings.model_copy(update={"web": settings.web.model_copy(update=changes)})


async def serve_web(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until SIGINT or SIGTERM."""
    settings = with_address(settings, args.host, args.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await run_dashboard(settings, stop=stop, announce=lambda line: print(line, flush=True))
    return 0


async def run_dashboard(
    settings: Settings, *, stop: asyncio.Event, announce: Callable[[str], None]
) -> None:
    """Open the store, serve the dashboard, announce its address, stop when `stop` is set."""
    check_dashboard(settings)  # before the database is opened
    async with AsyncExitStack() as stack:
        app = await build_app(settings)
        stack.push_async_callback(app.aclose)
        await start_dashboard(app, stack, announce)
        announce("Digests are posted by `newsbot run`; `newsbot run --web` serves both.")
        await stop.wait()


def check_dashboard(settings: Settings) -> None:
    """ConfigError in one sentence when the dashboard cannot be served as configured."""
    try:
        from adapters.web.app import check_web_settings
    except ImportError as error:  # the optional `web` extra is not installed
        raise ConfigError(
            f"the dashboard needs the web extra ({error.name} is missing): "
            "pip install 'newsbot[web]'."
        ) from None
    check_web_settings(settings.web)


async def start_dashboard(app: App, stack: AsyncExitStack, announce: Callable[[str], None]) -> None:
    """Serve the dashboard over `app` until `stack` closes; announce the address to open."""
    check_dashboard(app.settings)
    from adapters.web.server import DashboardServer

    server = DashboardServer(app)
    await server.start()
    stack.push_async_callback(server.close)
    mode = f" ({LOCAL_NOTE})" if server.local_only else ""
    announce(f"newsbot dashboard: open {server.address}{mode}. Stop with Ctrl-C.")
