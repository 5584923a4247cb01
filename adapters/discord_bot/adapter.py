"""Discord adapter (discord.py): `/news` slash commands, digest posts with threads, answers.

Translation only, in three steps like every adapter: a Discord interaction or mention becomes
a core `Commands` call (with a `ChannelRef` and a `Caller` whose `can_manage` comes from the
member's Manage Channels permission, read on every call), the core's `Reply`/`Digest` becomes
embeds (`adapters.discord_bot.render`), and those are sent. Every rule (who may subscribe, what a
valid feed or time zone is) lives in the core, which answers a refusal as an ephemeral Reply.

Every interaction is deferred before any work, so Discord's 3-second deadline holds however
slow the summariser is; answers follow as edits and follow-ups (valid for 15 minutes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import zoneinfo
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from typing import Literal, Protocol

import aiohttp
import discord
from discord import app_commands

from adapters.discord_bot.render import (
    DiscordMessage,
    idempotency_ref,
    parse_ref_marker,
    part_nonce,
    plain_messages,
    render_digest,
    render_reply,
    thread_name,
)
from bot.channels.commands import MAX_ITEMS
from bot.channels.delivery import Poster, PostError, PostResult
from bot.config import DiscordSettings, Settings
from bot.errors import ConfigError, NewsbotError
from bot.feeds.urls import display_url
from bot.models import Caller, ChannelRef, Digest, Reply

log = logging.getLogger(__name__)

PLATFORM = "discord"
NO_MENTIONS = discord.AllowedMentions.none()
THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440
THREAD_EXISTS = 160004  # Discord error code: a thread was already started from this message
# What the bot needs in a channel to post digests and open their threads.
BOT_NEEDS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    embed_links=True,
    read_message_history=True,
    create_public_threads=True,
    send_messages_in_threads=True,
)
GENERIC_ERROR = "Something went wrong on newsbot's side; it has been logged. Please try again."
# Discord markup for user, role and channel mentions and custom emoji: not words of a question.
MARKUP = re.compile(r"<(?:@[!&]?|#)\d+>|<a?:\w+:\d+>")
# Autocomplete cannot be deferred: an answer after 3 s is lost, so a slow database gets none.
AUTOCOMPLETE_WAIT_S = 2.0


class CommandsLike(Protocol):
    """The part of `bot.channels.commands.Commands` this adapter calls."""

    async def subscribe(
        self,
        where: ChannelRef,
        caller: Caller,
        target: str,
        *,
        include: Sequence[str] = (),
        exclude: Sequence[str] = (),
    ) -> Reply: ...

    async def unsubscribe(self, where: ChannelRef, caller: Caller, target: str) -> Reply: ...

    async def list_subscriptions(self, where: ChannelRef) -> Reply: ...

    async def summary(
        self,
        where: ChannelRef,
        caller: Caller,
        *,
        topic: str | None = None,
        feed: str | None = None,
        hours: int = 24,
    ) -> Reply: ...

    async def digest_now(self, where: ChannelRef, caller: Caller) -> Reply: ...

    async def ask(
        self, where: ChannelRef, caller: Caller, question: str, *, thread_id: str | None = None
    ) -> Reply: ...

    async def settings(
        self, where: ChannelRef, caller: Caller, changes: Mapping[str, str]
    ) -> Reply: ...

    async def status(self, where: ChannelRef, article: str | None = None) -> Reply: ...

    async def feed_choices(self, where: ChannelRef, prefix: str) -> list[str]: ...


class CoreApp(Protocol):
    """What the adapter needs from `bot.app.App`."""

    @property
    def commands(self) -> CommandsLike: ...


# ---- translating Discord -> core -----------------------------------------------------------


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


def plain_question(text: str) -> str:
    """A question as the member reads it: mention and emoji markup removed, spaces tidied."""
    return " ".join(MARKUP.sub(" ", text).split())


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


def split_words(text: str | None) -> tuple[str, ...]:
    """ "a, b c" -> ("a", "b c"): comma-separated filter words from a slash option."""
    return tuple(word.strip() for word in (text or "").split(",") if word.strip())


def choice(value: str) -> app_commands.Choice[str]:
    """An autocomplete choice (Discord: name and value at most 100 characters)."""
    name = value if len(value) <= 100 else value[:99] + "…"
    return app_commands.Choice(name=name, value=value)


# ---- the /news command group ---------------------------------------------------------------


SUMMARISER_CHOICES = [
    app_commands.Choice(name="auto (LLM when available, extractive otherwise)", value="auto"),
    app_commands.Choice(name="llm", value="llm"),
    app_commands.Choice(name="extractive (quotes sentences, no model)", value="extractive"),
]
DIGEST_CHOICES = [
    app_commands.Choice(name="on", value="on"),
    app_commands.Choice(name="off", value="off"),
]


@app_commands.guild_only()
class NewsCommands(app_commands.Group):
    """`/news ...`: each subcommand defers at once, then calls the core and shows its Reply."""

    def __init__(self, adapter: DiscordAdapter) -> None:
        super().__init__(name="news", description="Neutral news digests that name their sources")
        self._adapter = adapter

    # Discord ignores default_permissions on subcommands; it documents the intent here, and
    # the real check is the core's, fed by `caller_of` on every call.
    @app_commands.command(
        name="subscribe", description="Subscribe this channel to a feed, OPML or topic"
    )
    @app_commands.describe(
        target="A feed URL, an OPML URL, or topic keywords",
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
        await self._adapter.run(
            interaction,
            lambda where, caller, _: self._adapter.commands.subscribe(
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
        await self._adapter.run(
            interaction,
            lambda where, caller, _: self._adapter.commands.unsubscribe(where, caller, feed),
            ephemeral=True,
        )

    @unsubscribe.autocomplete("feed")
    async def _unsubscribe_feed(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._adapter.feed_choices(interaction, current)

    @app_commands.command(name="list", description="This channel's feeds and topics, with health")
    async def list_(self, interaction: discord.Interaction) -> None:
        await self._adapter.run(
            interaction,
            lambda where, caller, _: self._adapter.commands.list_subscriptions(where),
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
        await self._adapter.run(
            interaction,
            lambda where, caller, _: self._adapter.commands.summary(
                where, caller, topic=topic, feed=feed, hours=hours
            ),
            ephemeral=False,
        )

    @summary.autocomplete("feed")
    async def _summary_feed(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self._adapter.feed_choices(interaction, current)

    @app_commands.command(name="digest", description="Post this channel's digest now")
    async def digest(self, interaction: discord.Interaction) -> None:
        await self._adapter.run(
            interaction,
            lambda where, caller, _: self._adapter.commands.digest_now(where, caller),
            ephemeral=False,
        )

    @app_commands.command(name="ask", description="Ask about the news; answered with sources")
    @app_commands.describe(question="Your question (in a digest's thread: about that digest)")
    async def ask(
        self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 1000]
    ) -> None:
        await self._adapter.run(
            interaction,
            lambda where, caller, thread: self._adapter.commands.ask(
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
        await self._adapter.run(
            interaction,
            lambda where, caller, _: self._adapter.commands.settings(where, caller, changes),
            ephemeral=True,
        )

    @settings.autocomplete("timezone")
    async def _settings_timezone(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return self._adapter.timezone_choices(current)

    @app_commands.command(name="status", description="Feed health, next digest, summariser in use")
    @app_commands.describe(article="An article URL: was it in a digest, and if not, why not")
    async def status(
        self,
        interaction: discord.Interaction,
        article: app_commands.Range[str, 1, 2000] | None = None,
    ) -> None:
        await self._adapter.run(
            interaction,
            lambda where, caller, _: self._adapter.commands.status(where, article),
            ephemeral=True,
        )


CoreCall = Callable[[ChannelRef, Caller, str | None], Awaitable[Reply]]


# ---- posting digests ---------------------------------------------------------------------


class RequestPacer:
    """Spaces the poster's requests so one process stays under Discord's global limit
    (50 requests/s per bot); discord.py still handles each route's bucket and any 429."""

    def __init__(self, per_second: float) -> None:
        self._interval = 1.0 / per_second
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self._lock:
            now = time.monotonic()
            delay = self._next - now
            self._next = max(now, self._next) + self._interval
        if delay > 0:
            await asyncio.sleep(delay)


