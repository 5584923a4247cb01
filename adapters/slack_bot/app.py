"""Slack adapter (slack-bolt, async): `/news`, Block Kit digests, answers in digest threads.

It only translates: a slash command or a message becomes a core command call
(`Commands.execute` / `Commands.ask`), and the `Reply` or `Digest` that comes back becomes
Block Kit (`adapters.slack_render`). Permissions, validation and limits live in the core;
the adapter's one decision is who counts as a manager, computed from Slack on every call.

Shape of the app:
- `/news ...` is acknowledged at once (Slack allows 3 s) and run in a bolt lazy listener.
- Every post goes through one `SlackPoster`: the `Poster` the outbox worker delivers
  digests with, paced to about one message per second per channel, on an `AsyncWebClient`
  that waits out 429s (`AsyncRateLimitErrorRetryHandler`).
- Socket Mode (an `xapp-` token, no public URL) or HTTP mode (aiohttp; bolt checks the
  request signature and its 5-minute window); one bot token, or OAuth installs into many
  workspaces stored in our database (`adapters.slack_install`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_install import (
    NotInstalled,
    OAuthSetup,
    TokenSource,
    is_multi_workspace,
    oauth_setup,
    token_source,
)
from adapters.slack_render import (
    SlackMessage,
    escape,
    render_digest,
    render_reply,
    shorten,
    text_sections,
)
from bot.app import App
from bot.channels.delivery import PostError, PostResult
from bot.config import Settings, SlackSettings
from bot.errors import ConfigError, NewsbotError
from bot.models import Caller, ChannelRef, Digest, Reply

log = logging.getLogger(__name__)

PLATFORM = "slack"
DIGEST_EVENT_TYPE = "newsbot_digest"  # message metadata that marks our digest posts
# Subcommands that may take a while: acknowledged with a short "working on it" note.
SLOW_SUBCOMMANDS = frozenset({"subscribe", "summary", "digest", "ask"})
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
_MENTION = re.compile(r"<@[^>|\s]+(?:\|[^>]*)?>")
_SLACK_TOKEN = re.compile(r"<([^<>]+)>")
SOCKET_CONNECT_TIMEOUT_S = 30.0
TAKEN_MEMORY = 2000  # questions remembered to answer a re-sent event only once
MAX_NOTICE_CHARS = 6000  # two sections: well within a message's blocks budget
# The longest Retry-After waited out inside a call; longer ones are retried by the outbox.
MAX_RATE_LIMIT_WAIT_S = 30.0
# Slack takes up to 5 messages through one command's response_url ("up to five times within
# 30 minutes"); it drops later ones without telling the user.
RESPONSE_URL_USES = 5
GENERIC_FAILURE = "Something went wrong on newsbot's side; the error was logged. Please try again."


class CommandRunner(Protocol):
    """The part of the core `Commands` the Slack adapter calls."""

    async def execute(
        self, where: ChannelRef, caller: Caller, text: str, *, thread_id: str | None = None
    ) -> Reply: ...

    async def ask(
        self, where: ChannelRef, caller: Caller, question: str, *, thread_id: str | None = None
    ) -> Reply: ...


# --- posting -------------------------------------------------------------------------------


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


def digest_metadata(key: str, part: int, parts: int) -> dict[str, Any]:
    """Message metadata that lets `find_posted` recognise a digest post after a crash."""
    payload: dict[str, Any] = {"key": key, "part": part, "parts": parts}
    return {"event_type": DIGEST_EVENT_TYPE, "event_payload": payload}


def post_error(where: ChannelRef, error: SlackApiError) -> PostError:
    """Slack's refusal as a PostError: retryable only when waiting can help."""
    code = str(_response_field(error, "error") or "unknown_error")
    if code in CHANNEL_REFUSALS:
        # Not logged here: the outbox logs the digest's failure once, with the channel, and
        # a command's caller is told directly.
        return PostError(
            f"Slack refused the post ({code}): {CHANNEL_REFUSALS[code]}.", retryable=False
        )
    if code in AUTH_REFUSALS:
        log.error("slack: workspace %s refused newsbot's token (%s)", where.workspace, code)
        return PostError(
            f"Slack refused newsbot's credentials ({code}): reinstall newsbot in this workspace.",
            retryable=False,
        )
    if code in MESSAGE_REFUSALS:
        details = (_response_field(error, "response_metadata") or {}).get("messages", [])
        log.error("slack: message refused in %s: %s %s", where.key, code, details)
        return PostError(f"Slack refused the message ({code}).", retryable=False)
    return PostError(
        f"Slack did not take the post ({code}).",
        retryable=True,
        retry_after_s=_retry_after_s(error),
    )


