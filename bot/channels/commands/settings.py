"""settings: show a channel's digest settings, or change them (all valid, or nothing changes)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.channels.commands.base import CommandsBase, next_digest_line
from bot.channels.commands.parsing import whole_number
from bot.channels.timing import next_digest_at, parse_time, parse_zone
from bot.config import MAX_ITEMS
from bot.errors import BadInput
from bot.models import Caller, ChannelRef, Reply
from bot.store import channels as channel_store
from bot.store.channels import Channel, ChannelDefaults
from bot.summarise.factory import llm_configured

SETTING_KEYS = ("time", "timezone", "max_items", "summariser", "digest")


class SettingsCommands(CommandsBase):
    async def settings(
        self, where: ChannelRef, caller: Caller, changes: Mapping[str, str]
    ) -> Reply:
        """Show the channel's settings, or change them (all valid, or nothing changes)."""

        async def work() -> Reply:
            if not changes:
                channel = await self._channel(where)
                return _settings_reply(channel, self._defaults())
            self._require_manage(caller)
            values = _validate_settings(changes)
            if values.get("summariser") == "llm" and not llm_configured(self.config):
                # Accepting it would only print "LLM unavailable" under every item.
                raise BadInput(
                    "summariser=llm needs an LLM and no LLM is configured for this bot; use "
                    "auto (the LLM once the operator sets one up) or extractive."
                )
            await self._ensure_channel(where)
            now = self.clock()
            async with self.db.write() as session:
                current = await channel_store.find_channel(session, where)
                assert current is not None
                changed = replace(current, **values)
                following = (
                    next_digest_at(
                        now, parse_time(changed.digest_time), parse_zone(changed.timezone)
                    )
                    if changed.digest_enabled
                    else None
                )
                changed = replace(changed, next_digest_at=following)
                await channel_store.save_settings(session, changed)
            reply = _settings_reply(changed, self._defaults())
            return Reply(text="Settings saved. " + reply.text, lines=reply.lines, ephemeral=True)

        return await self._guarded(work)


def _validate_settings(changes: Mapping[str, str]) -> dict[str, Any]:
    """Channel fields for valid changes; BadInput on the first invalid one (nothing applied)."""
    values: dict[str, Any] = {}
    for key, value in changes.items():
        name = key.strip().lower().replace("-", "_")
        if name == "time":
            at = parse_time(value)
            values["digest_time"] = f"{at.hour:02d}:{at.minute:02d}"
        elif name in ("timezone", "tz", "zone"):
            values["timezone"] = parse_zone(value).key
        elif name == "max_items":
            number = whole_number(value.strip())
            if number is None or not 1 <= number <= MAX_ITEMS:
                raise BadInput(
                    f"the max_items setting must be a whole number from 1 to {MAX_ITEMS}."
                )
            values["max_items"] = number
        elif name == "summariser" or name == "summarizer":
            if value.strip().lower() not in ("auto", "llm", "extractive"):
                raise BadInput("the summariser setting must be auto, llm or extractive.")
            values["summariser"] = value.strip().lower()
        elif name == "digest":
            if value.strip().lower() not in ("on", "off"):
                raise BadInput("the digest setting must be on or off.")
            values["digest_enabled"] = value.strip().lower() == "on"
        else:
            raise BadInput(
                f"unknown setting {key[:30]!r}; the settings are: " + ", ".join(SETTING_KEYS) + "."
            )
    return values


def _settings_reply(channel: Channel | None, defaults: ChannelDefaults) -> Reply:
    lines: tuple[str, ...]
    if channel is None:
        lines = (
            f"time={defaults.digest_time}",
            f"timezone={defaults.timezone}",
            f"max_items={defaults.max_items}",
            f"summariser={defaults.summariser}",
            "digest=on",
        )
        return Reply(text="This channel uses the default settings:", lines=lines, ephemeral=True)
    lines = (
        f"time={channel.digest_time}",
        f"timezone={channel.timezone}",
        f"max_items={channel.max_items}",
        f"summariser={channel.summariser}",
        f"digest={'on' if channel.digest_enabled else 'off'}",
        next_digest_line(channel),
    )
    return Reply(text="This channel's settings:", lines=lines, ephemeral=True)
