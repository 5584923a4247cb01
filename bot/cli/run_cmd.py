"""`newsbot run`: the bot itself — scheduler plus the chat adapters that are configured.

With no Discord or Slack credentials it opens the console channel on this terminal (the
embedded default: try every command without any account). With credentials it starts those
adapters, and the console too when asked (`--console`). Adapters are imported only when
configured, so a console-only run never loads discord.py or slack-bolt.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from contextlib import AsyncExitStack
from typing import Any, Protocol

from bot.app import App, build_app
from bot.channels.delivery import Poster
from bot.config import Settings

log = logging.getLogger("newsbot.run")


class Adapter(Protocol):
    """What `run` needs of a chat adapter (see docs: channels contract)."""

    @property
    def poster(self) -> Poster: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


def register(subparsers: Any) -> None:
    """Add `run` to the `newsbot` command line."""
    run = subparsers.add_parser(
        "run",
        help="run the bot: scheduled digests plus Discord/Slack (console when neither is set up)",
    )
    run.add_argument(
        "--console",
        action="store_true",
        help="open the console channel even when Discord or Slack is configured",
    )
    run.add_argument(
        "--no-console",
        action="store_true",
        help="no interactive console: run the scheduler (and adapters) until stopped",
    )
    run.add_argument(
        "--webhook",
        metavar="URL",
        help="deliver the console channel's digests as JSON to URL instead of printing them",
    )
    run.set_defaults(handler=run_bot)


def discord_configured(settings: Settings) -> bool:
    return settings.discord.token is not None


def slack_configured(settings: Settings) -> bool:
    slack = settings.slack
    return slack.bot_token is not None or slack.client_id is not None


def chat_adapters(app: App, settings: Settings) -> list[Adapter]:
    """The Discord and Slack adapters whose credentials are set, imported only then."""
    adapters: list[Adapter] = []
    if discord_configured(settings):
        from adapters.discord_bot import DiscordAdapter

        adapters.append(DiscordAdapter(app, settings))
    if slack_configured(settings):
        from adapters.slack_bot import SlackAdapter

        adapters.append(SlackAdapter(app, settings))
    return adapters


async def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    """Start everything, serve until end of console input or a stop signal, shut down."""
    # APScheduler logs every tick at INFO; our own tick log says what was done.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    async with AsyncExitStack() as stack:
        app = await build_app(settings)
        stack.push_async_callback(app.aclose)
        adapters = chat_adapters(app, settings)
        posters: dict[str, Poster] = {a.poster.platform: a.poster for a in adapters}
        console = None
        if args.console or (not adapters and not args.no_console) or args.webhook:
            console = await _console(app, args, posters, stack, interactive=not args.no_console)
        scheduler = app.scheduler(posters)
        for adapter in adapters:
            await adapter.start()
            stack.push_async_callback(adapter.close)
        scheduler.start()
        stack.push_async_callback(scheduler.stop)
        log.info("newsbot running: %s", ", ".join(sorted(posters)) or "no chat platform")
        if console is not None and not args.no_console:
            await console.start()
            await console.serve()
        else:
            await _until_stopped()
    return 0


async def _console(
    app: App,
    args: argparse.Namespace,
    posters: dict[str, Poster],
    stack: AsyncExitStack,
    *,
    interactive: bool,
) -> Any:
    from adapters.console import CONSOLE_CHANNEL, ConsoleAdapter
    from bot.models import ChannelRef

    if not args.webhook:
        console = ConsoleAdapter(app.commands)
        posters[console.poster.platform] = console.poster
        return console
    from adapters.webhook import PLATFORM, WebhookPoster

    poster = await stack.enter_async_context(WebhookPoster(args.webhook))
    posters[PLATFORM] = poster
    where = ChannelRef(PLATFORM, CONSOLE_CHANNEL.workspace, "default")
    return ConsoleAdapter(app.commands, where=where) if interactive else None


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
