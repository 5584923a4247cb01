"""`Commands`: every chat command in one object, typed (slash options) or as text (`execute`).

It implements `bot.channels.ports.ChatCommands`, the one port every adapter calls.
"""

from __future__ import annotations

from bot.channels.commands.parsing import (
    HELP,
    looks_like_url,
    parse_settings,
    refusal,
    split_options,
    whole_number,
)
from bot.channels.commands.settings import SettingsCommands
from bot.channels.commands.status import StatusCommands
from bot.channels.commands.subscriptions import SubscriptionCommands
from bot.channels.commands.summaries import SummaryCommands
from bot.channels.topics import split_word_list
from bot.errors import BadInput, NewsbotError
from bot.models import Caller, ChannelRef, Reply


class Commands(SubscriptionCommands, SummaryCommands, SettingsCommands, StatusCommands):
    """The chat commands of one bot. Build once in the composition root; share everywhere."""

    HELP = HELP

    async def execute(
        self, where: ChannelRef, caller: Caller, text: str, *, thread_id: str | None = None
    ) -> Reply:
        """Run a command typed as text (Slack, console): `subscribe URL include:a,b`, ..."""
        # Any whitespace separates the words: a tab, or the no-break space pasted text carries.
        words = text.strip().lstrip("/").split(None, 1)
        if words and words[0].lower() == "news":  # "/news list" as typed on Slack or Discord
            words = words[1].split(None, 1) if len(words) > 1 else []
        name = words[0].lower() if words else ""
        rest = words[1].strip() if len(words) > 1 else ""
        try:
            return await self._dispatch(where, caller, name, rest, thread_id)
        except NewsbotError as error:
            return refusal(str(error))

    async def _dispatch(
        self, where: ChannelRef, caller: Caller, name: str, rest: str, thread_id: str | None
    ) -> Reply:
        if name in ("", "help"):
            return Reply(text=HELP, ephemeral=True)
        if name == "subscribe":
            target, options = split_options(rest, ("include", "exclude"))
            return await self.subscribe(
                where,
                caller,
                target,
                include=split_word_list(options.get("include", "")),
                exclude=split_word_list(options.get("exclude", "")),
            )
        if name == "unsubscribe":
            return await self.unsubscribe(where, caller, rest)
        if name == "list":
            return await self.list_subscriptions(where)
        if name == "summary":
            return await self._summary_text(where, caller, rest)
        if name == "digest":
            return await self.digest_now(where, caller)
        if name == "ask":
            return await self.ask(where, caller, rest, thread_id=thread_id)
        if name == "settings":
            return await self.settings(where, caller, parse_settings(rest))
        if name == "status":
            return await self.status(where, rest or None)
        return Reply(text=f"Unknown command {name[:40]!r}.\n{HELP}", ok=False, ephemeral=True)

    async def _summary_text(self, where: ChannelRef, caller: Caller, rest: str) -> Reply:
        free, options = split_options(rest, ("hours", "feed", "topic"))
        hours_text = options.get("hours", "")
        words = free.split()
        if not hours_text and words and whole_number(words[0]) is not None:
            hours_text, free = words[0], " ".join(words[1:])
        hours = 24
        if hours_text:
            number = whole_number(hours_text)
            if number is None:
                raise BadInput(f"hours must be a whole number, not {hours_text[:20]!r}.")
            hours = number
        feed, topic = options.get("feed"), options.get("topic")
        if free and not feed and not topic:
            if looks_like_url(free) or whole_number(free) is not None:
                feed = free
            else:
                topic = free
        return await self.summary(where, caller, topic=topic, feed=feed, hours=hours)
