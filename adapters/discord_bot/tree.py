"""newsbot's command tree: the one place a failed slash command becomes a private sentence."""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from adapters.discord_bot.interactions import tell_privately
from bot.errors import NewsbotError, user_message

log = logging.getLogger(__name__)

# discord.py's own refusals that are written for the member (an option it could not convert,
# a check such as "servers only"): shown as they are.
MEMBER_FACING = app_commands.TransformerError | app_commands.CheckFailure


class NewsTree(app_commands.CommandTree[discord.Client]):
    """The command tree with one error handler for every `/news` command."""

    async def on_error(
        self, interaction: discord.Interaction[discord.Client], error: app_commands.AppCommandError
    ) -> None:
        """A `NewsbotError` shows its own sentence; a bug is logged and shown as the generic
        sentence (`bot.errors.user_message`), never as a traceback."""
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        if isinstance(original, MEMBER_FACING):
            text = str(original)
        else:
            if not isinstance(original, NewsbotError):
                log.error("discord: /news command failed", exc_info=original)
            text = user_message(original)
        try:
            await tell_privately(interaction, text)
        except discord.HTTPException as send_error:
            log.warning("discord: could not show an error to the user: %s", send_error)
