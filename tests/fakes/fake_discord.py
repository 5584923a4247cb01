"""A local fake Discord (REST + gateway WebSocket on 127.0.0.1) for a real discord.py client.

It speaks just enough of Discord's API v10 for newsbot's adapter, shaped like the real thing
(see docs/PLATFORM-FACTS.md, "Testing discord.py against a local fake Discord"), and is strict
where Discord is strict:
- every REST answer carries `Content-Type: application/json` exactly;
- an interaction acknowledged more than 3 s after it was dispatched gets
  `404 Unknown interaction` and is recorded in `violations` (tests assert it stays empty);
- message and embed limits are checked, counted in code points as Discord counts them, and
  answered with Discord's 400 error shape; so is an embed link that is not a valid URI (the
  API schema's `format: uri`);
- scripted rate limits answer 429 with `retry_after` (and `Via`), per route or global;
- a channel where the bot lacks permission answers 403 Missing Permissions;
- `enforce_nonce` dedupes a re-sent message; threads and channel history are kept.
Every REST call is recorded in `calls`.

Point discord.py here with `fake.patch_discord(monkeypatch)`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import discord
import yarl
from aiohttp import WSMsgType, web

JSON = "application/json"
DISCORD_EPOCH_MS = 1_420_070_400_000
EPHEMERAL = 1 << 6
LOADING = 1 << 7
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
READ_HISTORY = 1 << 16
MANAGE_CHANNELS = 1 << 4
CREATE_PUBLIC_THREADS = 1 << 35
SEND_IN_THREADS = 1 << 38
MEMBER_PERMISSIONS = VIEW_CHANNEL | SEND_MESSAGES | READ_HISTORY | SEND_IN_THREADS
BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | READ_HISTORY
    | CREATE_PUBLIC_THREADS
    | SEND_IN_THREADS
)
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_MESSAGE_CONTENT = 1 << 15
ARCHIVE_DURATIONS = {60, 1440, 4320, 10080}
VOICE_CHANNEL = 2
FORUM_CHANNEL = 15
NO_THREADS = {VOICE_CHANNEL, 13}  # voice and stage channels hold messages but no threads
OPTION_TYPES = {str: 3, int: 4, bool: 5, float: 10}


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


@dataclass
class RecordedCall:
    """One REST request the client made, and what the fake answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0
    at: float = field(default_factory=time.monotonic)


@dataclass
class RateLimitRule:
    """Answer the next `times` matching requests with 429."""

    method: str  # "" = any
    path_pattern: str  # regex on the path after /api/v10; "" = any
    times: int
    retry_after: float
    is_global: bool = False
    via: bool = True
    skip: int = 0  # let this many matching requests through first


@dataclass
class InteractionRecord:
    """An interaction the fake dispatched and everything the bot answered to it."""

    id: str
    token: str
    channel_id: str
    kind: int
    dispatched_at: float
    acked_at: float | None = None
    ack_type: int | None = None
    original: dict[str, Any] | None = None
    original_deleted: bool = False
    followups: list[dict[str, Any]] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    answered: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def ack_delay(self) -> float | None:
        return None if self.acked_at is None else self.acked_at - self.dispatched_at

    @property
    def visible_messages(self) -> list[dict[str, Any]]:
        """The messages the user ended up seeing: the original (unless deleted) and follow-ups."""
        shown = [] if self.original is None or self.original_deleted else [self.original]
        return shown + self.followups

    @property
    def text(self) -> str:
        """All text the user sees, content and embeds, for assertions."""
        return "\n".join(message_text(m) for m in self.visible_messages)


def message_text(message: dict[str, Any]) -> str:
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title") or "", embed.get("description") or ""]
        parts += [f"{f.get('name')} {f.get('value')}" for f in embed.get("fields") or []]
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)


def length(text: str) -> int:
    """A string's length as Discord counts it against a limit: in Unicode code points.

    Discord's API is written in Python and measures with `len` (a Discord engineer in
    discord/discord-api-docs#1315: "the API calculates length based on the number of
    codepoints"), so an emoji outside the BMP counts 1 here, not the 2 UTF-16 units a
    JavaScript client would count. Leading and trailing whitespace is trimmed first.
    """
    return len(text.strip())


def embed_length(embed: dict[str, Any]) -> int:
    """Characters Discord counts against the 6000 limit."""
    total = length(embed.get("title") or "") + length(embed.get("description") or "")
    for item in embed.get("fields") or []:
        total += length(item.get("name") or "") + length(item.get("value") or "")
    total += length((embed.get("footer") or {}).get("text") or "")
    total += length((embed.get("author") or {}).get("name") or "")
    return total