def missing_permission(where: ChannelRef, action: str, detail: str) -> PostError:
    """The bot may not post in a channel: one clear log line, and a PostError not worth
    retrying soon (the outbox keeps the digest and tries again much later)."""
    log.error(
        "discord: cannot %s in channel %s of server %s: missing permission (%s). Give "
        "newsbot View Channel, Send Messages, Embed Links, Read Message History and "
        "Create Public Threads there; the digest is kept and retried.",
        action,
        where.channel,
        where.workspace,
        detail,
    )
    return PostError(
        "newsbot lacks permission to post in this channel (it needs Send Messages, "
        "Embed Links and Create Public Threads).",
        retryable=False,
    )


def post_error(error: Exception, where: ChannelRef, action: str) -> PostError:
    """A Discord failure as a PostError for the outbox, with a log line that says what to do."""
    if isinstance(error, discord.Forbidden):
        return missing_permission(where, action, str(error.text or error.status))
    if isinstance(error, discord.NotFound):
        log.error("discord: channel %s is gone or hidden from newsbot", where.channel)
        return PostError(
            "the channel no longer exists or newsbot cannot see it.",
            retryable=False,
            channel_unreachable=True,
        )
    if isinstance(error, discord.RateLimited):
        return PostError(
            f"Discord asked newsbot to wait {error.retry_after:.0f} s.",
            retryable=True,
            retry_after_s=error.retry_after,
        )
    if (
        isinstance(error, discord.HTTPException)
        and 400 <= error.status < 500
        and error.status != 429
    ):
        log.error("discord: %s was rejected (%s %s)", action, error.status, error.text)
        return PostError(f"Discord rejected the post ({error.status}).", retryable=False)
    if isinstance(error, discord.HTTPException) and error.status == 429:
        log.warning("discord: %s is still rate limited after discord.py's retries", action)
        return PostError("Discord kept answering 429 (rate limited).", retryable=True)
    log.warning("discord: %s failed for now: %s", action, error)
    return PostError(f"Discord is unavailable for now ({type(error).__name__}).", retryable=True)


