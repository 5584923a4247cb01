"""The outbox's Discord side: posts a stored digest exactly once, with a thread for questions.

Each message of a digest carries a nonce (Discord hands back the first message instead of
posting twice when a retried request had in fact got through) and, in its last footer, a
marker that lets a later attempt find the parts already posted. Nothing posted may ping
anyone. Failures become `PostError`s the outbox understands: retry soon, retry much later,
or the channel is gone.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import Any, Literal

import aiohttp
import discord

from adapters.discord_bot.context import NO_MENTIONS, PLATFORM
from adapters.discord_bot.permissions import may_open_thread, may_post_embeds
from adapters.discord_bot.render import (
    DiscordMessage,
    idempotency_ref,
    parse_ref_marker,
    part_nonce,
    plain_messages,
    render_digest,
    thread_name,
)
from bot.channels.delivery import PostError, PostResult
from bot.models import ChannelRef, Digest

log = logging.getLogger(__name__)

THREAD_ARCHIVE_MINUTES: Literal[1440] = 1440
THREAD_EXISTS = 160004  # Discord error code: a thread was already started from this message


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
        if not may_post_embeds(channel):
            raise missing_permission(where, action, "known from the channel's permissions")

    async def _send(
        self, channel: discord.abc.Messageable, message: DiscordMessage, *, nonce: str | None = None
    ) -> discord.Message:
        await self._pacer.wait()
        # A nonce with enforce_nonce (set by discord.py) makes Discord return the first
        # message instead of posting twice when a retried request had in fact got through.
        once: dict[str, Any] = {} if nonce is None else {"nonce": nonce}
        return await channel.send(
            content=message.content or None,
            embeds=list(message.embeds),
            allowed_mentions=NO_MENTIONS,
            **once,
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
        if not may_open_thread(first):
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


def _thread_name_from(message: discord.Message) -> str:
    title = re.sub(r"[*_\\]", "", message.content.split("\n")[-1].split(" · ")[0])
    return thread_name(
        Digest(
            title=title, period_start=message.created_at, period_end=message.created_at, items=()
        )
    )
