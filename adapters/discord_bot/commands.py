"""The `/news` command group: typed slash options in, one call through the core's port.

Every rule (who may subscribe, what a valid feed or time zone is) lives in the core
(`bot.channels.ports.ChatCommands`), which answers a refusal as an ephemeral Reply; this
module only turns options into arguments and offers autocomplete choices.
"""

from __future__ import annotations

import asyncio
import logging
import zoneinfo

import discord
from discord import app_commands

from adapters.discord_bot.context import channel_of, plain_question
from adapters.discord_bot.interactions import run_command
from adapters.discord_bot.text import ELLIPSIS, cut
from bot.channels.ports import ChatCommands
from bot.config import MAX_ITEMS
from bot.feeds.urls import display_url

log = logging.getLogger(__name__)

# Autocomplete cannot be deferred: an answer after 3 s is lost, so a slow database gets none.
AUTOCOMPLETE_WAIT_S = 2.0
CHOICE_LIMIT = 100  # Discord: a choice's name and value hold at most 100 characters
CHOICES_SHOWN = 25  # and a member is offered at most 25 of them

SUMMARISER_CHOICES = [
    app_commands.Choice(name="auto (LLM when available, extractive otherwise)", value="auto"),
    app_commands.Choice(name="llm", value="llm"),
    app_commands.Choice(name="extractive (quotes sentences, no model)", value="extractive"),
]
DIGEST_CHOICES = [
    app_commands.Choice(name="on", value="on"),
    app_commands.Choice(name="off", value="off"),
]


def split_words(text: str | None) -> tuple[str, ...]:
    """ "a, b c" -> ("a", "b c"): comma-separated filter words from a slash option."""
    return tuple(word.strip() for word in (text or "").split(",") if word.strip())


def choice(value: str) -> app_commands.Choice[str]:
    """An autocomplete choice, its name shortened to Discord's 100 characters."""
    name = value if len(value) <= CHOICE_LIMIT else cut(value, CHOICE_LIMIT - 1) + ELLIPSIS
    return app_commands.Choice(name=name, value=value)