def _response_field(error: SlackApiError, key: str) -> Any:
    # An unreadable body leaves slack_sdk's raw aiohttp response (or bytes) here.
    try:
        return error.response.get(key)
    except (AttributeError, ValueError):
        return None


def _retry_after_s(error: SlackApiError) -> float | None:
    return _retry_after_header(getattr(error.response, "headers", None) or {})


def _retry_after_header(headers: Mapping[str, Any]) -> float | None:
    value = next((v for k, v in headers.items() if str(k).lower() == "retry-after"), None)
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


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
        return _post_result(posted)

    async def find_posted(self, where: ChannelRef, idempotency_key: str) -> PostResult | None:
        """The digest posted with this key, looked up in the channel's recent history."""
        parts, total = await self._posted_parts(where, idempotency_key)
        if 1 not in parts:
            return None
        if len(parts) < total:
            self._partial[idempotency_key] = parts
            return None
        return _post_result(parts)

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
                found = _digest_part(message, idempotency_key)
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
        if _response_field(error, "error") in CHANNEL_REFUSALS:
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


@dataclass(frozen=True)
class PrivateNote:
    """Where a message only one person sees goes: their channel (and thread), their id."""

    where: ChannelRef
    user_id: str
    thread_ts: str | None = None
    token: str | None = None