# RFC 3986 `URI`, the syntax the API schema's `format: uri` asks of an embed's links.
_PCT = r"%[0-9A-Fa-f]{2}"
_UNRESERVED = r"A-Za-z0-9\-._~"
_SUB_DELIMS = r"!$&'()*+,;="
_PCHAR = rf"(?:[{_UNRESERVED}{_SUB_DELIMS}:@]|{_PCT})"
_HOST = (
    rf"(?:\[[0-9A-Fa-f:.]+\]|\[v[0-9A-Fa-f]+\.[{_UNRESERVED}{_SUB_DELIMS}:]+\]"
    rf"|(?:[{_UNRESERVED}{_SUB_DELIMS}]|{_PCT})*)"
)
_AUTHORITY = rf"(?:(?:[{_UNRESERVED}{_SUB_DELIMS}:]|{_PCT})*@)?{_HOST}(?::[0-9]*)?"
_HIER_PART = rf"(?://{_AUTHORITY}(?:/{_PCHAR}*)*|/?(?:{_PCHAR}+(?:/{_PCHAR}*)*)?)"
_QUERY = rf"(?:{_PCHAR}|[/?])*"
URI = re.compile(rf"[A-Za-z][A-Za-z0-9+.\-]*:{_HIER_PART}(?:\?{_QUERY})?(?:#{_QUERY})?")
EMBED_LINKS_AT = (("url",), ("author", "url"), ("footer", "icon_url"), ("image", "url"))


def is_uri(value: str) -> bool:
    """Whether `value` is a URI by RFC 3986 (no raw brackets outside an IPv6 host, no spaces,
    no raw non-ASCII, every "%" starting an escape)."""
    return URI.fullmatch(value) is not None


def link_errors(embed: dict[str, Any], where: str) -> list[str]:
    """The embed's links that Discord refuses: not http(s), or not a well-formed URI."""
    errors = []
    for path in EMBED_LINKS_AT:
        value: Any = embed
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            continue
        name = f"{where}.{'.'.join(path)}"
        if not str(value).startswith(("http://", "https://")):
            errors.append(f"{name}: Scheme not supported.")
        elif not is_uri(str(value)):
            errors.append(f"{name}: Not a well formed URL.")
    return errors


def limit_errors(payload: dict[str, Any]) -> list[str]:
    """Every Discord message/embed limit the payload breaks (empty list = accepted)."""
    errors: list[str] = []
    content = payload.get("content") or ""
    embeds = payload.get("embeds") or []
    if length(content) > 2000:
        errors.append(f"content: Must be 2000 or fewer in length ({length(content)}).")
    if len(embeds) > 10:
        errors.append(f"embeds: Must be 10 or fewer in length ({len(embeds)}).")
    total = 0
    for index, embed in enumerate(embeds):
        where = f"embeds.{index}"
        for key, limit in (("title", 256), ("description", 4096)):
            if length(embed.get(key) or "") > limit:
                errors.append(f"{where}.{key}: Must be {limit} or fewer in length.")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            errors.append(f"{where}.fields: Must be 25 or fewer in length.")
        for number, item in enumerate(fields):
            if not (1 <= length(item.get("name") or "") <= 256):
                errors.append(f"{where}.fields.{number}.name: Must be between 1 and 256 in length.")
            if not (1 <= length(item.get("value") or "") <= 1024):
                errors.append(
                    f"{where}.fields.{number}.value: Must be between 1 and 1024 in length."
                )
        if length((embed.get("footer") or {}).get("text") or "") > 2048:
            errors.append(f"{where}.footer.text: Must be 2048 or fewer in length.")
        if length((embed.get("author") or {}).get("name") or "") > 256:
            errors.append(f"{where}.author.name: Must be 256 or fewer in length.")
        errors += link_errors(embed, where)
        total += embed_length(embed)
    if total > 6000:
        errors.append(f"embeds: Embed size exceeds maximum size of 6000 ({total}).")
    nonce = payload.get("nonce")
    if nonce is not None and len(str(nonce)) > 25:
        errors.append("nonce: Must be 25 or fewer in length.")
    return errors


def would_ping(payload: dict[str, Any]) -> list[str]:
    """Who this message would notify, following Discord's `allowed_mentions` rules.

    Only message content pings (embeds never do). Without `allowed_mentions` Discord parses
    users, roles and @everyone/@here.
    """
    content = payload.get("content") or ""
    allowed = payload.get("allowed_mentions")
    parse = {"users", "roles", "everyone"} if allowed is None else set(allowed.get("parse", []))
    users = set((allowed or {}).get("users") or [])
    roles = set((allowed or {}).get("roles") or [])
    pings: list[str] = []
    if "everyone" in parse:
        pings += re.findall(r"@(everyone|here)", content)
    for role in re.findall(r"<@&(\d+)>", content):
        if "roles" in parse or role in roles:
            pings.append(f"role:{role}")
    for user in re.findall(r"<@!?(\d+)>", content):
        if "users" in parse or user in users:
            pings.append(f"user:{user}")
    return pings


