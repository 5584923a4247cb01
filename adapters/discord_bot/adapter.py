"""newsbot on Discord: the client and the poster, started and stopped as one.

Translation only, in three steps like every adapter: a Discord interaction or mention becomes
a call through the core's one port (`bot.channels.ports.ChatCommands`, with a `ChannelRef` and
a `Caller` whose `can_manage` comes from the member's Manage Channels permission, read on
every call), the core's `Reply`/`Digest` becomes embeds (`render`), and those are sent.

The package's modules: `client` (the discord.py client and its events), `tree` (the one
error handler), `commands` (the `/news` group), `interactions` (defer, call, answer),
`mentions` (questions asked by mentioning the bot), `poster` (the outbox's side),
`render`, `text` and `links` (messages inside Discord's limits), `permissions`, `context`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
import discord

from adapters.discord_bot.client import NewsClient, make_client
from adapters.discord_bot.context import PLATFORM
from adapters.discord_bot.poster import DiscordPoster
from bot.app import App
from bot.channels.ports import ChatCommands
from bot.config import DiscordSettings, Settings
from bot.errors import ConfigError, NewsbotError

log = logging.getLogger(__name__)


class DiscordAdapter:
    """newsbot on Discord: slash commands, mentions in threads, and the digest poster."""

    platform = PLATFORM

    def __init__(self, app: App, settings: Settings, *, ready_timeout_s: float = 60.0) -> None:
        self.commands: ChatCommands = app.commands
        self._settings: DiscordSettings = settings.discord
        self._ready_timeout_s = ready_timeout_s
        self.client: NewsClient = make_client(self._settings, self.commands)
        self.poster = DiscordPoster(
            self.client,
            history_limit=self._settings.history_scan,
            per_second=self._settings.requests_per_second,
        )
        self._runner: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Log in, connect to the gateway and return once Discord reports ready."""
        token = self._settings.token.get_secret_value() if self._settings.token else ""
        if not token:
            raise ConfigError("Discord needs a bot token: set NEWSBOT_DISCORD__TOKEN.")
        try:
            await self.client.login(token)
        except discord.LoginFailure:
            await self.client.close()  # login opened the HTTP session
            raise ConfigError(
                "Discord rejected the bot token; check NEWSBOT_DISCORD__TOKEN."
            ) from None
        except (discord.HTTPException, aiohttp.ClientError, OSError) as error:
            await self.client.close()
            raise NewsbotError(f"Discord could not be reached: {error}.") from error
        self._runner = asyncio.create_task(
            self.client.connect(reconnect=True), name="discord-gateway"
        )
        self._runner.add_done_callback(self._log_gateway_end)
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait(
            {self._runner, ready},
            timeout=self._ready_timeout_s,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if ready not in done:
            ready.cancel()
            await self._raise_start_failure(done)

    async def _raise_start_failure(self, done: set[asyncio.Task[None]]) -> None:
        error = self._runner.exception() if self._runner in done and self._runner else None
        await self.close()
        if isinstance(error, discord.PrivilegedIntentsRequired):
            raise ConfigError(
                "Discord refused the Message Content intent: enable it for the bot in the "
                "Developer Portal, or set discord.message_content_intent = false."
            ) from None
        if error is not None:
            raise ConfigError(f"Discord connection failed: {error}") from error
        raise ConfigError(f"Discord did not report ready within {self._ready_timeout_s:.0f} s.")

    def _log_gateway_end(self, runner: asyncio.Task[None]) -> None:
        # discord.py reconnects by itself; it only gives up on errors a restart will not fix.
        if runner.cancelled():
            return
        error = runner.exception()
        if error is None and self.client.is_closed():
            return  # a graceful close
        log.error("discord: the gateway connection stopped: %r", error)

    async def close(self) -> None:
        """Graceful shutdown: close the gateway and HTTP session, wait for the runner."""
        await self.client.close()
        if self._runner is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._runner
            self._runner = None
