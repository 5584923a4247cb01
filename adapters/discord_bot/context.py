"""Discord -> core: the channel a command or mention belongs to, who sent it, and the words
of a question without Discord's markup."""

from __future__ import annotations

import re

import discord

from bot.models import Caller, ChannelRef

PLATFORM = "discord"
# Nothing newsbot sends may ping anyone, whatever a feed or a model wrote.
NO_MENTIONS = discord.AllowedMentions.none()
# Discord markup for user, role and channel mentions and custom emoji: not words of a question.
MARKUP = re.compile(r"<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>")


def channel_of(guild_id: int | None, channel: object) -> tuple[ChannelRef, str | None]:
    """The channel a command belongs to, and the thread it was asked in (if any).

    Subscriptions and settings belong to the parent channel; a thread only adds context.
    """
    workspace = str(guild_id) if guild_id else "dm"
    if isinstance(channel, discord.Thread):
        return ChannelRef(PLATFORM, workspace, str(channel.parent_id)), str(channel.id)
    channel_id = getattr(channel, "id", None)
    return ChannelRef(PLATFORM, workspace, str(channel_id)), None


def caller_of(interaction: discord.Interaction) -> Caller:
    """Who ran the command; Manage Channels is read from this very interaction, every time."""
    return Caller(
        user_id=str(interaction.user.id),
        can_manage=interaction.permissions.manage_channels,
        display_name=interaction.user.display_name,
    )


def plain_question(text: str) -> str:
    """A question as the member reads it: mention and emoji markup removed, spaces tidied."""
    return " ".join(MARKUP.sub(" ", text).split())
