"""Running one slash command: defer at once, call the core, show its Reply.

Every interaction is deferred before any work, so Discord's 3-second deadline holds however
slow the summariser is; answers follow as edits and follow-ups (valid for 15 minutes).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace

import discord

from adapters.discord_bot.context import NO_MENTIONS, caller_of, channel_of
from adapters.discord_bot.permissions import posting_note
from adapters.discord_bot.render import DiscordMessage, render_reply
from bot.models import Caller, ChannelRef, Digest, Reply

log = logging.getLogger(__name__)

# A call into the core (`bot.channels.ports.ChatCommands`): channel, caller, thread -> Reply.
CoreCall = Callable[[ChannelRef, Caller, str | None], Awaitable[Reply]]
# Where a digest asked for went (`ChatCommands.digest_posted`): channel, digest, message ids.
DigestPosted = Callable[[ChannelRef, Digest, Sequence[str]], Awaitable[None]]


async def run_command(
    interaction: discord.Interaction,
    call: CoreCall,
    *,
    ephemeral: bool,
    posted: DigestPosted | None = None,
) -> None:
    """Defer first (the 3-second deadline), then run the core call and show its Reply.

    With `posted`, a digest shown publicly is reported with its messages' ids, so a thread
    started under any of them asks about that digest's articles."""
    await interaction.response.defer(thinking=True, ephemeral=ephemeral)
    where, thread_id = channel_of(interaction.guild_id, interaction.channel)
    reply = await call(where, caller_of(interaction), thread_id)
    note = posting_note(interaction)
    if note:
        reply = replace(reply, text=f"{reply.text}\n\nNote: {note}")
    shown: list[str] = []
    try:
        await _show(
            interaction,
            render_reply(reply),
            deferred_ephemeral=ephemeral,
            ephemeral=reply.ephemeral,
            shown=shown,
        )
    finally:
        # Even when Discord refused a later part, what is out can be asked about.
        if posted is not None and reply.digest is not None and shown:
            await _remember_post(posted, where, reply.digest, shown)


async def _remember_post(
    posted: DigestPosted, where: ChannelRef, digest: Digest, message_ids: list[str]
) -> None:
    try:
        await posted(where, digest, message_ids)
    except Exception:  # the digest is out; only its thread's context is lost
        log.exception("discord: could not record the digest posted in %s", where.key)


async def _show(
    interaction: discord.Interaction,
    messages: list[DiscordMessage],
    *,
    deferred_ephemeral: bool,
    ephemeral: bool,
    shown: list[str],
) -> None:
    """Send `messages`; the id of each one shown publicly is added to `shown`."""
    private = ephemeral or deferred_ephemeral
    if private and not deferred_ephemeral:
        # The "thinking" note is public; a refusal must not be: replace it privately.
        await interaction.delete_original_response()
        for message in messages:
            await _followup(interaction, message, ephemeral=True)
        return
    first, *rest = messages
    original = await interaction.edit_original_response(
        content=first.content or None, embeds=list(first.embeds), allowed_mentions=NO_MENTIONS
    )
    if not private:
        shown.append(str(original.id))
    for message in rest:
        sent = await _followup(interaction, message, ephemeral=private)
        if not private:
            shown.append(str(sent.id))


async def _followup(
    interaction: discord.Interaction, message: DiscordMessage, *, ephemeral: bool
) -> discord.WebhookMessage:
    return await interaction.followup.send(
        content=message.content or "",
        embeds=list(message.embeds),
        ephemeral=ephemeral,
        allowed_mentions=NO_MENTIONS,
        wait=True,
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
