"""Bolt listeners: each turns one Slack request into one core call and the reply back.

- `/news ...` is acknowledged at once (Slack allows 3 s) and run in a bolt lazy listener;
  `subscribe` first checks that newsbot can post in the channel.
- `@newsbot question`, and a plain reply in a thread under one of newsbot's messages, are
  questions; a digest's thread (daily, or posted on request) gives the core its context.
- A direct message is a command when it looks like one, else a question.
- Every failure meets the user in `show_failure`, the adapter's one error handler.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_bot.payloads import (
    MessageEvent,
    SlashCommand,
    command_words,
    is_direct_message,
    looks_like_command,
    plain_text_of,
    question_text,
)
from adapters.slack_bot.permissions import caller_can_manage, posting_refusal
from adapters.slack_bot.poster import PLATFORM, PrivateNote, SlackPoster
from adapters.slack_bot.render import SlackMessage, escape, render_digest, render_reply
from bot.channels.delivery import PostError
from bot.channels.ports import ChatCommands
from bot.config import SlackSettings
from bot.errors import NewsbotError, user_message
from bot.models import Caller, ChannelRef, Digest, Reply

log = logging.getLogger(__name__)

# Subcommands that may take a while: acknowledged with a short "working on it" note.
SLOW_SUBCOMMANDS = frozenset({"subscribe", "summary", "digest", "ask"})
TAKEN_MEMORY = 2000  # questions remembered to answer a re-sent event only once
# Slack takes up to 5 messages through one command's response_url ("up to five times within
# 30 minutes"); it drops later ones without telling the user.
RESPONSE_URL_USES = 5


def failure_text(error: Exception) -> str:
    """The one sentence a user sees for a failed request: our own errors say what to do;
    anything else is a bug, logged with its traceback and shown as the generic text."""
    if isinstance(error, PostError):
        log.warning("slack: command failed: %s", error)
        # Only digests are queued and retried; an answer or reply is not.
        return f"{error} Please try again in a minute." if error.retryable else str(error)
    if isinstance(error, NewsbotError):
        log.warning("slack: command failed: %s", error)
    else:
        log.error("slack: unexpected error while handling a request", exc_info=error)
    return user_message(error)


@dataclass(frozen=True)
class Conversation:
    """Where a message to newsbot was written and where its reply goes."""

    where: ChannelRef
    user_id: str
    thread_id: str | None  # the thread it was written in: the core's context
    reply_in: str | None  # the thread the reply goes to; None: the conversation itself
    token: str | None
    dm: bool = False  # newsbot's own DM with this person: nothing there needs hiding

    @property
    def private(self) -> PrivateNote:
        return PrivateNote(self.where, self.user_id, self.reply_in, self.token)


def refused(text: str) -> Reply:
    """A refusal or failure: one sentence, shown only to the person who asked."""
    return Reply(text=text, ok=False, ephemeral=True)


class SlackListeners:
    """Bolt listeners: each translates one Slack request into one core call and back."""

    def __init__(self, commands: ChatCommands, poster: SlackPoster, slack: SlackSettings):
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

    # --- /news ------------------------------------------------------------------------------

    async def ack_news(self, ack: AsyncAck, command: SlashCommand) -> None:
        """Answer Slack within its 3 s; the command itself runs in `run_news`."""
        name, _ = command_words(plain_text_of(str(command.get("text") or "")))
        if name in SLOW_SUBCOMMANDS:
            await ack(text=f"Working on `/news {escape(name)}`…")
        else:
            await ack()

    async def run_news(
        self,
        command: SlashCommand,
        client: AsyncWebClient,
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        """Run `/news TEXT` in the core and show the reply."""
        where = ChannelRef(PLATFORM, str(command["team_id"]), str(command["channel_id"]))
        async with self._tracked():
            try:
                await self._run_news(where, command, client, respond, context)
            except Exception as error:
                await self.show_failure(error, respond=respond)

    async def _run_news(
        self,
        where: ChannelRef,
        command: SlashCommand,
        client: AsyncWebClient,
        respond: AsyncRespond,
        context: AsyncBoltContext,
    ) -> None:
        text = plain_text_of(str(command.get("text") or ""))
        name, target = command_words(text)
        if name == "subscribe" and target:
            # Subscribing where newsbot cannot post would only fail every digest later.
            refusal = await posting_refusal(client, where.channel)
            if refusal is not None:
                await self.respond(respond, render_reply(refused(refusal)), True)
                return
        user_id = str(command["user_id"])
        caller = Caller(
            user_id=user_id,
            can_manage=await caller_can_manage(client, user_id, self.admin_usergroup),
            display_name=str(command.get("user_name") or ""),
        )
        reply = await self.commands.execute(where, caller, text)
        await self.show_command_reply(where, reply, respond, token=context.bot_token)

    async def show_command_reply(
        self, where: ChannelRef, reply: Reply, respond: AsyncRespond, *, token: str | None
    ) -> None:
        """A digest goes to the channel (it becomes a thread for questions); the rest goes
        back through the command's response_url, ephemeral when the core says so."""
        if reply.digest is not None and reply.ok and not reply.ephemeral:
            posted: list[str] = []
            try:
                await self.post_digest(where, reply.digest, token=token, posted=posted)
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
                unposted = render_digest(reply.digest)[len(posted) :]
                shown = [*render_reply(note), *unposted]
                await self.respond(respond, shown, True, rest=rest)
                return
        await self.respond(respond, render_reply(reply), reply.ephemeral or not reply.ok)

    async def post_digest(
        self,
        where: ChannelRef,
        digest: Digest,
        *,
        token: str | None,
        posted: list[str] | None = None,
    ) -> None:
        """Post a digest asked for (`digest`, `summary`) as messages of its own; the ts of
        each message posted is added to `posted`. Raises PostError.

        The core is told where it went, even when Slack refused a later part: a reply under
        any message posted is a question about this digest."""
        posted = [] if posted is None else posted
        try:
            for message in render_digest(digest):
                posted.append(await self.poster.send(where, message, token=token))
        finally:
            if posted:
                await self._remember_post(where, digest, posted)

    async def _remember_post(self, where: ChannelRef, digest: Digest, posted: list[str]) -> None:
        try:
            await self.commands.digest_posted(where, digest, posted)
        except Exception:  # the digest is out; only its thread's context is lost
            log.exception("slack: could not record the digest posted in %s", where.key)

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

    # --- messages: mentions, thread replies, direct messages --------------------------------

    async def on_mention(
        self, event: MessageEvent, context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        """`@newsbot question`: answered in the thread (a digest's thread gives context)."""
        thread_ts = event.get("thread_ts")
        thread_id = str(thread_ts) if thread_ts else None
        reply_in = thread_id or str(event.get("ts"))
        await self.answer(event, context, client, thread_id=thread_id, reply_in=reply_in)

    async def on_message(
        self, event: MessageEvent, context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        """A direct message to newsbot, or a plain reply in a thread under one of its
        messages: both are meant for newsbot without mentioning it."""
        # Plain user messages only ("also send to channel" replies too): no edits, joins, bots.
        if event.get("subtype") not in (None, "thread_broadcast") or event.get("bot_id"):
            return
        if is_direct_message(event):
            await self.on_direct_message(event, context, client)
            return
        thread_ts = event.get("thread_ts")
        if not thread_ts or thread_ts == event.get("ts"):
            return
        if event.get("parent_user_id") != context.bot_user_id:
            return
        if f"<@{context.bot_user_id}" in str(event.get("text") or ""):
            return  # it mentions us: the app_mention listener answers it
        await self.answer(event, context, client, thread_id=str(thread_ts), reply_in=thread_ts)

    async def on_direct_message(
        self, event: MessageEvent, context: AsyncBoltContext, client: AsyncWebClient
    ) -> None:
        """A message in newsbot's DM: a command when it looks like one, else a question.
        Answered in the DM itself, or in the thread it was written in."""
        thread_ts = event.get("thread_ts")
        thread_id = str(thread_ts) if thread_ts and thread_ts != event.get("ts") else None
        await self.answer(event, context, client, thread_id=thread_id, reply_in=thread_id, dm=True)

    async def answer(
        self,
        event: MessageEvent,
        context: AsyncBoltContext,
        client: AsyncWebClient,
        *,
        thread_id: str | None,
        reply_in: str | None,
        dm: bool = False,
    ) -> None:
        """Run the message in the core once, however often Slack delivers it; post the reply."""
        if not self._take_once(str(event.get("channel")), str(event.get("ts"))):
            log.debug("slack: message %s delivered again; already answered", event.get("ts"))
            return
        team = str(context.team_id or event.get("team") or "")
        chat = Conversation(
            where=ChannelRef(PLATFORM, team, str(event["channel"])),
            user_id=str(event.get("user") or ""),
            thread_id=thread_id,
            reply_in=reply_in,
            token=context.bot_token,
            dm=dm,
        )
        async with self._tracked():
            try:
                text = question_text(str(event.get("text") or ""))
                reply = await self._run_message(chat, text, client)
                await self.post_reply(chat, reply)
            except Exception as error:
                await self.show_failure(error, chat=chat)

    def _take_once(self, channel: str, ts: str) -> bool:
        """True the first time this message is seen (among the last TAKEN_MEMORY)."""
        key = (channel, ts)
        if key in self._taken:
            return False
        self._taken[key] = None
        if len(self._taken) > TAKEN_MEMORY:
            del self._taken[next(iter(self._taken))]  # dicts keep insertion order
        return True

    async def _run_message(self, chat: Conversation, text: str, client: AsyncWebClient) -> Reply:
        """A question for the core, or in a DM a command that looks like one."""
        if chat.dm and looks_like_command(text):
            can_manage = await caller_can_manage(client, chat.user_id, self.admin_usergroup)
            caller = Caller(user_id=chat.user_id, can_manage=can_manage)
            return await self.commands.execute(chat.where, caller, text, thread_id=chat.thread_id)
        caller = Caller(chat.user_id)
        return await self.commands.ask(chat.where, caller, text, thread_id=chat.thread_id)

    async def post_reply(self, chat: Conversation, reply: Reply) -> None:
        """The reply where the message was: a digest as its own messages (a thread for
        questions); the rest privately when the core says so, except in a DM (private)."""
        if reply.digest is not None and reply.ok:
            await self.post_digest(chat.where, reply.digest, token=chat.token)
            return
        for message in render_reply(reply):
            if reply.ephemeral and not chat.dm:  # e.g. "ask a question": for the asker only
                await self.poster.send_ephemeral(chat.private, message)
            else:
                await self.poster.send(
                    chat.where, message, token=chat.token, thread_ts=chat.reply_in
                )

    # --- the one error handler --------------------------------------------------------------

    async def show_failure(
        self,
        error: Exception,
        *,
        respond: AsyncRespond | None = None,
        chat: Conversation | None = None,
    ) -> None:
        """The one place errors meet users: privately, in one sentence (`failure_text`)."""
        message = render_reply(refused(failure_text(error)))
        with suppress(Exception):  # the failure report itself may fail; the log has it
            if respond is not None:
                await self.respond(respond, message, True)
            elif chat is not None and chat.dm:  # a DM is private already
                await self.poster.send(
                    chat.where, message[0], token=chat.token, thread_ts=chat.reply_in
                )
            elif chat is not None:
                await self.poster.send_ephemeral(chat.private, message[0])

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("slack: bolt could not handle a %s request: %r", body.get("type"), error)
