"""The Slack `Poster`: every post newsbot makes on Slack, paced per channel.

The outbox delivers digests through it; notices and answers use it too. Posts in one channel
are spaced about a second apart (Slack's pace for chat.postMessage), a refusal becomes a
`PostError` that says whether waiting can help, and each digest part carries message
metadata so an interrupted delivery can find what it already posted.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_bot.client import error_code, response_field, retry_after_s
from adapters.slack_bot.install import NotInstalled, TokenSource
from adapters.slack_bot.payloads import digest_metadata, digest_part
from adapters.slack_bot.render import SlackMessage, escape, render_digest, shorten, text_sections
from bot.channels.delivery import PostError, PostResult
from bot.models import ChannelRef, Digest

log = logging.getLogger(__name__)

PLATFORM = "slack"
# Refusals that retrying cannot fix until someone acts (invite the bot, reinstall, fix code).
# A channel's refusal maps to what someone in the workspace has to do about it.
CHANNEL_REFUSALS = {
    "not_in_channel": "invite newsbot with /invite @newsbot, or unsubscribe the channel",
    "channel_not_found": "the channel was deleted, or it is private: invite newsbot there",
    "is_archived": "the channel is archived; unarchive it to get digests again",
    "restricted_action_read_only_channel": "only admins may post in this channel; let newsbot "
    "post there, or unsubscribe it",
    "restricted_action_thread_only_channel": "this channel takes replies in threads only; "
    "let newsbot post there, or unsubscribe it",
}
# Refusals of every message, not just this one: the channel is archived or gone.
CHANNEL_GONE = frozenset({"channel_not_found", "is_archived"})
AUTH_REFUSALS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "missing_scope",
        "no_permission",
        "restricted_action",
        "team_access_not_granted",
    }
)
MESSAGE_REFUSALS = frozenset({"invalid_blocks", "msg_too_long", "msg_blocks_too_long", "no_text"})
MAX_NOTICE_CHARS = 6000  # two sections: well within a message's blocks budget


class ChannelPacer:
    """Spaces posts in one channel `interval_s` apart (Slack: about 1 message/s/channel)."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._locks: dict[str, asyncio.Lock] = {}
        self._last: dict[str, float] = {}

    @asynccontextmanager
    async def turn(self, channel_key: str) -> AsyncIterator[None]:
        """Wait for this channel's turn; the post made inside counts from when it ends."""
        lock = self._locks.setdefault(channel_key, asyncio.Lock())
        async with lock:
            wait = self._last.get(channel_key, -math.inf) + self.interval_s - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            try:
                yield
            finally:
                self._last[channel_key] = time.monotonic()


@dataclass(frozen=True)
class PrivateNote:
    """Where a message only one person sees goes: their channel (and thread), their id."""

    where: ChannelRef
    user_id: str
    thread_ts: str | None = None
    token: str | None = None


def post_error(where: ChannelRef, error: SlackApiError) -> PostError:
    """Slack's refusal as a PostError: retryable only when waiting can help."""
    code = error_code(error)
    if code in CHANNEL_REFUSALS:
        # Not logged here: the outbox logs the digest's failure once, with the channel, and
        # a command's caller is told directly.
        return PostError(
            f"Slack refused the post ({code}): {CHANNEL_REFUSALS[code]}.",
            retryable=False,
            # An archived or deleted channel takes no message at all: the outbox pauses it.
            channel_unreachable=code in CHANNEL_GONE,
        )
    if code in AUTH_REFUSALS:
        log.error("slack: workspace %s refused newsbot's token (%s)", where.workspace, code)
        return PostError(
            f"Slack refused newsbot's credentials ({code}): reinstall newsbot in this workspace.",
            retryable=False,
        )
    if code in MESSAGE_REFUSALS:
        details = (response_field(error, "response_metadata") or {}).get("messages", [])
        log.error("slack: message refused in %s: %s %s", where.key, code, details)
        return PostError(f"Slack refused the message ({code}).", retryable=False)
    return PostError(
        f"Slack did not take the post ({code}).",
        retryable=True,
        retry_after_s=retry_after_s(error),
    )


