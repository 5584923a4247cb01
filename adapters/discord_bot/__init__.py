"""newsbot on Discord (discord.py): `/news` slash commands, digest posts with threads, answers."""

from adapters.discord_bot.adapter import DiscordAdapter, DiscordPoster

__all__ = ["DiscordAdapter", "DiscordPoster"]