class DiscordPoster:
    """The outbox's Discord side: posts digests (with a thread), finds earlier posts, notifies."""

    platform = PLATFORM

    def __init__(
        self, client: discord.Client, *, history_limit: int = 100, per_second: float = 40.0
    ) -> None:
        self._client = client
        self._history_limit = history_limit
        self._pacer = RequestPacer(per_second)
        # Parts of a multi-message digest already accepted by Discord, by idempotency key,
        # so a retry after a failure halfway posts only the rest.
        self._parts: dict[str, dict[int, discord.Message]] = {}

    async def post_digest(
        self, where: ChannelRef, digest: Digest, *, idempotency_key: str
    ) -> PostResult:
        """Post the digest's messages, open a thread on the first; raises PostError."""
        try:
            channel = await self._channel(where)
            self._check_may_post(channel, where, "post a digest")
            messages = render_digest(digest, key=idempotency_key)
            parts = self._parts.setdefault(idempotency_key, {})
            for number, message in enumerate(messages, start=1):
                if number not in parts:
                    parts[number] = await self._send(
                        channel, message, nonce=part_nonce(idempotency_key, number)
                    )
            thread_id = await self._ensure_thread(parts[1], thread_name(digest))
        except PostError:
            raise
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise post_error(error, where, "post a digest") from error
        self._parts.pop(idempotency_key, None)
        return PostResult(message_id=str(parts[1].id), thread_id=thread_id)

    async def find_posted(self, where: ChannelRef, idempotency_key: str) -> PostResult | None:
        """The earlier post with this key, when all its parts are in the channel's recent
        history (its thread opened if it is missing); else None, remembering any parts found."""
        try:
            channel = await self._channel(where)
            found, total = await self._parts_in_history(channel, idempotency_key)
            if not found:
                return None
            self._parts[idempotency_key] = found
            if set(found) != set(range(1, total + 1)):
                return None
            first = found[1]
            thread_id = await self._ensure_thread(first, _thread_name_from(first))
        except PostError:
            raise
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise post_error(error, where, "read the channel history") from error
        self._parts.pop(idempotency_key, None)
        return PostResult(message_id=str(first.id), thread_id=thread_id)

    async def notify(self, where: ChannelRef, text: str) -> None:
        """A plain notice in the channel (escaped, pings nobody); raises PostError."""
        try:
            channel = await self._channel(where)
            self._check_may_post(channel, where, "send a notice")
            for message in plain_messages(text):
                await self._send(channel, message)
        except PostError:
            raise
        except (discord.DiscordException, aiohttp.ClientError, OSError, TimeoutError) as error:
            raise post_error(error, where, "send a notice") from error

    async def _channel(self, where: ChannelRef) -> discord.abc.Messageable:
        channel_id = int(where.channel)
        channel = self._client.get_channel(channel_id)
        if channel is None and self._left_server(where):
            log.error(
                "discord: newsbot is no longer a member of server %s (removed or banned), so "
                "it cannot post in channel %s; invite it again, or remove the channel's "
                "subscriptions",
                where.workspace,
                where.channel,
            )
            raise PostError(
                "newsbot is no longer a member of this server.",
                retryable=False,
                channel_unreachable=True,
            )
        if channel is None:
            await self._pacer.wait()
            channel = await self._client.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise PostError(f"channel {where.channel} cannot hold messages.", retryable=False)
        return channel

    def _left_server(self, where: ChannelRef) -> bool:
        """Once ready, the client knows every server it is in (an outage keeps the server,
        marked unavailable), so a server it does not know has removed the bot."""
        if not self._client.is_ready() or not where.workspace.isdigit():
            return False
        return self._client.get_guild(int(where.workspace)) is None

    @staticmethod
    def _check_may_post(channel: discord.abc.Messageable, where: ChannelRef, action: str) -> None:
        """Refuse early when the cached permissions already say no: every refused request
        counts towards Discord's limit of 10,000 invalid requests per 10 minutes per IP."""
        if not isinstance(channel, discord.abc.GuildChannel | discord.Thread):
            return
        me = channel.guild.me
        if me is None:
            return
        have = channel.permissions_for(me)
        send = (
            have.send_messages_in_threads
            if isinstance(channel, discord.Thread)
            else have.send_messages
        )
        if not (have.view_channel and send and have.embed_links):
            raise missing_permission(where, action, "known from the channel's permissions")

    async def _send(
        self, channel: discord.abc.Messageable, message: DiscordMessage, *, nonce: str | None = None
    ) -> discord.Message:
        await self._pacer.wait()
        if nonce is None:
            return await channel.send(
                content=message.content or None,
                embeds=list(message.embeds),
                allowed_mentions=NO_MENTIONS,
            )
        # A nonce with enforce_nonce (set by discord.py) makes Discord return the first
        # message instead of posting twice when a retried request had in fact got through.
        return await channel.send(
            content=message.content or None,
            embeds=list(message.embeds),
            allowed_mentions=NO_MENTIONS,
            nonce=nonce,
        )

    async def _parts_in_history(
        self, channel: discord.abc.Messageable, key: str
    ) -> tuple[dict[int, discord.Message], int]:
        me = self._client.user
        ref = idempotency_ref(key)
        found: dict[int, discord.Message] = {}
        total = 0
        await self._pacer.wait()
        async for message in channel.history(limit=self._history_limit):
            if me is None or message.author.id != me.id or not message.embeds:
                continue
            marker = parse_ref_marker(message.embeds[-1].footer.text or "")
            if marker is not None and marker[0] == ref:
                found.setdefault(marker[1], message)
                total = marker[2]
        return found, total

    async def _ensure_thread(self, first: discord.Message, name: str) -> str:
        """The digest's thread id, opening it when needed; "" when the bot may not open one."""
        if first.thread is not None:
            return str(first.thread.id)
        if not self._may_open_thread(first):
            log.warning(
                "discord: posted digest %s but may not open its thread; give newsbot Create "
                "Public Threads so members can ask follow-up questions there",
                first.id,
            )
            return ""
        await self._pacer.wait()
        try:
            thread = await first.create_thread(
                name=name, auto_archive_duration=THREAD_ARCHIVE_MINUTES
            )
        except discord.Forbidden as error:
            log.warning(
                "discord: posted digest %s but cannot open its thread (%s); give newsbot "
                "Create Public Threads so members can ask follow-up questions there",
                first.id,
                error.text or error.status,
            )
            return ""
        except discord.HTTPException as error:
            if error.code == THREAD_EXISTS:  # a thread from a message shares its id
                return str(first.id)
            if not 400 <= error.status < 500 or error.status == 429:
                raise
            # The digest is out; a channel without threads (a voice channel's chat) only
            # loses the thread, which must not fail the post and have it tried again.
            log.warning(
                "discord: posted digest %s but Discord refused its thread (%s)",
                first.id,
                error.text or error.status,
            )
            return ""
        return str(thread.id)

    @staticmethod
    def _may_open_thread(message: discord.Message) -> bool:
        channel = message.channel
        if not isinstance(channel, discord.abc.GuildChannel) or channel.guild.me is None:
            return True  # unknown here: let Discord decide
        return channel.permissions_for(channel.guild.me).create_public_threads