class FakeDiscord:
    """The fake server. Start with `await fake.start()`, stop with `await fake.close()`."""

    def __init__(self, *, interaction_deadline_s: float = 3.0) -> None:
        self._last_id = 0
        self.interaction_deadline_s = interaction_deadline_s
        self.application_id = self.new_id()
        self.guild_id = self.new_id()
        self.bot_user = self._user(self.new_id(), "newsbot", bot=True)
        self.bot_role_id = self.new_id()
        self.admin = self._user(self.new_id(), "admin")
        self.member = self._user(self.new_id(), "reader")
        self.channel_id = self.new_id()
        self.locked_channel_id = self.new_id()  # the bot may read but not post here
        self.channels: dict[str, dict[str, Any]] = {
            self.channel_id: self._text_channel(self.channel_id, "news", 0),
            self.locked_channel_id: self._text_channel(self.locked_channel_id, "announcements", 1),
        }
        # Permissions denied to the bot per channel, as a member overwrite the client sees.
        self.bot_denied: dict[str, int] = {}
        self._deny_overwrite(
            self.locked_channel_id, SEND_MESSAGES | EMBED_LINKS | CREATE_PUBLIC_THREADS
        )
        # Channels answering 403 although the client's cache says it may post (a stale cache).
        self.forbidden_channels: set[str] = set()
        self.bot_removed = False  # the bot was removed from the guild
        self.threads: dict[str, dict[str, Any]] = {}
        self.history: dict[str, list[dict[str, Any]]] = {cid: [] for cid in self.channels}
        self.calls: list[RecordedCall] = []
        self.violations: list[str] = []
        self.interactions: dict[str, InteractionRecord] = {}
        self.rate_limits: list[RateLimitRule] = []
        self.message_content_allowed = False  # the privileged intent, off in the portal
        self.bot_token: str | None = None  # when set, REST calls must carry "Bot <token>"
        self.lose_responses = 0  # create the next N messages, then answer 502 as if lost
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.identify_payloads: list[dict[str, Any]] = []
        self.identified = asyncio.Event()
        self._nonces: dict[tuple[str, str], dict[str, Any]] = {}
        self._sockets: set[web.WebSocketResponse] = set()
        self._seq = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    # ---- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record_and_limit])
        app.router.add_get("/", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None and server.sockets  # type: ignore[attr-defined]
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def close(self) -> None:
        """Close the gateway sockets first: runner cleanup waits for open handlers."""
        for ws in list(self._sockets):
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    def patch_discord(self, monkeypatch: Any) -> None:
        """Send discord.py's REST and gateway traffic here for the rest of the test."""
        monkeypatch.setattr(discord.http.Route, "BASE", self.api_base)
        monkeypatch.setattr(
            discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(self.gateway_url)
        )

    # ---- payload builders --------------------------------------------------------------

    def new_id(self) -> str:
        """A snowflake carrying the current time (discord.py derives expiry times from it)."""
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        self._last_id = max(self._last_id + 1, now_ms << 22)
        return str(self._last_id)

    @staticmethod
    def _user(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
        return {
            "id": user_id,
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": None,
            "bot": bot,
            "public_flags": 0,
        }

    def _text_channel(self, channel_id: str, name: str, position: int) -> dict[str, Any]:
        return {
            "id": channel_id,
            "type": 0,
            "guild_id": self.guild_id,
            "name": name,
            "position": position,
            "permission_overwrites": [],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }

    def _guild(self) -> dict[str, Any]:
        everyone = {
            "id": self.guild_id,
            "name": "@everyone",
            "permissions": str(MEMBER_PERMISSIONS),
            "position": 0,
            "color": 0,
            "hoist": False,
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }
        # Invited bots get a managed role carrying the permissions of their invite link.
        bot_role = {
            **everyone,
            "id": self.bot_role_id,
            "name": "newsbot",
            "permissions": str(BOT_PERMISSIONS),
            "position": 1,
            "managed": True,
            "tags": {"bot_id": self.bot_user["id"]},
        }
        bot_member = self._member(self.bot_user, BOT_PERMISSIONS)
        bot_member["roles"] = [self.bot_role_id]
        return {
            "id": self.guild_id,
            "name": "Fake Guild",
            "owner_id": self.admin["id"],
            "unavailable": False,
            "member_count": 3,
            "large": False,
            "roles": [everyone, bot_role],
            "channels": list(self.channels.values()),
            "threads": list(self.threads.values()),
            "members": [bot_member],
            "emojis": [],
            "stickers": [],
            "features": [],
            "voice_states": [],
            "presences": [],
            "joined_at": now_iso(),
        }

    @staticmethod
    def _member(user: dict[str, Any], permissions: int) -> dict[str, Any]:
        return {
            "user": user,
            "roles": [],
            "flags": 0,
            "joined_at": now_iso(),
            "deaf": False,
            "mute": False,
            "permissions": str(permissions),
        }

    def _channel_payload(self, channel_id: str) -> dict[str, Any]:
        return self.channels.get(channel_id) or self.threads[channel_id]

    def _parent_of(self, channel_id: str) -> str:
        thread = self.threads.get(channel_id)
        return thread["parent_id"] if thread else channel_id

    def _message(
        self,
        channel_id: str,
        payload: dict[str, Any],
        *,
        author: dict[str, Any] | None = None,
        kind: int = 0,
        flags: int = 0,
        webhook: bool = False,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "id": self.new_id(),
            "type": kind,
            "channel_id": channel_id,
            "guild_id": self.guild_id,
            "author": author or self.bot_user,
            "content": payload.get("content") or "",
            "timestamp": now_iso(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": payload.get("embeds") or [],
            "components": [],
            "pinned": False,
            "flags": flags,
        }
        if payload.get("nonce") is not None:
            message["nonce"] = payload["nonce"]
        if webhook:
            message["webhook_id"] = self.application_id
            message["application_id"] = self.application_id
        return message

    # ---- scripting -----------------------------------------------------------------------

    def rate_limit(
        self,
        *,
        times: int,
        retry_after: float = 0.05,
        method: str = "",
        path: str = "",
        is_global: bool = False,
        via: bool = True,
        skip: int = 0,
    ) -> None:
        """Answer `times` requests matching method/path (regex) with 429, after `skip`."""
        rule = RateLimitRule(method, path, times, retry_after, is_global, via, skip)
        self.rate_limits.append(rule)

    def _deny_overwrite(self, channel_id: str, denied: int) -> None:
        self.bot_denied[channel_id] = denied
        overwrites = [{"id": self.bot_user["id"], "type": 1, "allow": "0", "deny": str(denied)}]
        self.channels[channel_id]["permission_overwrites"] = overwrites if denied else []

    def _bot_may(self, channel_id: str, permissions: int) -> bool:
        parent = self._parent_of(channel_id)
        if parent in self.forbidden_channels:
            return False
        return not self.bot_denied.get(parent, 0) & permissions

    async def set_bot_denied(self, channel_id: str, denied: int) -> None:
        """An admin changes what the bot may do in a channel; the client gets CHANNEL_UPDATE."""
        self._deny_overwrite(channel_id, denied)
        await self.dispatch("CHANNEL_UPDATE", self.channels[channel_id])

    def add_channel(self, name: str, kind: int = 0) -> str:
        """Another channel, text (0) by default or voice (2) with its text chat; the client
        learns of it from the interaction or REST."""
        channel_id = self.new_id()
        channel = self._text_channel(channel_id, name, len(self.channels))
        channel["type"] = kind
        if kind == VOICE_CHANNEL:
            channel.update(bitrate=64000, user_limit=0, rtc_region=None)
        self.channels[channel_id] = channel
        self.history[channel_id] = []
        return channel_id

    async def add_forum_post(self, forum_name: str, post_name: str) -> tuple[str, str]:
        """A forum channel (type 15) holding one post, a thread (type 11) started by a member.
        Discord: a forum holds no messages itself, only posts; the client hears of both."""
        forum_id = self.add_channel(forum_name, kind=FORUM_CHANNEL)
        await self.dispatch("CHANNEL_CREATE", self.channels[forum_id])
        post_id = self.new_id()
        thread = self._thread(post_id, forum_id, self.member["id"], post_name, 1440)
        self.threads[post_id] = thread
        self.history[post_id] = []
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return forum_id, post_id

    async def start_member_thread(self, message_id: str, name: str) -> dict[str, Any]:
        """A member starts a thread from a message in the default channel (e.g. a digest
        the bot posted as a command's answer); the client hears of it."""
        channel_id = self.channel_id
        message = next(m for m in self.history[channel_id] if m["id"] == message_id)
        thread = self._thread(message_id, channel_id, self.member["id"], name, 1440)
        self.threads[message_id] = thread
        self.history[message_id] = []
        message["thread"] = thread
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return thread

    def _thread(
        self, thread_id: str, parent_id: str, owner_id: str, name: str, duration: int
    ) -> dict[str, Any]:
        """A public thread (type 11); one started from a message shares the message's id."""
        return {
            "id": thread_id,
            "guild_id": self.guild_id,
            "parent_id": parent_id,
            "owner_id": owner_id,
            "name": name,
            "type": 11,
            "message_count": 0,
            "member_count": 1,
            "total_message_sent": 0,
            "rate_limit_per_user": 0,
            "flags": 0,
            "thread_metadata": {
                "archived": False,
                "auto_archive_duration": duration,
                "archive_timestamp": now_iso(),
                "locked": False,
            },
        }

    async def remove_bot_from_guild(self) -> None:
        """The bot is kicked: the client gets GUILD_DELETE (no `unavailable`: not an outage),
        and Discord answers 403 Missing Access (50001) for the guild's channels."""
        self.bot_removed = True
        await self.dispatch("GUILD_DELETE", {"id": self.guild_id})

    def posted(self, channel_id: str | None = None) -> list[dict[str, Any]]:
        """Messages the bot posted with the bot token (not interaction answers), oldest first."""
        channel = channel_id or self.channel_id
        return [
            m
            for m in self.history.get(channel, [])
            if m["author"]["id"] == self.bot_user["id"] and "webhook_id" not in m
        ]

    def message_calls(self) -> list[RecordedCall]:
        """Every request that tried to create or edit a message (bot token or webhook)."""
        return [
            c
            for c in self.calls
            if (c.method == "POST" and re.fullmatch(r"/channels/\d+/messages", c.path))
            or c.path.startswith("/webhooks/")
            or (
                c.path.endswith("/callback")
                and isinstance(c.body, dict)
                and c.body.get("type") == 4
            )
        ]

    # ---- gateway ---------------------------------------------------------------------------

    async def _gateway(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.add(ws)
        try:
            await ws.send_json({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
            async for frame in ws:
                if frame.type != WSMsgType.TEXT:
                    continue
                await self._on_gateway_frame(ws, json.loads(frame.data))
        finally:
            self._sockets.discard(ws)
        return ws

    async def _on_gateway_frame(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        if op == 1:
            await ws.send_json({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            identify = frame["d"]
            self.identify_payloads.append(identify)
            if int(identify.get("intents", 0)) & INTENT_MESSAGE_CONTENT and not (
                self.message_content_allowed
            ):
                await ws.close(code=4014, message=b"Disallowed intent(s).")
                return
            ready: dict[str, Any] = {
                "v": 10,
                "user": self.bot_user,
                "guilds": [{"id": self.guild_id, "unavailable": True}],
                "session_id": f"session-{self.new_id()}",
                "resume_gateway_url": self.gateway_url,
                "application": {"id": self.application_id, "flags": 0},
            }
            if identify.get("shard"):
                ready["shard"] = identify["shard"]
            await self._send_dispatch(ws, "READY", ready)
            await self._send_dispatch(ws, "GUILD_CREATE", self._guild())
            self.identified.set()
        elif op == 6:  # RESUME: tell the client to identify afresh
            await ws.send_json({"op": 9, "d": False, "s": None, "t": None})

    async def _send_dispatch(self, ws: web.WebSocketResponse, event: str, data: Any) -> None:
        self._seq += 1
        await ws.send_json({"op": 0, "t": event, "s": self._seq, "d": data})

    async def dispatch(self, event: str, data: Any) -> None:
        """Send a gateway event to every connected client."""
        for ws in list(self._sockets):
            if not ws.closed:
                await self._send_dispatch(ws, event, data)

    def _intents(self) -> int:
        return int(self.identify_payloads[-1].get("intents", 0)) if self.identify_payloads else 0

    # ---- interactions ----------------------------------------------------------------------

    async def run_command(
        self,
        subcommand: str,
        options: dict[str, Any] | None = None,
        *,
        user: dict[str, Any] | None = None,
        can_manage: bool = True,
        channel_id: str | None = None,
        focused: str | None = None,
    ) -> InteractionRecord:
        """Dispatch `/news <subcommand> option=value...` (or its autocomplete, with `focused`)."""
        command_options = []
        for name, value in (options or {}).items():
            option: dict[str, Any] = {
                "name": name,
                "type": OPTION_TYPES[type(value)],
                "value": value,
            }
            if name == focused:
                option["focused"] = True
            command_options.append(option)
        data = {
            "id": self.new_id(),
            "name": "news",
            "type": 1,
            "guild_id": self.guild_id,
            "options": [{"name": subcommand, "type": 1, "options": command_options}],
        }
        return await self.interact(
            data,
            user=user,
            can_manage=can_manage,
            channel_id=channel_id,
            autocomplete=focused is not None,
        )

    async def interact(
        self,
        data: dict[str, Any],
        *,
        user: dict[str, Any] | None = None,
        can_manage: bool = True,
        channel_id: str | None = None,
        autocomplete: bool = False,
    ) -> InteractionRecord:
        """Dispatch INTERACTION_CREATE for any application-command `data`."""
        channel = channel_id or self.channel_id
        caller = user or (self.admin if can_manage else self.member)
        permissions = MEMBER_PERMISSIONS | (MANAGE_CHANNELS if can_manage else 0)
        bot_permissions = BOT_PERMISSIONS & ~self.bot_denied.get(self._parent_of(channel), 0)
        record = InteractionRecord(
            id=self.new_id(),
            token=f"token-{self.new_id()}",
            channel_id=channel,
            kind=4 if autocomplete else 2,
            dispatched_at=time.monotonic(),
        )
        self.interactions[record.id] = record
        await self.dispatch(
            "INTERACTION_CREATE",
            {
                "id": record.id,
                "application_id": self.application_id,
                "type": record.kind,
                "token": record.token,
                "version": 1,
                "data": data,
                "guild_id": self.guild_id,
                "channel_id": channel,
                "channel": self._channel_payload(channel),
                "member": self._member(caller, permissions),
                "app_permissions": str(bot_permissions),
                "locale": "en-US",
                "guild_locale": "en-US",
                "attachment_size_limit": 8 * 1024 * 1024,
                "entitlements": [],
                "authorizing_integration_owners": {"0": self.guild_id},
                "context": 0,
            },
        )
        return record

    async def wait_answered(self, record: InteractionRecord, timeout: float = 10.0) -> None:
        """Wait until the bot sent its final answer (a message or autocomplete choices)."""
        await asyncio.wait_for(record.answered.wait(), timeout)

    async def send_user_message(
        self,
        channel_id: str,
        content: str,
        *,
        user: dict[str, Any] | None = None,
        mention_bot: bool = False,
    ) -> dict[str, Any]:
        """A member writes in a channel or thread; dispatched as MESSAGE_CREATE."""
        author = user or self.member
        if mention_bot:
            content = f"<@{self.bot_user['id']}> {content}"
        message = self._message(channel_id, {"content": content}, author=author)
        if mention_bot:
            message["mentions"] = [self.bot_user]
        self.history.setdefault(channel_id, []).append(message)
        if channel_id in self.threads:
            self.threads[channel_id]["message_count"] += 1
        event = dict(message)
        event["member"] = {
            k: v for k, v in self._member(author, MEMBER_PERMISSIONS).items() if k != "user"
        }
        # Without the Message Content intent Discord blanks content, except for mentions.
        if not (self._intents() & INTENT_MESSAGE_CONTENT) and not mention_bot:
            event["content"] = ""
        if self._intents() & INTENT_GUILD_MESSAGES:
            await self.dispatch("MESSAGE_CREATE", event)
        return message

    # ---- REST ------------------------------------------------------------------------------

    @web.middleware
    async def _record_and_limit(
        self, request: web.Request, handler: Callable[[web.Request], Any]
    ) -> web.StreamResponse:
        if request.path == "/":
            result: web.StreamResponse = await handler(request)
            return result
        path = request.path.removeprefix("/api/v10")
        body = await self._read_body(request)
        call = RecordedCall(request.method, path, dict(request.query), body)
        self.calls.append(call)
        response = self._scripted_429(request.method, path)
        if response is None and not self._authorised(request, path):
            response = self._error(401, 0, "401: Unauthorized")
        if response is None and self.bot_removed and path.startswith("/channels/"):
            response = self._error(403, 50001, "Missing Access")
        if response is None:
            response = await handler(request)
        call.status = response.status
        return response

    @staticmethod
    async def _read_body(request: web.Request) -> Any:
        if not request.can_read_body:
            return None
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            raw = form.get("payload_json")
            return json.loads(str(raw)) if raw is not None else None
        text = await request.text()
        return json.loads(text) if text else None

    def _authorised(self, request: web.Request, path: str) -> bool:
        # Interaction callbacks and webhooks are authorised by their token in the path.
        if path.startswith(("/interactions/", "/webhooks/")) or self.bot_token is None:
            return True
        return request.headers.get("Authorization") == f"Bot {self.bot_token}"

    def _scripted_429(self, method: str, path: str) -> web.Response | None:
        for rule in self.rate_limits:
            if rule.times <= 0:
                continue
            if rule.method and rule.method != method:
                continue
            if rule.path_pattern and not re.fullmatch(rule.path_pattern, path):
                continue
            if rule.skip > 0:
                rule.skip -= 1
                continue
            rule.times -= 1
            headers = {"Retry-After": str(max(1, round(rule.retry_after)))}
            if rule.via:
                headers["Via"] = "1.1 google"
            if rule.is_global:
                headers["X-RateLimit-Global"] = "true"
                headers["X-RateLimit-Scope"] = "global"
            else:
                headers["X-RateLimit-Scope"] = "user"
            body = {
                "message": "You are being rate limited.",
                "retry_after": rule.retry_after,
                "global": rule.is_global,
            }
            return self._json(body, status=429, headers=headers)
        return None

    @staticmethod
    def _json(
        body: Any, *, status: int = 200, headers: dict[str, str] | None = None
    ) -> web.Response:
        # Exactly "application/json": with "; charset=utf-8" discord.py reads the body as text.
        response = web.Response(status=status, body=json.dumps(body).encode(), headers=headers)
        response.headers["Content-Type"] = JSON
        return response

    def _error(
        self, status: int, code: int, message: str, errors: list[str] | None = None
    ) -> web.Response:
        body: dict[str, Any] = {"message": message, "code": code}
        if errors:
            body["errors"] = {"_errors": [{"code": "BASE_TYPE_BAD", "message": e} for e in errors]}
        return self._json(body, status=status)

    async def _rest(self, request: web.Request) -> web.StreamResponse:
        path = request.path.removeprefix("/api/v10")
        body = self.calls[-1].body
        for method, pattern, handler in self._routes():
            if method != request.method:
                continue
            match = re.fullmatch(pattern, path)
            if match:
                result: web.StreamResponse = await handler(body, request, *match.groups())
                return result
        return self._error(404, 0, f"404: Not Found ({request.method} {path})")

    def _routes(self) -> list[tuple[str, str, Callable[..., Any]]]:
        return [
            ("GET", r"/users/@me", self._get_me),
            ("GET", r"/oauth2/applications/@me", self._get_application),
            ("GET", r"/gateway", self._get_gateway),
            ("GET", r"/gateway/bot", self._get_gateway_bot),
            ("PUT", r"/applications/(\d+)/commands", self._put_commands),
            ("PUT", r"/applications/(\d+)/guilds/(\d+)/commands", self._put_commands),
            ("POST", r"/interactions/(\d+)/([^/]+)/callback", self._callback),
            ("POST", r"/webhooks/(\d+)/([^/]+)", self._followup),
            ("PATCH", r"/webhooks/(\d+)/([^/]+)/messages/@original", self._edit_original),
            ("DELETE", r"/webhooks/(\d+)/([^/]+)/messages/@original", self._delete_original),
            ("GET", r"/channels/(\d+)", self._get_channel),
            ("POST", r"/channels/(\d+)/messages", self._create_message),
            ("GET", r"/channels/(\d+)/messages", self._list_messages),
            ("POST", r"/channels/(\d+)/messages/(\d+)/threads", self._create_thread),
            ("POST", r"/channels/(\d+)/typing", self._typing),
        ]

    async def _get_me(self, body: Any, request: web.Request) -> web.Response:
        return self._json(self.bot_user)

    async def _get_application(self, body: Any, request: web.Request) -> web.Response:
        return self._json(
            {
                "id": self.application_id,
                "name": "newsbot",
                "description": "",
                "icon": None,
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": self.admin,
                "verify_key": "0" * 64,
                "flags": 0,
            }
        )

    async def _get_gateway(self, body: Any, request: web.Request) -> web.Response:
        return self._json({"url": self.gateway_url})

    async def _get_gateway_bot(self, body: Any, request: web.Request) -> web.Response:
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return self._json({"url": self.gateway_url, "shards": 1, "session_start_limit": limit})

    async def _put_commands(
        self, body: Any, request: web.Request, app_id: str, guild_id: str = ""
    ) -> web.Response:
        scope = guild_id or "global"
        stored = []
        for command in body or []:
            stored.append(
                {
                    **command,
                    "id": self.new_id(),
                    "application_id": app_id,
                    "version": self.new_id(),
                    "type": command.get("type", 1),
                    **({"guild_id": guild_id} if guild_id else {}),
                }
            )
        self.commands[scope] = stored
        return self._json(stored)

    # interaction callback: the 3-second deadline lives here
    async def _callback(
        self, body: Any, request: web.Request, interaction_id: str, token: str
    ) -> web.Response:
        record = self.interactions.get(interaction_id)
        if record is None or record.token != token:
            return self._error(404, 10062, "Unknown interaction")
        elapsed = time.monotonic() - record.dispatched_at
        if elapsed > self.interaction_deadline_s:
            self.violations.append(
                f"interaction {interaction_id} acknowledged after {elapsed:.2f} s"
            )
            return self._error(404, 10062, "Unknown interaction")
        if record.acked_at is not None:
            return self._error(400, 40060, "Interaction has already been acknowledged.")
        kind = body.get("type")
        data = body.get("data") or {}
        resource: dict[str, Any] = {"type": kind}
        if kind == 8:
            record.choices = data.get("choices", [])
            if len(record.choices) > 25:
                return self._error(400, 50035, "Invalid Form Body", ["choices: 25 or fewer"])
            too_long = [
                c for c in record.choices if length(c["name"]) > 100 or len(c["value"]) > 100
            ]
            if too_long:
                return self._error(400, 50035, "Invalid Form Body", ["choices: 100 or fewer"])
            record.answered.set()
        elif kind in (4, 5):
            errors = limit_errors(data) if kind == 4 else []
            if errors:
                return self._error(400, 50035, "Invalid Form Body", errors)
            flags = int(data.get("flags") or 0)
            if kind == 5:
                flags |= LOADING
            record.original = self._message(
                record.channel_id, data, kind=20, flags=flags, webhook=True
            )
            if not flags & EPHEMERAL:
                self.history.setdefault(record.channel_id, []).append(record.original)
            resource["message"] = record.original
            if kind == 4:
                record.answered.set()
        else:
            return self._error(400, 50035, "Invalid Form Body", [f"type: unsupported {kind}"])
        record.acked_at = time.monotonic()
        record.ack_type = kind
        interaction = {
            "id": interaction_id,
            "type": record.kind,
            "response_message_id": record.original["id"] if record.original else None,
            "response_message_loading": kind == 5,
            "response_message_ephemeral": bool(
                record.original and record.original["flags"] & EPHEMERAL
            ),
        }
        return self._json({"interaction": interaction, "resource": resource})

    def _record_for_token(self, app_id: str, token: str) -> InteractionRecord | None:
        if app_id != self.application_id:
            return None
        return next((r for r in self.interactions.values() if r.token == token), None)

    async def _followup(
        self, body: Any, request: web.Request, app_id: str, token: str
    ) -> web.Response:
        record = self._record_for_token(app_id, token)
        if record is None or record.acked_at is None:
            # A follow-up before the interaction was acknowledged has no webhook yet.
            return self._error(404, 10015, "Unknown Webhook")
        errors = limit_errors(body or {})
        if errors:
            return self._error(400, 50035, "Invalid Form Body", errors)
        flags = int((body or {}).get("flags") or 0)
        message = self._message(record.channel_id, body or {}, kind=19, flags=flags, webhook=True)
        record.followups.append(message)
        if not flags & EPHEMERAL:
            self.history.setdefault(record.channel_id, []).append(message)
        record.answered.set()
        return self._json(message)

    async def _edit_original(
        self, body: Any, request: web.Request, app_id: str, token: str
    ) -> web.Response:
        record = self._record_for_token(app_id, token)
        if record is None or record.original is None or record.original_deleted:
            return self._error(404, 10008, "Unknown Message")
        errors = limit_errors(body or {})
        if errors:
            return self._error(400, 50035, "Invalid Form Body", errors)
        original = record.original
        for key in ("content", "embeds"):
            if key in (body or {}):
                original[key] = (
                    body[key] if body[key] is not None else ([] if key == "embeds" else "")
                )
        original["allowed_mentions"] = (body or {}).get("allowed_mentions")
        original["flags"] &= ~LOADING
        original["edited_timestamp"] = now_iso()
        record.answered.set()
        return self._json(original)

    async def _delete_original(
        self, body: Any, request: web.Request, app_id: str, token: str
    ) -> web.Response:
        record = self._record_for_token(app_id, token)
        if record is None or record.original is None or record.original_deleted:
            return self._error(404, 10008, "Unknown Message")
        record.original_deleted = True
        history = self.history.get(record.channel_id, [])
        if record.original in history:
            history.remove(record.original)
        return web.Response(status=204)

    async def _get_channel(self, body: Any, request: web.Request, channel_id: str) -> web.Response:
        if channel_id not in self.channels and channel_id not in self.threads:
            return self._error(404, 10003, "Unknown Channel")
        return self._json(self._channel_payload(channel_id))

    async def _typing(self, body: Any, request: web.Request, channel_id: str) -> web.Response:
        if not self._bot_may(channel_id, self._send_permission(channel_id)):
            return self._error(403, 50013, "Missing Permissions")
        return web.Response(status=204)

    def _send_permission(self, channel_id: str) -> int:
        """Discord: posting in a thread takes Send Messages in Threads, not Send Messages."""
        return SEND_IN_THREADS if channel_id in self.threads else SEND_MESSAGES

    async def _create_message(
        self, body: Any, request: web.Request, channel_id: str
    ) -> web.Response:
        if channel_id not in self.channels and channel_id not in self.threads:
            return self._error(404, 10003, "Unknown Channel")
        if not self._bot_may(channel_id, self._send_permission(channel_id) | EMBED_LINKS):
            return self._error(403, 50013, "Missing Permissions")
        payload = body or {}
        if payload.get("message_reference") and not self._bot_may(channel_id, READ_HISTORY):
            # Discord: a reply needs Read Message History as well as Send Messages.
            return self._error(403, 50013, "Missing Permissions")
        errors = limit_errors(payload)
        if not payload.get("content") and not payload.get("embeds"):
            errors.append("Cannot send an empty message")
        if errors:
            return self._error(400, 50035, "Invalid Form Body", errors)
        nonce = payload.get("nonce")
        if nonce is not None and payload.get("enforce_nonce"):
            seen = self._nonces.get((channel_id, str(nonce)))
            if seen is not None:
                return self._json(seen)  # Discord returns the message already created
        message = self._message(channel_id, payload)
        message["allowed_mentions"] = payload.get("allowed_mentions")
        self.history.setdefault(channel_id, []).append(message)
        if nonce is not None:
            self._nonces[(channel_id, str(nonce))] = message
        if channel_id in self.threads:
            self.threads[channel_id]["message_count"] += 1
        if self.lose_responses > 0:
            self.lose_responses -= 1
            return self._error(502, 0, "Bad Gateway")
        return self._json(message)

    async def _list_messages(
        self, body: Any, request: web.Request, channel_id: str
    ) -> web.Response:
        if channel_id not in self.channels and channel_id not in self.threads:
            return self._error(404, 10003, "Unknown Channel")
        limit = min(int(request.query.get("limit", "50")), 100)
        newest_first = list(reversed(self.history.get(channel_id, [])))
        before = request.query.get("before")
        after = request.query.get("after")
        if before:
            newest_first = [m for m in newest_first if int(m["id"]) < int(before)]
        if after:
            newest_first = [m for m in newest_first if int(m["id"]) > int(after)]
        return self._json(newest_first[:limit])

    async def _create_thread(
        self, body: Any, request: web.Request, channel_id: str, message_id: str
    ) -> web.Response:
        if not self._bot_may(channel_id, CREATE_PUBLIC_THREADS):
            return self._error(403, 50013, "Missing Permissions")
        if (
            channel_id in self.threads
            or self.channels.get(channel_id, {}).get("type") in NO_THREADS
        ):
            # Discord: threads only start in text and announcement channels.
            return self._error(400, 50024, "Cannot execute action on this channel type")
        message = next((m for m in self.history.get(channel_id, []) if m["id"] == message_id), None)
        if message is None:
            return self._error(404, 10008, "Unknown Message")
        if "thread" in message:
            return self._error(400, 160004, "A thread has already been created for this message")
        name = (body or {}).get("name") or ""
        duration = (body or {}).get("auto_archive_duration", 1440)
        errors = []
        if not (1 <= length(name) <= 100):
            errors.append("name: Must be between 1 and 100 in length.")
        if duration not in ARCHIVE_DURATIONS:
            errors.append("auto_archive_duration: Value must be one of (60, 1440, 4320, 10080).")
        if errors:
            return self._error(400, 50035, "Invalid Form Body", errors)
        thread = self._thread(message_id, channel_id, self.bot_user["id"], name, duration)
        self.threads[message_id] = thread
        self.history[message_id] = []
        message["thread"] = thread
        await self.dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return self._json(thread)
