"""What newsbot may do in a channel, read from discord.py's cache before asking Discord.

Every request Discord refuses counts towards its limit of 10,000 invalid requests per
10 minutes per IP, so a known "no" is answered here; an unknown channel is left to Discord.
"""

from __future__ import annotations

import discord

# What the bot needs in a channel to post digests and open their threads.
BOT_NEEDS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    read_message_history=True,
    create_public_threads=True,
    send_messages_in_threads=True,
)


def missing_bot_permissions(have: discord.Permissions) -> list[str]:
    """Names of the permissions the bot lacks in a channel to post digests there."""
    return [
        name.replace("_", " ").title()
        for name, needed in BOT_NEEDS
        if needed and not getattr(have, name)
    ]


def posting_note(interaction: discord.Interaction) -> str:
    """Why digests for the command's channel cannot be posted, or "" when they can."""
    if not interaction.guild_id:
        return ""
    channel = interaction.channel
    if isinstance(channel, discord.Thread) and isinstance(channel.parent, discord.ForumChannel):
        # A forum post's commands belong to the forum, and a forum holds no messages.
        return (
            "newsbot cannot post digests in a forum; use /news in a text channel to "
            "have them posted there."
        )
    missing = missing_bot_permissions(interaction.app_permissions)
    if missing:
        return (
            f"newsbot cannot post digests in this channel yet; it needs {', '.join(missing)}. "
            "Digests are kept until it can."
        )
    return ""


def bot_permissions_in(channel: object) -> discord.Permissions | None:
    """The bot's permissions in a cached channel or thread; None when not known here."""
    if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
        return None
    me = channel.guild.me
    if me is None:
        return None
    try:
        return channel.permissions_for(me)
    except discord.ClientException:  # a thread whose parent channel is not cached
        return None


def may_send(channel: object) -> bool:
    """Whether the bot may send a message there (in a thread: Send Messages in Threads)."""
    have = bot_permissions_in(channel)
    if have is None:
        return True  # unknown here: let Discord decide
    if isinstance(channel, discord.Thread):
        return have.send_messages_in_threads
    return have.send_messages


def may_post_embeds(channel: object) -> bool:
    """Whether the bot may post a digest (messages with embeds) there."""
    have = bot_permissions_in(channel)
    return have is None or (have.view_channel and may_send(channel) and have.embed_links)


def may_read_history(channel: object) -> bool:
    """Whether the bot may read the history (which a reply to a message needs)."""
    have = bot_permissions_in(channel)
    return have is None or have.read_message_history


def may_open_thread(message: discord.Message) -> bool:
    """Whether the bot may open a public thread from this message."""
    channel = message.channel
    if not isinstance(channel, discord.abc.GuildChannel) or channel.guild.me is None:
        return True  # unknown here: let Discord decide
    return channel.permissions_for(channel.guild.me).create_public_threads