def _thread_name_from(message: discord.Message) -> str:
    title = re.sub(r"[*_\\]", "", message.content.split("\n")[-1].split(" · ")[0])
    return thread_name(
        Digest(
            title=title, period_start=message.created_at, period_end=message.created_at, items=()
        )
    )


# ---- the adapter ----------------------------------------------------------------------------


class DiscordAdapter:
    """newsbot on Discord: slash commands, mentions in threads, and the digest poster."""

    platform = PLATFORM

    def __init__(
        self,
        app: CoreApp,
        settings: Settings,
        *,
        ready_timeout_s: float = 60.0,
    ) -> None:
        self.commands = app.commands
        self._settings: DiscordSettings = settings.discord
        self._ready_timeout_s = ready_timeout_s
        self._zones = sorted(zoneinfo.available_timezones())
        self.client = self._make_client(self._settings)
        self.tree: app_commands.CommandTree[discord.Client] = app_commands.CommandTree(self.client)
        self.tree.on_error = self.on_command_error  # type: ignore[method-assign]
        self.tree.add_command(NewsCommands(self))
        self.client.setup_hook = self._setup_hook  # type: ignore[method-assign]
        self.client.event(self.on_message)
        self.client.event(self.on_ready)
        self.poster: Poster = DiscordPoster(
            self.client,
            history_limit=self._settings.history_scan,
            per_second=self._settings.requests_per_second,
        )
        self._runner: asyncio.Task[None] | None = None

    @staticmethod
    def _make_client(settings: DiscordSettings) -> discord.Client:
        intents = discord.Intents.default()  # guilds + guild messages; no privileged intents
        intents.message_content = settings.message_content_intent
        options = {
            "intents": intents,
            # Nothing newsbot sends may ping anyone, whatever a feed or a model wrote.
            "allowed_mentions": NO_MENTIONS,
            "max_ratelimit_timeout": settings.max_ratelimit_wait_s,
            "guild_ready_timeout": settings.guild_ready_timeout_s,
        }
        if settings.sharded:
            return discord.AutoShardedClient(shard_count=settings.shard_count, **options)  # type: ignore[arg-type]
        return discord.Client(**options)  # type: ignore[arg-type]

    # lifecycle

    async def start(self) -> None:
        """Log in, connect to the gateway and return once Discord reports ready."""
        token = self._settings.token.get_secret_value() if self._settings.token else ""
        if not token:
            raise ConfigError("Discord needs a bot token: set NEWSBOT_DISCORD__TOKEN.")
        try:
            await self.client.login(token)
        except discord.LoginFailure:
            await self.client.close()  # login opened the HTTP session
            raise ConfigError(
                "Discord rejected the bot token; check NEWSBOT_DISCORD__TOKEN."
            ) from None
        except (discord.HTTPException, aiohttp.ClientError, OSError) as error:
            await self.client.close()
            raise NewsbotError(f"Discord could not be reached: {error}.") from error
        self._runner = asyncio.create_task(
            self.client.connect(reconnect=True), name="discord-gateway"
        )
        self._runner.add_done_callback(self._log_gateway_end)
        ready = asyncio.create_task(self.client.wait_until_ready())
        done, _ = await asyncio.wait(
            {self._runner, ready},
            timeout=self._ready_timeout_s,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if ready not in done:
            ready.cancel()
            await self._raise_start_failure(done)

    async def _raise_start_failure(self, done: set[asyncio.Task[None]]) -> None:
        error = self._runner.exception() if self._runner in done and self._runner else None
        await self.close()
        if isinstance(error, discord.PrivilegedIntentsRequired):
            raise ConfigError(
                "Discord refused the Message Content intent: enable it for the bot in the "
                "Developer Portal, or set discord.message_content_intent = false."
            ) from None
        if error is not None:
            raise ConfigError(f"Discord connection failed: {error}") from error
        raise ConfigError(f"Discord did not report ready within {self._ready_timeout_s:.0f} s.")

    def _log_gateway_end(self, runner: asyncio.Task[None]) -> None:
        # discord.py reconnects by itself; it only gives up on errors a restart will not fix.
        if runner.cancelled():
            return
        error = runner.exception()
        if error is None and self.client.is_closed():
            return  # a graceful close
        log.error("discord: the gateway connection stopped: %r", error)

    async def close(self) -> None:
        """Graceful shutdown: close the gateway and HTTP session, wait for the runner."""
        await self.client.close()
        if self._runner is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await self._runner
            self._runner = None

    async def _setup_hook(self) -> None:
        if not self._settings.sync_commands:
            return
        try:
            if self._settings.dev_guild_id:
                guild = discord.Object(id=self._settings.dev_guild_id)
                self.tree.copy_global_to(guild=guild)  # guild sync is instant: development
                synced = await self.tree.sync(guild=guild)
                log.info("discord: synced %d commands to guild %s", len(synced), guild.id)
            else:
                synced = await self.tree.sync()  # global: a bulk overwrite, can take a while
                log.info("discord: synced %d global commands", len(synced))
        except discord.Forbidden:
            log.error(
                "discord: cannot register /news commands: invite the bot with the "
                "applications.commands scope"
            )

    async def on_ready(self) -> None:
        user = self.client.user
        log.info("discord: connected as %s to %d servers", user, len(self.client.guilds))
        if not self.client.intents.message_content:
            log.info(
                "discord: the Message Content intent is off: newsbot answers messages that "
                "mention it and /news ask (enough for digest threads)"
            )
        if not self.client.intents.guild_messages:
            log.warning("discord: the Guild Messages intent is off: mentions are not answered")

    # interactions

    async def run(
        self, interaction: discord.Interaction, call: CoreCall, *, ephemeral: bool
    ) -> None:
        """Defer first (the 3-second deadline), then run the core call and show its Reply."""
        await interaction.response.defer(thinking=True, ephemeral=ephemeral)
        where, thread_id = channel_of(interaction.guild_id, interaction.channel)
        reply = await call(where, caller_of(interaction), thread_id)
        note = posting_note(interaction)
        if note:
            reply = replace(reply, text=f"{reply.text}\n\nNote: {note}")
        await self._answer(
            interaction,
            render_reply(reply),
            deferred_ephemeral=ephemeral,
            ephemeral=reply.ephemeral,
        )

    async def _answer(
        self,
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
                await self._followup(interaction, message, ephemeral=True)
            return
        first, *rest = messages
        await interaction.edit_original_response(
            content=first.content or None, embeds=list(first.embeds), allowed_mentions=NO_MENTIONS
        )
        for message in rest:
            await self._followup(interaction, message, ephemeral=private)

    @staticmethod
    async def _followup(
        interaction: discord.Interaction, message: DiscordMessage, *, ephemeral: bool
    ) -> None:
        await interaction.followup.send(
            content=message.content or "",
            embeds=list(message.embeds),
            ephemeral=ephemeral,
            allowed_mentions=NO_MENTIONS,
        )

    async def on_command_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        """The one place errors become a clear, private message (bugs are logged, not shown)."""
        original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        shown = NewsbotError | app_commands.TransformerError | app_commands.CheckFailure
        if isinstance(original, shown):
            text = str(original)
        else:
            log.error("discord: /news command failed", exc_info=original)
            text = GENERIC_ERROR
        try:
            if not interaction.response.is_done():
                await interaction.response.send_message(
                    text, ephemeral=True, allowed_mentions=NO_MENTIONS
                )
            elif not interaction.is_expired():
                # Replace the "thinking" note (which may be public) with a private message.
                with contextlib.suppress(discord.NotFound):
                    await interaction.delete_original_response()
                await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
        except discord.HTTPException as send_error:
            log.warning("discord: could not show an error to the user: %s", send_error)

    async def feed_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Autocomplete: this channel's feeds matching what was typed so far."""
        where, _ = channel_of(interaction.guild_id, interaction.channel)
        try:
            values = await asyncio.wait_for(
                self.commands.feed_choices(where, current), AUTOCOMPLETE_WAIT_S
            )
        except TimeoutError:
            log.warning("discord: feed autocomplete took too long; offered no choices")
            return []
        except Exception:
            log.exception("discord: feed autocomplete failed")
            return []
        # A feed URL with a password is left out: the choice (name and value) goes to the
        # member's client, and any member may open this list. /news list numbers it instead.
        offered = [value for value in values if len(value) <= 100 and display_url(value) == value]
        return [choice(value) for value in offered][:25]

    def timezone_choices(self, current: str) -> list[app_commands.Choice[str]]:
        """Autocomplete: IANA zones containing what was typed (Discord shows at most 25)."""
        needle = current.strip().lower().replace(" ", "_")
        matches = [zone for zone in self._zones if needle in zone.lower()]
        matches.sort(key=lambda zone: (not zone.lower().startswith(needle), zone))
        return [choice(zone) for zone in matches[:25]]

    # mentions

    async def on_message(self, message: discord.Message) -> None:
        """A message mentioning the bot is a question, answered where it was asked."""
        me = self.client.user
        if me is None or message.author.bot or message.guild is None:
            return
        if me.id not in message.raw_mentions:
            return
        if not self._may_send(message.channel):
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
        where, thread_id = channel_of(message.guild.id, message.channel)
        if not question:
            if not message.content:
                log.warning(
                    "discord: a mention arrived without its text; enable the Message Content "
                    "intent or ask with /news ask"
                )
            await self._reply_in_channel(
                message,
                Reply(
                    text="Ask me a question after the mention, or use /news ask.", ephemeral=True
                ),
            )
            return
        # A mention only ever asks a question, which needs no permission.
        caller = Caller(user_id=str(message.author.id), display_name=message.author.display_name)
        try:
            async with message.channel.typing():
                reply = await self.commands.ask(where, caller, question, thread_id=thread_id)
        except NewsbotError as error:
            reply = Reply(text=str(error), ok=False)
        except Exception:
            log.exception("discord: answering a mention failed")
            reply = Reply(text=GENERIC_ERROR, ok=False)
        await self._reply_in_channel(message, reply)

    async def _reply_in_channel(self, message: discord.Message, reply: Reply) -> None:
        # Discord refuses a reply (a message reference) without Read Message History; then
        # the answer goes out as a plain message in the same place.
        reference = (
            message.to_reference(fail_if_not_exists=False)
            if self._may_read_history(message.channel)
            else None
        )
        try:
            for part in render_reply(reply):
                await message.channel.send(
                    content=part.content or None,
                    embeds=list(part.embeds),
                    allowed_mentions=NO_MENTIONS,
                    reference=reference,  # type: ignore[arg-type]  # None is the default
                    mention_author=False,
                )
        except discord.Forbidden:
            log.error(
                "discord: cannot answer in channel %s: missing Send Messages (in Threads)",
                message.channel.id,
            )
        except discord.HTTPException as error:
            log.warning("discord: answer in channel %s failed: %s", message.channel.id, error)

    @staticmethod
    def _may_send(channel: object) -> bool:
        have = bot_permissions_in(channel)
        if have is None:
            return True  # unknown here: let Discord decide
        if isinstance(channel, discord.Thread):
            return have.send_messages_in_threads
        return have.send_messages

    @staticmethod
    def _may_read_history(channel: object) -> bool:
        have = bot_permissions_in(channel)
        return have is None or have.read_message_history
