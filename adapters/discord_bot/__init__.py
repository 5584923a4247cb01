"""newsbot on Discord (discord.py): `/news` slash commands, digest posts with threads, answers.

`DiscordAdapter` is what `newsbot run` starts; the modules are listed in `adapter`.
"""

from adapters.discord_bot.adapter import DiscordAdapter
from adapters.discord_bot.context import PLATFORM
from adapters.discord_bot.poster import DiscordPoster

__all__ = ["PLATFORM", "DiscordAdapter", "DiscordPoster"]
