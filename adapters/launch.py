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
from bot.errors import BadInput, ConfigError
from bot.models import ChannelRef
from bot.store.dispatch import postgres_conninfo


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
    distributed: bool = False  # chat connections only: workers build and senders post


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
    if options.distributed:
        check_distributed(app.settings, options, adapters)
        return Launched(adapters, {a.poster.platform: a.poster for a in adapters})
    launched = Launched(adapters, {a.poster.platform: a.poster for a in adapters})
    wants_console = options.console or (not adapters and not options.no_console)
    if options.webhook:
        pace = app.settings.webhook.posts_per_second
        poster = await stack.enter_async_context(WebhookPoster(options.webhook, per_second=pace))
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


def check_distributed(settings: Settings, options: LaunchOptions, adapters: list[Adapter]) -> None:
    """`newsbot run --distributed` serves Discord and Slack on PostgreSQL, nothing else."""
    postgres_conninfo(settings.database.url)  # one sentence when the database is SQLite
    if options.webhook or options.console:
        raise BadInput(
            "--distributed runs only the Discord and Slack connections; webhook digests are "
            "posted by `newsbot worker --send webhook --webhook URL`, the console needs "
            "`newsbot run`."
        )
    if not adapters:
        raise ConfigError(
            "--distributed has nothing to run: configure Discord (NEWSBOT_DISCORD__TOKEN) or "
            "Slack (NEWSBOT_SLACK__BOT_TOKEN)."
        )


async def sender_poster(
    app: App, platform: str, stack: AsyncExitStack, *, webhook: str | None = None
) -> Poster:
    """The poster one platform's sender delivers through: able to post, listening to nothing
    (no gateway, no Socket Mode). Closed by `stack`."""
    settings = app.settings
    if platform == WEBHOOK_PLATFORM:
        if not webhook:
            raise BadInput("the webhook sender needs the endpoint: add --webhook URL.")
        check_webhook_url(webhook)
        pace = settings.webhook.posts_per_second
        return await stack.enter_async_context(WebhookPoster(webhook, per_second=pace))
    if platform == "discord" and discord_configured(settings):
        from discord import LoginFailure

        from adapters.discord_bot import DiscordAdapter

        adapter = DiscordAdapter(app, settings)
        stack.push_async_callback(adapter.client.close)
        token = settings.discord.token.get_secret_value() if settings.discord.token else ""
        try:
            await adapter.client.login(token)  # the REST half only: posting needs no gateway
        except LoginFailure:
            raise ConfigError(
                "Discord rejected the bot token; check NEWSBOT_DISCORD__TOKEN."
            ) from None
        return adapter.poster
    if platform == "slack" and slack_configured(settings):
        from adapters.slack_bot import SlackAdapter

        slack = SlackAdapter(app, settings)
        stack.push_async_callback(slack.close)
        return slack.poster
    raise ConfigError(
        f"cannot send to {platform!r}: give discord or slack (with its token configured), "
        "or webhook with --webhook URL."
    )
