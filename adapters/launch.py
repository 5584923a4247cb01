"""Which chat adapters `newsbot run` starts: the ones whose credentials are set, else the console.

Discord and Slack are imported only when configured, so a console-only run never loads
discord.py or slack-bolt. The console is opened when no chat platform is configured (the
embedded default), when asked for (`--console`), or to drive a webhook channel (`--webhook`).
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from typing import Protocol

from adapters.console import CONSOLE_CHANNEL, ConsoleAdapter, posted_record_path
from adapters.webhook import PLATFORM as WEBHOOK_PLATFORM
from adapters.webhook import WebhookPoster, check_webhook_url
from bot.app import App
from bot.channels.delivery import Poster
from bot.config import Settings
from bot.models import ChannelRef


class Adapter(Protocol):
    """What `run` needs of a chat adapter: its poster, and to start and stop it."""

    @property
    def poster(self) -> Poster: ...

    async def start(self) -> None: ...

    async def close(self) -> None: ...


@dataclass(frozen=True)
class LaunchOptions:
    """The `newsbot run` flags that choose adapters."""

    console: bool = False  # open the console even when a chat platform is configured
    no_console: bool = False  # never read the terminal: run until stopped
    webhook: str | None = None  # deliver the console channel's digests to this URL


@dataclass
class Launched:
    """The adapters started for one run, and the posters the scheduler delivers through."""

    adapters: list[Adapter]
    posters: dict[str, Poster] = field(default_factory=dict)
    console: ConsoleAdapter | None = None  # serve() it when interactive


def discord_configured(settings: Settings) -> bool:
    return settings.discord.token is not None


def slack_configured(settings: Settings) -> bool:
    slack = settings.slack
    return slack.bot_token is not None or slack.client_id is not None


def check_options(options: LaunchOptions) -> None:
    """Refuse bad flags before anything starts (not at the first digest's delivery)."""
    if options.webhook:
        check_webhook_url(options.webhook)


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


async def launch_adapters(app: App, options: LaunchOptions, stack: AsyncExitStack) -> Launched:
    """Build the configured adapters (not started yet) and the console or webhook channel.

    Resources the webhook poster holds are closed by `stack`.
    """
    adapters = chat_adapters(app, app.settings)
    launched = Launched(adapters, {a.poster.platform: a.poster for a in adapters})
    wants_console = options.console or (not adapters and not options.no_console)
    if options.webhook:
        poster = await stack.enter_async_context(WebhookPoster(options.webhook))
        launched.posters[WEBHOOK_PLATFORM] = poster
        if not options.no_console:
            where = ChannelRef(WEBHOOK_PLATFORM, CONSOLE_CHANNEL.workspace, "default")
            launched.console = ConsoleAdapter(app.commands, where=where)
    elif wants_console:
        launched.console = ConsoleAdapter(
            app.commands, posted=posted_record_path(app.settings.database.url)
        )
        launched.posters[launched.console.poster.platform] = launched.console.poster
    return launched
