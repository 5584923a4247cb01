"""Running one slash command: defer at once, call the core, show its Reply.

Every interaction is deferred before any work, so Discord's 3-second deadline holds however
slow the summariser is; answers follow as edits and follow-ups (valid for 15 minutes).
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import replace

import discord

from adapters.discord_bot.context import NO_MENTIONS, caller_of, channel_of
from adapters.discord_bot.permissions import posting_note
from adapters.discord_bot.render import DiscordMessage, render_reply
from bot.models import Caller, ChannelRef, Reply

# A call into the core (`bot.channels.ports.ChatCommands`): channel, caller, thread -> Reply.
CoreCall = Callable[[ChannelRef, Caller, str | None], Awaitable[Reply]]


async def run_command(interaction: discord.Interaction, call: CoreCall, *, ephemeral: bool) -> None:
    """Defer first (the 3-second deadline), then run the core call and show its Reply."""
    await interaction.response.defer(thinking=True, ephemeral=ephemeral)
    where, thread_id = channel_of(interaction.guild_id, interaction.channel)
    reply = await call(where, caller_of(interaction), thread_id)
    note = posting_note(interaction)
    if note:
        reply = replace(reply, text=f"{reply.text}\n\nNote: {note}")
    await _show(
        interaction, render_reply(reply), deferred_ephemeral=ephemeral, ephemeral=reply.ephemeral
    )


async def _show(
    interaction: discord.Interaction,
    messages: list[DiscordMessage],
    *,
    deferred_ephemeral: bool,
    ephemeral: bool,
) -> None:
    private = ephemeral or deferred_ephemeral
    if private and not deferred_ephemeral:
        # The "thinking" note is public; a refusal must not be: replace it privately.
        await interaction.delete_original_response()
        for message in messages:
            await _followup(interaction, message, ephemeral=True)
        return
    first, *rest = messages
    await interaction.edit_original_response(
        content=first.content or None, embeds=list(first.embeds), allowed_mentions=NO_MENTIONS
    )
    for message in rest:
        await _followup(interaction, message, ephemeral=private)


async def _followup(
    interaction: discord.Interaction, message: DiscordMessage, *, ephemeral: bool
) -> None:
    await interaction.followup.send(
        content=message.content or "",
        embeds=list(message.embeds),
        ephemeral=ephemeral,
        allowed_mentions=NO_MENTIONS,
    )


async def tell_privately(interaction: discord.Interaction, text: str) -> None:
    """`text` shown only to the member, whether or not the interaction was deferred;
    raises discord.HTTPException when Discord refuses."""
    if not interaction.response.is_done():
        await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    elif not interaction.is_expired():
        # Replace the "thinking" note (which may be public) with a private message.
        with contextlib.suppress(discord.NotFound):
            await interaction.delete_original_response()
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