class SlackPoster:
    """The Slack `Poster`: digests, notices and answers, paced per channel."""

    platform = PLATFORM

    def __init__(
        self,
        client: AsyncWebClient,
        tokens: TokenSource,
        pacer: ChannelPacer,
        *,
        history_pages: int = 3,
    ) -> None:
        self.client = client
        self.tokens = tokens
        self.pacer = pacer
        self.history_pages = history_pages
        # Parts of a digest found posted by `find_posted` when an earlier attempt stopped
        # half-way: `post_digest` then posts only the missing parts.
        self._partial: dict[str, dict[int, str]] = {}
        # Channels whose last post Slack refused for good (bot removed, archived...): a
        # notice about that failure could not get through either.
        self._refused: set[str] = set()

    async def post_digest(
        self, where: ChannelRef, digest: Digest, *, idempotency_key: str
    ) -> PostResult:
        """Post the digest (several messages if long); the first message is the thread.

        The later messages go back to the core as `part_ids`: a reply under any of them is
        a question about this digest, found in our database without asking Slack.
        """
        messages = render_digest(digest)
        token = await self.token(where)
        posted = self._partial.pop(idempotency_key, {})
        for part, message in enumerate(messages, start=1):
            if part in posted:
                continue
            metadata = digest_metadata(idempotency_key, part, len(messages))
            posted[part] = await self.send(where, message, token=token, metadata=metadata)
        return post_result(posted)

    async def find_posted(self, where: ChannelRef, idempotency_key: str) -> PostResult | None:
        """The digest posted with this key, looked up in the channel's recent history."""
        parts, total = await self._posted_parts(where, idempotency_key)
        if 1 not in parts:
            return None
        if len(parts) < total:
            self._partial[idempotency_key] = parts
            return None
        return post_result(parts)

    async def _posted_parts(
        self, where: ChannelRef, idempotency_key: str
    ) -> tuple[dict[int, str], int]:
        """The ts of each part of the digest posted with this key found in recent history,
        and how many parts it has."""
        token = await self.token(where)
        parts: dict[int, str] = {}
        total = 0
        cursor: str | None = None
        for _ in range(self.history_pages):
            try:
                page = await self.client.conversations_history(
                    token=token,
                    channel=where.channel,
                    include_all_metadata=True,
                    limit=200,
                    cursor=cursor,
                )
            except SlackApiError as error:
                raise self._refusal(where, error) from None
            for message in page.get("messages") or []:
                found = digest_part(message, idempotency_key)
                if found is not None:
                    part, total = found
                    parts[part] = str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                break
        return parts, total

    async def notify(self, where: ChannelRef, text: str) -> None:
        """A plain notice in the channel (e.g. a feed was disabled); skipped while the
        channel refuses newsbot's posts, which the failure's own log line already says."""
        if where.key in self._refused:
            log.debug("slack: no notice in %s, which refuses newsbot's posts", where.key)
            return
        # The text may name a feed by its title, which the feed chooses (any length): cut
        # into sections, and the whole kept within one message.
        shown = shorten(escape(text), MAX_NOTICE_CHARS)
        blocks = tuple(text_sections(shown))
        await self.send(where, SlackMessage(text=shorten(shown, 300), blocks=blocks))

    async def send(
        self,
        where: ChannelRef,
        message: SlackMessage,
        *,
        token: str | None = None,
        thread_ts: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> str:
        """Post one message (in a thread if `thread_ts`); returns its ts. Raises PostError."""
        token = token or await self.token(where)
        async with self.pacer.turn(where.key):
            try:
                response = await self.client.chat_postMessage(
                    token=token,
                    channel=where.channel,
                    text=message.text,
                    blocks=list(message.blocks),
                    thread_ts=thread_ts,
                    unfurl_links=False,
                    unfurl_media=False,
                    metadata=metadata,
                )
            except SlackApiError as error:
                raise self._refusal(where, error) from None
            except (aiohttp.ClientError, TimeoutError) as error:
                raise PostError(
                    f"Slack could not be reached ({type(error).__name__}).",
                    retryable=True,
                ) from None
        self._refused.discard(where.key)
        return str(response["ts"])

    def _refusal(self, where: ChannelRef, error: SlackApiError) -> PostError:
        """Slack's refusal as a PostError, remembering a channel that refuses newsbot."""
        if response_field(error, "error") in CHANNEL_REFUSALS:
            self._refused.add(where.key)
        return post_error(where, error)

    async def send_ephemeral(self, note: PrivateNote, message: SlackMessage) -> None:
        """A message only `note.user_id` sees (chat.postEphemeral). Raises PostError."""
        token = note.token or await self.token(note.where)
        try:
            await self.client.chat_postEphemeral(
                token=token,
                channel=note.where.channel,
                user=note.user_id,
                text=message.text,
                blocks=list(message.blocks),
                thread_ts=note.thread_ts,
            )
        except SlackApiError as error:
            raise post_error(note.where, error) from None

    async def token(self, where: ChannelRef) -> str:
        try:
            return await self.tokens.bot_token(where.workspace)
        except NotInstalled as error:
            raise PostError(str(error), retryable=False) from None


def post_result(parts: Mapping[int, str]) -> PostResult:
    """The first message is the digest's thread; the core remembers the others too."""
    first = parts[1]
    later = tuple(parts[n] for n in sorted(parts) if n > 1)
    return PostResult(message_id=first, thread_id=first, part_ids=later)
