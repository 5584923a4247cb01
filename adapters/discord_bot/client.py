"""newsbot's discord.py client: the gateway connection, its command tree and its events.

A `discord.Client` subclass given what it needs when made (the Discord settings and the
core's port); discord.py calls `setup_hook` once logged in, before the gateway connects,
which is where the `/news` commands are registered with Discord.
"""

from __future__ import annotations

import logging
from typing import Any

import discord

from adapters.discord_bot.commands import NewsCommands
from adapters.discord_bot.context import NO_MENTIONS
from adapters.discord_bot.mentions import answer_mention, asks_me
from adapters.discord_bot.tree import NewsTree
from bot.channels.ports import ChatCommands
from bot.config import DiscordSettings

log = logging.getLogger(__name__)


class NewsClient(discord.Client):
    """One gateway connection (or, as `ShardedNewsClient`, several) serving `/news`."""

    def __init__(self, settings: DiscordSettings, core: ChatCommands, **sharding: Any) -> None:
        intents = discord.Intents.default()  # guilds + guild messages; no privileged intents
        intents.message_content = settings.message_content_intent
        super().__init__(
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            max_ratelimit_timeout=settings.max_ratelimit_wait_s,
            guild_ready_timeout=settings.guild_ready_timeout_s,
            **sharding,
        )
        self.core = core
        self.sync_commands = settings.sync_commands
        self.dev_guild_id = settings.dev_guild_id
        self.tree = NewsTree(self)
        self.tree.add_command(NewsCommands(core))

    async def setup_hook(self) -> None:
        """Register `/news` with Discord: in the development server at once, else globally."""
        if not self.sync_commands:
            return
        try:
            if self.dev_guild_id:
                guild = discord.Object(id=self.dev_guild_id)
                self.tree.copy_global_to(guild=guild)  # guild sync is instant: development
                synced = await self.tree.sync(guild=guild)
                log.info("discord: synced %d commands to guild %s", len(synced), guild.id)
            else:
                synced = await self.tree.sync()  # global: a bulk overwrite, can take a while
                log.info("discord: synced %d global commands", len(synced))
        except discord.Forbidden:
            log.error(
                "discord: cannot register /news commands: invite the bot with the "
                "applications.commands scope"
            )

    async def on_ready(self) -> None:
        log.info("discord: connected as %s to %d servers", self.user, len(self.guilds))
        if not self.intents.message_content:
            log.info(
                "discord: the Message Content intent is off: newsbot answers messages that "
                "mention it and /news ask (enough for digest threads)"
            )
        if not self.intents.guild_messages:
            log.warning("discord: the Guild Messages intent is off: mentions are not answered")

    async def on_message(self, message: discord.Message) -> None:
        """A message mentioning the bot is a question, answered where it was asked."""
        if asks_me(self.user, message):
            await answer_mention(self.core, message)


class ShardedNewsClient(NewsClient, discord.AutoShardedClient):
    """The same client over several gateway shards (Discord requires it from 2,500 servers)."""

    def __init__(self, settings: DiscordSettings, core: ChatCommands) -> None:
        super().__init__(
            settings, core, shard_count=settings.shard_count, shard_ids=settings.shard_ids
        )


def make_client(settings: DiscordSettings, core: ChatCommands) -> NewsClient:
    """The client the settings ask for: sharded, or one connection."""
    if settings.sharded or settings.shard_ids:  # a share of the shards is sharded too
        return ShardedNewsClient(settings, core)
    return NewsClient(settings, core)