def _digest_payload(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """The metadata payload of one of our digest posts; None for any other message."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload")
    if metadata.get("event_type") != DIGEST_EVENT_TYPE or not isinstance(payload, dict):
        return None
    return payload


def _post_result(parts: Mapping[int, str]) -> PostResult:
    """The first message is the digest's thread; the core remembers the others too."""
    first = parts[1]
    later = tuple(parts[n] for n in sorted(parts) if n > 1)
    return PostResult(message_id=first, thread_id=first, part_ids=later)


def _digest_part(message: Mapping[str, Any], key: str) -> tuple[int, int] | None:
    """(part, parts) when `message` is part of the digest posted with `key`."""
    payload = _digest_payload(message)
    if payload is None or payload.get("key") != key or "ts" not in message:
        return None
    try:
        return int(payload.get("part", 1)), int(payload.get("parts", 1))
    except (TypeError, ValueError):  # someone else's metadata of the same name
        return None


# --- who may manage ------------------------------------------------------------------------


async def caller_can_manage(
    client: AsyncWebClient, user_id: str, admin_usergroup: str | None
) -> bool:
    """Workspace admins and owners, and members of the configured user group."""
    try:
        info = await client.users_info(user=user_id)
    except SlackApiError as error:
        log.warning("slack: users.info for %s failed: %s", user_id, error.response.get("error"))
        return False
    user = info.get("user") or {}
    if user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"):
        return True
    if not admin_usergroup:
        return False
    try:
        members = await client.usergroups_users_list(usergroup=admin_usergroup)
    except SlackApiError as error:
        log.warning(
            "slack: usergroups.users.list %s failed: %s",
            admin_usergroup,
            error.response.get("error"),
        )
        return False
    return user_id in (members.get("users") or [])


def question_text(text: str) -> str:
    """A message's text as plain text, without the @-mentions in it (the bot's own too)."""
    return plain_text_of(_MENTION.sub(" ", text))


def plain_text_of(slack_text: str) -> str:
    """Slack's message/command text format as the plain text the user typed.

    Slack sends links as `<URL>` or `<URL|label>` (the URL is what the user meant, e.g. a
    feed to subscribe to), channels as `<#C123|name>`, specials as `<!here>`, and escapes
    `&`, `<`, `>` as entities (`?a=1&amp;b=2`). Whitespace runs become one space.
    """

    def token(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if target.startswith("!"):  # <!here>, <!subteam^S1|@editors>, <!date^...|fallback>
            return label or "@" + target[1:].split("^")[0]
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith("mailto:"):
            return label or target.removeprefix("mailto:")
        return target  # a link: the URL itself

    text = _SLACK_TOKEN.sub(token, slack_text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())


# --- listeners -----------------------------------------------------------------------------


class SlackListeners:
    """Bolt listeners: each translates one Slack request into one core call and back."""

    def __init__(self, commands: CommandRunner, poster: SlackPoster, slack: SlackSettings):
        self.commands = commands
        self.poster = poster
        self.admin_usergroup = slack.admin_usergroup
        self._in_flight: set[asyncio.Task[Any]] = set()
        # (channel, ts) of the latest questions taken: Slack re-sends an event it thinks was
        # not acknowledged in time, and a question must be answered once.
        self._taken: dict[tuple[str, str], None] = {}

    @asynccontextmanager
    async def _tracked(self) -> AsyncIterator[None]:
        """Count this request's work as in flight, so shutdown can let it finish."""
        task = asyncio.current_task()
        if task is not None:
            self._in_flight.add(task)
        try:
            yield
        finally:
            if task is not None:
                self._in_flight.discard(task)

    async def drain(self, timeout_s: float) -> None:
        """Wait (up to `timeout_s`) for commands and answers still running, then cancel them."""
        pending = {t for t in self._in_flight if t is not asyncio.current_task()}
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=timeout_s)
        for task in late:
            task.cancel()
        if late:
            log.warning("slack: %d request(s) still running at shutdown were cancelled", len(late))

    def register(self, app: AsyncApp) -> None:
        app.command("/news")(ack=self.ack_news, lazy=[self.run_news])
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.error(self.on_error)

    async def ack_news(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        """Answer Slack within its 3 s; the command itself runs in `run_news`."""
        words = plain_text_of(str(command.get("text") or "")).split()
        if words and words[0].lower() in SLOW_SUBCOMMANDS:
            await ack(text=f"Working on `/news {escape(words[0].lower())}`…")
        else:
            await ack()

    async def run_news(
        self,
        command: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        """Run `/news TEXT` in the core and show the reply."""
        where = ChannelRef(PLATFORM, str(command["team_id"]), str(command["channel_id"]))
        async with self._tracked():
            await self._run_news(where, command, client, respond, context)

    async def _run_news(
        self,
        where: ChannelRef,
        command: dict[str, Any],
        client: AsyncWebClient,
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        try:
            user_id = str(command["user_id"])
            caller = Caller(
                user_id=user_id,
                can_manage=await caller_can_manage(client, user_id, self.admin_usergroup),
                display_name=str(command.get("user_name") or ""),
            )
            text = plain_text_of(str(command.get("text") or ""))
            reply = await self.commands.execute(where, caller, text)
            await self.show_command_reply(where, reply, respond, token=context.bot_token)
        except Exception as error:
            await self.show_failure(error, respond=respond)

    async def show_command_reply(
        self, where: ChannelRef, reply: Reply, respond: AsyncRespond, *, token: str | None
    ) -> None:
        """A digest goes to the channel (it becomes a thread for questions); the rest goes
        back through the command's response_url, ephemeral when the core says so."""
        if reply.digest is not None and reply.ok and not reply.ephemeral:
            messages = render_digest(reply.digest)
            posted = 0
            try:
                for message in messages:
                    await self.poster.send(where, message, token=token)
                    posted += 1
                return
            except PostError as error:
                # Not in the channel, or Slack busy: the caller still gets the digest, or
                # what the channel did not get of it.
                reason = "Slack did not accept the post just now." if error.retryable else error
                what = "the rest of the digest" if posted else "the digest"
                note = Reply(text=f"{reason} Here is {what}, visible only to you.")
                rest = (
                    "Run /news digest again in a moment."
                    if error.retryable
                    else "To see it all, invite newsbot to this channel with /invite @newsbot."
                )
                shown = [*render_reply(note), *messages[posted:]]
                await self.respond(respond, shown, True, rest=rest)
                return
        await self.respond(respond, render_reply(reply), reply.ephemeral or not reply.ok)

    @staticmethod
    async def respond(
        respond: AsyncRespond, messages: list[SlackMessage], ephemeral: bool, *, rest: str = ""
    ) -> None:
        """Send `messages` through the command's response_url. Slack takes only
        RESPONSE_URL_USES there and drops later ones silently, so a longer reply ends with
        a note saying what did not fit, and `rest`: how to see it."""
        if len(messages) > RESPONSE_URL_USES:
            kept = messages[: RESPONSE_URL_USES - 1]
            left = len(messages) - len(kept)
            note = Reply(
                text=f"{left} more messages did not fit: Slack lets newsbot answer a command "
                f"with at most {RESPONSE_URL_USES} messages. {rest}".strip()
            )
            messages = [*kept, *render_reply(note)]
        for message in messages:
            await respond(
                text=message.text,
                blocks=list(message.blocks),
                response_type="ephemeral" if ephemeral else "in_channel",
                replace_original=False,
                unfurl_links=False,
                unfurl_media=False,
            )

    async def on_mention(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """`@newsbot question`: answered in the thread (a digest's thread gives context)."""
        thread_ts = event.get("thread_ts")
        await self.answer(event, context, thread_id=str(thread_ts) if thread_ts else None)

    async def on_message(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        """A plain reply in a thread under one of our messages is a question too."""
        thread_ts = event.get("thread_ts")
        # Plain user messages only ("also send to channel" replies too): no edits, joins, bots.
        if event.get("subtype") not in (None, "thread_broadcast"):
            return
        if event.get("bot_id") or not thread_ts:
            return
        if thread_ts == event.get("ts") or event.get("parent_user_id") != context.bot_user_id:
            return
        if f"<@{context.bot_user_id}" in str(event.get("text") or ""):
            return  # it mentions us: the app_mention listener answers it
        await self.answer(event, context, thread_id=str(thread_ts))

    async def answer(
        self, event: dict[str, Any], context: AsyncBoltContext, *, thread_id: str | None
    ) -> None:
        """Ask the core; post the answer in the thread (privately when the reply says so)."""
        if not self._take_once(str(event.get("channel")), str(event.get("ts"))):
            log.debug("slack: message %s delivered again; already answered", event.get("ts"))
            return
        async with self._tracked():
            await self._answer(event, context, thread_id=thread_id)

    def _take_once(self, channel: str, ts: str) -> bool:
        """True the first time this message is seen (among the last TAKEN_MEMORY)."""
        key = (channel, ts)
        if key in self._taken:
            return False
        self._taken[key] = None
        if len(self._taken) > TAKEN_MEMORY:
            del self._taken[next(iter(self._taken))]  # dicts keep insertion order
        return True

    async def _answer(
        self, event: dict[str, Any], context: AsyncBoltContext, *, thread_id: str | None
    ) -> None:
        team = str(context.team_id or event.get("team") or "")
        where = ChannelRef(PLATFORM, team, str(event["channel"]))
        reply_in = thread_id or str(event["ts"])
        user = str(event.get("user") or "")
        private = PrivateNote(where, user, reply_in, context.bot_token)
        try:
            question = question_text(str(event.get("text") or ""))
            reply = await self.commands.ask(where, Caller(user), question, thread_id=thread_id)
            for message in render_reply(reply):
                if reply.ephemeral:  # e.g. "ask a question": for the asker only
                    await self.poster.send_ephemeral(private, message)
                else:
                    await self.poster.send(where, message, token=private.token, thread_ts=reply_in)
        except Exception as error:
            await self.show_failure(error, private=private)

    async def show_failure(
        self,
        error: Exception,
        *,
        respond: AsyncRespond | None = None,
        private: PrivateNote | None = None,
    ) -> None:
        """The one place errors meet users: our own errors say what to do; bugs are logged."""
        if isinstance(error, NewsbotError | PostError):
            text = str(error)
            log.warning("slack: command failed: %s", text)
            if isinstance(error, PostError) and error.retryable:
                # Only digests are queued and retried; an answer or reply is not.
                text += " Please try again in a minute."
        else:
            text = GENERIC_FAILURE
            log.exception("slack: unexpected error while handling a request")
        message = render_reply(Reply(text=text, ok=False, ephemeral=True))
        with suppress(Exception):  # the failure report itself may fail; the log has it
            if respond is not None:
                await self.respond(respond, message, True)
            elif private is not None:
                await self.poster.send_ephemeral(private, message[0])

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack: bolt could not handle a %s request: %r", body.get("type"), error)


# --- the adapter ---------------------------------------------------------------------------


class ConnectionRetryExceptPosts(AsyncConnectionErrorRetryHandler):
    """Retries calls whose connection dropped, except chat.postMessage: Slack may already
    have posted the message when the connection dropped, and the call has no idempotency
    key, so a blind retry could post twice. The outbox retries it instead, after asking
    `find_posted`."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if request.url.rstrip("/").endswith("/chat.postMessage"):
            return False
        return await super()._can_retry_async(
            state=state, request=request, response=response, error=error
        )


class RateLimitRetryShortWaits(AsyncRateLimitErrorRetryHandler):
    """Waits out a 429 only when Slack asks for a short wait (a whole number of seconds up to
    MAX_RATE_LIMIT_WAIT_S). A longer one goes back to the caller: the outbox schedules the
    digest for then, instead of a worker and the channel's pacer sleeping for an hour."""

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = _retry_after_header(response.headers)
        # slack_sdk sleeps int(Retry-After): anything else would raise inside it.
        return wait is None or (wait.is_integer() and 0 <= wait <= MAX_RATE_LIMIT_WAIT_S)


def make_web_client(slack: SlackSettings, *, token: str | None) -> AsyncWebClient:
    """A Web API client that waits out short 429s (Retry-After; nothing was posted) and
    retries dropped connections of every call but chat.postMessage."""
    return AsyncWebClient(
        token=token,
        base_url=slack.api_url,
        retry_handlers=[
            ConnectionRetryExceptPosts(),
            RateLimitRetryShortWaits(max_retry_count=slack.rate_limit_retries),
        ],
    )


def check_settings(slack: SlackSettings) -> None:
    """Refuse settings that cannot work, with one sentence naming the fix."""
    if slack.mode == "socket":
        token = slack.app_token.get_secret_value() if slack.app_token else ""
        if not token.startswith("xapp-"):
            raise ConfigError(
                "Slack Socket Mode needs an app-level token starting with xapp- in "
                'NEWSBOT_SLACK__APP_TOKEN (or set slack.mode = "http").'
            )
    needs_http = slack.mode == "http" or is_multi_workspace(slack)
    if needs_http and not slack.signing_secret:
        raise ConfigError(
            "Slack HTTP mode and OAuth installs need NEWSBOT_SLACK__SIGNING_SECRET to verify "
            "requests; copy it from the app's Basic Information page."
        )


class SlackAdapter:
    """newsbot on Slack: bolt app, poster, and the Socket Mode or HTTP connection."""

    def __init__(
        self, app: App, settings: Settings, *, commands: CommandRunner | None = None
    ) -> None:
        """`commands` defaults to the app's shared `Commands` (tests may pass others)."""
        slack = settings.slack
        check_settings(slack)
        self.settings = slack
        self.oauth: OAuthSetup | None = (
            oauth_setup(slack, app.db.engine) if is_multi_workspace(slack) else None
        )
        tokens = token_source(slack, self.oauth)
        single_token = None if self.oauth else slack.bot_token
        self.client = make_web_client(
            slack, token=single_token.get_secret_value() if single_token else None
        )
        self.poster = SlackPoster(self.client, tokens, ChannelPacer(slack.post_interval_s))
        secret = slack.signing_secret.get_secret_value() if slack.signing_secret else ""
        self.bolt = AsyncApp(
            client=self.client,
            signing_secret=secret,
            oauth_settings=self.oauth.settings if self.oauth else None,
            logger=logging.getLogger("newsbot.slack.bolt"),
        )
        self.listeners = SlackListeners(commands or app.commands, self.poster, slack)
        self.listeners.register(self.bolt)
        if self.oauth is not None:
            # app_uninstalled / tokens_revoked delete that workspace's stored installation.
            self.bolt.enable_token_revocation_listeners()
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self.http_port = 0

    async def start(self) -> None:
        """Check the tokens with Slack, create the OAuth tables if needed, then connect
        (Socket Mode) and/or listen (HTTP). Raises NewsbotError with one sentence when Slack
        refuses a token or cannot be reached, instead of retrying forever."""
        try:
            if self.oauth is not None:
                await self.oauth.create_tables()
            else:
                await self._check_bot_token()
            if self.settings.mode == "http" or self.oauth is not None:
                await self._start_http()
            if self.settings.mode == "socket":
                await self._connect_socket()
        except BaseException:
            await self.close(drain_s=0)  # nothing half-started is left listening
            raise

    async def _check_bot_token(self) -> None:
        try:
            auth = await self.client.auth_test()
        except SlackApiError as error:
            raise ConfigError(
                f"Slack refused NEWSBOT_SLACK__BOT_TOKEN ({_response_field(error, 'error')}); "
                "copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page."
            ) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise NewsbotError(self._unreachable(error)) from None
        log.info("slack: bot %s in workspace %s", auth.get("user_id"), auth.get("team_id"))

    async def _connect_socket(self) -> None:
        app_token = self.settings.app_token.get_secret_value() if self.settings.app_token else ""
        try:
            # Asked here so a refused token is one clear error; slack_sdk would retry forever.
            opened = await self.client.apps_connections_open(app_token=app_token)
        except SlackApiError as error:
            raise ConfigError(
                f"Slack refused NEWSBOT_SLACK__APP_TOKEN ({_response_field(error, 'error')}); "
                "create an app-level token with connections:write and enable Socket Mode."
            ) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise NewsbotError(self._unreachable(error)) from None
        handler = AsyncSocketModeHandler(self.bolt, app_token)
        handler.client.wss_uri = str(opened["url"])
        try:
            await asyncio.wait_for(handler.connect_async(), SOCKET_CONNECT_TIMEOUT_S)  # type: ignore[no-untyped-call]
        except TimeoutError:
            await handler.close_async()  # type: ignore[no-untyped-call]
            raise NewsbotError(
                "Slack's Socket Mode connection did not open within "
                f"{SOCKET_CONNECT_TIMEOUT_S:.0f} s; check that this machine can reach Slack."
            ) from None
        self._socket = handler
        log.info("slack: connected in Socket Mode")

    def _unreachable(self, error: BaseException) -> str:
        return (
            f"Slack could not be reached at {self.settings.api_url} ({type(error).__name__}); "
            "check the network, or slack.api_url."
        )

    async def close(self, *, drain_s: float = 10.0) -> None:
        """Stop taking requests, let running ones finish (up to `drain_s`), disconnect.

        Safe to call twice or after a failed start."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.listeners.drain(drain_s)

    def web_app(self) -> web.Application:
        """The HTTP endpoints: Slack's events/commands URL, and the OAuth install pages."""
        application = web.Application()
        application.router.add_post(self.settings.events_path, self._handle_post)
        if self.bolt.oauth_flow is not None:
            application.router.add_get(self.bolt.oauth_flow.install_path, self._handle_install)
            application.router.add_get(
                self.bolt.oauth_flow.redirect_uri_path, self._handle_oauth_redirect
            )
        return application

    async def _start_http(self) -> None:
        self._runner = web.AppRunner(self.web_app(), handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings.host, self.settings.port)
        await site.start()
        self.http_port = int(self._runner.addresses[0][1])
        log.info("slack: HTTP endpoints on %s:%d", self.settings.host, self.http_port)

    async def _handle_post(self, request: web.Request) -> web.Response:
        try:
            bolt_request = await to_bolt_request(request)
        except ValueError:
            # bolt parses the body before it checks the signature: anyone can send a body
            # that is not JSON or a form with a JSON `payload`. Slack never does.
            log.warning("slack: refused a request whose body is neither JSON nor a Slack form")
            return web.json_response({"error": "invalid request"}, status=400)
        # bolt verifies X-Slack-Signature and the 5-minute timestamp window here.
        response = await self.bolt.async_dispatch(bolt_request)
        return await to_aiohttp_response(response)

    async def _handle_install(self, request: web.Request) -> web.Response:
        flow = self.bolt.oauth_flow
        assert flow is not None
        response = await flow.handle_installation(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def _handle_oauth_redirect(self, request: web.Request) -> web.Response:
        flow = self.bolt.oauth_flow
        assert flow is not None
        response = await flow.handle_callback(await to_bolt_request(request))
        return await to_aiohttp_response(response)
