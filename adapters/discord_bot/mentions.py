"""A message mentioning newsbot is a question, answered where it was asked."""

from __future__ import annotations

import logging
from typing import Any

import discord

from adapters.discord_bot.context import NO_MENTIONS, channel_of, plain_question
from adapters.discord_bot.permissions import may_read_history, may_send
from adapters.discord_bot.render import render_reply
from bot.channels.ports import ChatCommands
from bot.errors import NewsbotError, user_message
from bot.models import Caller, Reply

log = logging.getLogger(__name__)

NO_QUESTION = "Ask me a question after the mention, or use /news ask."


def asks_me(me: discord.ClientUser | None, message: discord.Message) -> bool:
    """Whether the message is a member's mention of the bot in a server."""
    if me is None or message.author.bot or message.guild is None:
        return False
    return me.id in message.raw_mentions


async def answer_mention(core: ChatCommands, message: discord.Message) -> None:
    """Ask the core the question in `message` and reply with its answer (or why not)."""
    if not may_send(message.channel):
        # Neither typing nor the answer would get through: ask nothing of the core.
        log.warning(
            "discord: a question in channel %s goes unanswered: newsbot lacks %s there",
            message.channel.id,
            "Send Messages in Threads"
            if isinstance(message.channel, discord.Thread)
            else "Send Messages",
        )
        return
    question = plain_question(message.content)
    if not question:
        if not message.content:
            log.warning(
                "discord: a mention arrived without its text; enable the Message Content "
                "intent or ask with /news ask"
            )
        await reply_in_channel(message, Reply(text=NO_QUESTION, ephemeral=True))
        return
    where, thread_id = channel_of(message.guild.id if message.guild else None, message.channel)
    # A mention only ever asks a question, which needs no permission.
    caller = Caller(user_id=str(message.author.id), display_name=message.author.display_name)
    try:
        async with message.channel.typing():
            reply = await core.ask(where, caller, question, thread_id=thread_id)
    except Exception as error:
        if not isinstance(error, NewsbotError):
            log.exception("discord: answering a mention failed")
        reply = Reply(text=user_message(error), ok=False)
    await reply_in_channel(message, reply)


async def reply_in_channel(message: discord.Message, reply: Reply) -> None:
    """The reply as a reply to `message`; logged, not raised, when Discord refuses it."""
    # Discord refuses a reply (a message reference) without Read Message History; then
    # the answer goes out as a plain message in the same place.
    reference = (
        message.to_reference(fail_if_not_exists=False)
        if may_read_history(message.channel)
        else None
    )
    # (discord.py takes no None for `reference`: it is left out instead.)
    replying: dict[str, Any] = {} if reference is None else {"reference": reference}
    try:
        for part in render_reply(reply):
            await message.channel.send(
                content=part.content or None,
                embeds=list(part.embeds),
                allowed_mentions=NO_MENTIONS,
                mention_author=False,
                **replying,
            )
    except discord.Forbidden:
        log.error(
            "discord: cannot answer in channel %s: missing Send Messages (in Threads)",
            message.channel.id,
        )
    except discord.HTTPException as error:
        log.warning("discord: answer in channel %s failed: %s", message.channel.id, error)