@app_commands.guild_only()
class NewsCommands(app_commands.Group):
    """`/news ...`: each subcommand defers at once, then calls the core and shows its Reply."""

    def __init__(self, core: ChatCommands) -> None:
        super().__init__(name="news", description="Neutral news digests that name their sources")
        self._core = core
        self._zones = sorted(zoneinfo.available_timezones())

    # Discord ignores default_permissions on subcommands; it documents the intent here, and
    # the real check is the core's, fed by `caller_of` on every call.
    @app_commands.command(
        name="subscribe", description="Subscribe this channel to a feed, OPML or topic"
    )
    @app_commands.describe(
        target="A feed URL, an OPML URL, or topic: WORDS (e.g. topic: climate policy)",
        include="Only stories with one of these words (comma-separated)",
        exclude="Skip stories with any of these words (comma-separated)",
    )
    @app_commands.default_permissions(manage_channels=True)
    async def subscribe(
        self,
        interaction: discord.Interaction,
        target: app_commands.Range[str, 1, 2000],
        include: str | None = None,
        exclude: str | None = None,
    ) -> None:
        await run_command(
            interaction,
            lambda where, caller, _: self._core.subscribe(
                where, caller, target, include=split_words(include), exclude=split_words(exclude)
            ),
            ephemeral=True,
        )

    @app_commands.command(
        name="unsubscribe", description="Remove a feed or topic from this channel"
    )
    @app_commands.describe(feed="The feed URL, topic, or its number in /news list")
    @app_commands.default_permissions(manage_channels=True)
    async def unsubscribe(
        self, interaction: discord.Interaction, feed: app_commands.Range[str, 1, 2000]
    ) -> None:
        await run_command(
            interaction,
            lambda where, caller, _: self._core.unsubscribe(where, caller, feed),
            ephemeral=True,
        )

    @unsubscribe.autocomplete("feed")
    async def _unsubscribe_feed(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.feed_choices(interaction, current)

    @app_commands.command(name="list", description="This channel's feeds and topics, with health")
    async def list_(self, interaction: discord.Interaction) -> None:
        await run_command(
            interaction,
            lambda where, caller, _: self._core.list_subscriptions(where),
            ephemeral=True,
        )

    @app_commands.command(name="summary", description="Summarise recent news on a topic or feed")
    @app_commands.describe(
        topic="Keywords to look for", feed="One of this channel's feeds", hours="How far back"
    )
    async def summary(
        self,
        interaction: discord.Interaction,
        topic: app_commands.Range[str, 1, 200] | None = None,
        feed: str | None = None,
        hours: app_commands.Range[int, 1, 336] = 24,
    ) -> None:
        await run_command(
            interaction,
            lambda where, caller, _: self._core.summary(
                where, caller, topic=topic, feed=feed, hours=hours
            ),
            ephemeral=False,
            posted=self._core.digest_posted,
        )

    @summary.autocomplete("feed")
    async def _summary_feed(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.feed_choices(interaction, current)

    @app_commands.command(name="digest", description="Post this channel's digest now")
    async def digest(self, interaction: discord.Interaction) -> None:
        await run_command(
            interaction,
            lambda where, caller, _: self._core.digest_now(where, caller),
            ephemeral=False,
            posted=self._core.digest_posted,
        )

    @app_commands.command(name="ask", description="Ask about the news; answered with sources")
    @app_commands.describe(question="Your question (in a digest's thread: about that digest)")
    async def ask(
        self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 1000]
    ) -> None:
        await run_command(
            interaction,
            lambda where, caller, thread: self._core.ask(
                where, caller, plain_question(question), thread_id=thread
            ),
            ephemeral=False,
        )

    @app_commands.command(
        name="settings", description="Show or change this channel's digest settings"
    )
    @app_commands.describe(
        time="Daily digest time, 24-hour HH:MM",
        timezone="IANA time zone, e.g. Europe/Berlin",
        max_items="Stories per digest",
        summariser="Who writes the summaries",
        digest="Daily digest on or off",
    )
    @app_commands.choices(summariser=SUMMARISER_CHOICES, digest=DIGEST_CHOICES)
    @app_commands.default_permissions(manage_channels=True)
    async def settings(
        self,
        interaction: discord.Interaction,
        time: app_commands.Range[str, 1, 5] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        max_items: app_commands.Range[int, 1, MAX_ITEMS] | None = None,
        summariser: app_commands.Choice[str] | None = None,
        digest: app_commands.Choice[str] | None = None,
    ) -> None:
        given = {
            "time": time,
            "timezone": timezone,
            "max_items": None if max_items is None else str(max_items),
            "summariser": summariser.value if summariser else None,
            "digest": digest.value if digest else None,
        }
        changes = {key: value for key, value in given.items() if value is not None}
        await run_command(
            interaction,
            lambda where, caller, _: self._core.settings(where, caller, changes),
            ephemeral=True,
        )

    @settings.autocomplete("timezone")
    async def _settings_timezone(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return self.timezone_choices(current)

    @app_commands.command(name="status", description="Feed health, next digest, summariser in use")
    @app_commands.describe(article="An article URL: was it in a digest, and if not, why not")
    async def status(
        self,
        interaction: discord.Interaction,
        article: app_commands.Range[str, 1, 2000] | None = None,
    ) -> None:
        await run_command(
            interaction,
            lambda where, caller, _: self._core.status(where, article),
            ephemeral=True,
        )

    # autocomplete

    async def feed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """This channel's feeds matching what was typed so far."""
        where, _ = channel_of(interaction.guild_id, interaction.channel)
        try:
            values = await asyncio.wait_for(
                self._core.feed_choices(where, current), AUTOCOMPLETE_WAIT_S
            )
        except TimeoutError:
            log.warning("discord: feed autocomplete took too long; offered no choices")
            return []
        except Exception:
            log.exception("discord: feed autocomplete failed")
            return []
        # A feed URL with a password is left out: the choice (name and value) goes to the
        # member's client, and any member may open this list. /news list numbers it instead.
        offered = [
            value for value in values if len(value) <= CHOICE_LIMIT and display_url(value) == value
        ]
        return [choice(value) for value in offered][:CHOICES_SHOWN]

    def timezone_choices(self, current: str) -> list[app_commands.Choice[str]]:
        """IANA zones containing what was typed, those starting with it first."""
        needle = current.strip().lower().replace(" ", "_")
        matches = [zone for zone in self._zones if needle in zone.lower()]
        matches.sort(key=lambda zone: (not zone.lower().startswith(needle), zone))
        return [choice(zone) for zone in matches[:CHOICES_SHOWN]]
