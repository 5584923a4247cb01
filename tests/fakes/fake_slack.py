"""A local fake Slack: the Web API, a response_url endpoint and a Socket Mode WebSocket.

It is a real aiohttp server on 127.0.0.1, so slack_sdk / slack-bolt talk to it exactly as
they talk to Slack (`AsyncWebClient(base_url=fake.api_url)`). It records every call, keeps
the messages posted per channel (for `conversations.history`), and rejects what Slack
rejects: too many blocks, section or header text over its limit, too many characters of
blocks in one message, a too long `text`, posting where the bot is not a member (a private
channel it is not in does not exist for it), and 429s scripted by the test (with
`Retry-After`). `conversations.info` answers `is_member` as Slack does.

Error shapes follow Slack: HTTP 200 with `{"ok": false, "error": ...}` (plus
`response_metadata.messages` for `invalid_blocks`), and HTTP 429 with a `Retry-After` header
for rate limits.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

# Slack's documented Block Kit limits.
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_SECTION_FIELDS = 10
MAX_FIELD_TEXT = 2000
# Slack does not document the total; about 13k characters of blocks get `msg_blocks_too_long`.
# Counted here as the characters of the blocks array written as JSON.
MAX_BLOCKS_JSON_CHARS = 13_000
MAX_MESSAGE_TEXT = 40_000
# A command's response_url takes at most 5 messages (Slack: "up to five times within 30
# minutes"); later ones get 404 `used_url`.
RESPONSE_URL_USES = 5
KNOWN_BLOCK_TYPES = {"section", "header", "context", "divider", "actions", "image", "rich_text"}


@dataclass(frozen=True)
class ApiCall:
    """One Web API call as the fake received it."""

    method: str
    token: str
    args: dict[str, Any]
    at: float  # time.monotonic() on arrival
    status: int = 200
    error: str = ""  # Slack's error code when the call was refused


@dataclass
class Workspace:
    """A team the fake knows, reached with its bot token."""

    team_id: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    name: str = ""


@dataclass
class OAuthGrant:
    """What `oauth.v2.access` returns for one code: the installation of a workspace."""

    code: str
    workspace: Workspace
    installer_user_id: str = "U-INSTALLER"
    scope: str = "commands,chat:write,app_mentions:read,channels:history,users:read"


@dataclass
class SocketEnvelope:
    """A Socket Mode request the fake sent and the acknowledgement the app returned."""

    envelope_id: str
    type: str
    payload: dict[str, Any]
    ack: asyncio.Future[dict[str, Any]]
    sent_at: float
    acked_at: float = 0.0


@dataclass
class _Script:
    """Scripted refusals: `times` calls of `method` get a 429 with `retry_after`."""

    rate_limits: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    # method -> [(calls to let through first, error code)]
    failures: dict[str, list[tuple[int, str]]] = field(default_factory=lambda: defaultdict(list))
    # method -> [(HTTP status, body, content type)] answered instead of calling the method
    http_errors: dict[str, list[tuple[int, str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    # method -> calls that are carried out, then answered by dropping the connection
    drops: dict[str, int] = field(default_factory=lambda: defaultdict(int))


class FakeSlack:
    """The fake server. Use `async with FakeSlack() as slack:` or `start()` / `close()`."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.workspaces: dict[str, Workspace] = {}  # by bot token
        self.users: dict[tuple[str, str], dict[str, Any]] = {}  # (team, user) -> user object
        self.usergroups: dict[str, list[str]] = {}
        self.not_in_channel: set[str] = set()
        self.missing_channels: set[str] = set()
        # Private channels: one newsbot is not in does not exist for it (`channel_not_found`).
        self.private_channels: set[str] = set()
        # channel -> error chat.postMessage / chat.postEphemeral answer there, as Slack does
        # for an archived channel (`is_archived`) or one where only admins may post
        # (`restricted_action_read_only_channel`); its history stays readable.
        self.refuse_posts: dict[str, str] = {}
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(
            list
        )  # channel -> oldest first
        self.ephemerals: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []  # bodies posted to response_urls
        self.used_up_responses: list[dict[str, Any]] = []  # refused: the URL was used 5 times
        self.oauth_grants: dict[str, OAuthGrant] = {}
        self.envelopes: list[SocketEnvelope] = []
        self.app_tokens: set[str] = set()
        self._script = _Script()
        self._ts = itertools.count(1)
        self._envelope_ids = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._socket_connected = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.add_workspace(Workspace("T-ONE", "xoxb-one", "U-BOT1", "B-BOT1", "First"))

    # --- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeSlack:
        """Listen on 127.0.0.1 on a free port."""
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/respond/{hook}", self._respond)
        app.router.add_get("/link/", self._socket)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def close(self) -> None:
        """Close the WebSockets first (or the runner's cleanup waits for them), then the server."""
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def __aenter__(self) -> FakeSlack:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """What to pass as `AsyncWebClient(base_url=...)`."""
        return f"{self.base}/api/"

    def response_url(self, hook: str = "hook") -> str:
        return f"{self.base}/respond/{hook}"

    # --- scripting -------------------------------------------------------------------------

    def add_workspace(self, workspace: Workspace) -> Workspace:
        self.workspaces[workspace.bot_token] = workspace
        return workspace

    def add_user(
        self, team_id: str, user_id: str, *, admin: bool = False, owner: bool = False
    ) -> None:
        self.users[(team_id, user_id)] = {
            "id": user_id,
            "team_id": team_id,
            "name": user_id.lower(),
            "real_name": f"User {user_id}",
            "is_admin": admin,
            "is_owner": owner,
            "is_primary_owner": False,
            "is_bot": False,
            "deleted": False,
        }

    def rate_limit(self, method: str, *, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls of `method` get HTTP 429 with `Retry-After: retry_after`."""
        self._script.rate_limits[method].extend([retry_after] * times)

    def fail_once(self, method: str, error: str, *, after: int = 0) -> None:
        """Let `after` more calls of `method` succeed, then refuse one with `error`."""
        self._script.failures[method].append((after, error))

    def http_error(
        self,
        method: str,
        *,
        status: int = 503,
        body: str = "<html><body>Service Unavailable</body></html>",
        content_type: str = "text/html",
    ) -> None:
        """Answer the next call of `method` with a bare HTTP error (as a proxy in front would)."""
        self._script.http_errors[method].append((status, body, content_type))

    def drop_after_accept(self, method: str, *, times: int = 1) -> None:
        """Carry out the next `times` calls of `method`, then drop the connection instead of
        answering: the client cannot know the call succeeded (a crash after accept)."""
        self._script.drops[method] += times

    def grant(self, grant: OAuthGrant) -> None:
        """Make `oauth.v2.access` with `grant.code` install `grant.workspace`."""
        self.oauth_grants[grant.code] = grant

    def calls_to(self, method: str, *, ok_only: bool = False) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method and (not ok_only or not c.error)]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Messages accepted by chat.postMessage (optionally in one channel), oldest first."""
        if channel is not None:
            return list(self.messages[channel])
        return [m for msgs in self.messages.values() for m in msgs]

    # --- the Web API -----------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        args = await _read_args(request)
        token = _bearer(request) or str(args.pop("token", ""))
        now = time.monotonic()
        pending = self._script.rate_limits.get(method)
        if pending:
            retry_after = pending.pop(0)
            self.calls.append(ApiCall(method, token, args, now, 429, "ratelimited"))
            return web.json_response(
                {"ok": False, "error": "ratelimited"},
                status=429,
                headers={"Retry-After": str(retry_after)},
            )
        bare = self._script.http_errors.get(method)
        if bare:
            status, body, content_type = bare.pop(0)
            self.calls.append(ApiCall(method, token, args, now, status, f"http {status}"))
            return web.Response(status=status, text=body, content_type=content_type)
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        scripted = self._scripted_failure(method)
        if scripted:
            answer: dict[str, Any] = {"ok": False, "error": scripted}
        elif handler is None:
            answer = {"ok": False, "error": "unknown_method"}
        elif method in ("oauth.v2.access", "apps.connections.open"):
            answer = handler(token, args)
        else:
            workspace = self.workspaces.get(token)
            answer = (
                handler(workspace, args)
                if workspace is not None
                else {"ok": False, "error": "invalid_auth"}
            )
        error = "" if answer.get("ok") else str(answer.get("error", ""))
        if self._script.drops.get(method, 0) > 0:
            self._script.drops[method] -= 1
            self.calls.append(ApiCall(method, token, args, now, 0, error or "connection dropped"))
            if request.transport is not None:
                request.transport.close()
            return web.Response()  # never reaches the client
        self.calls.append(ApiCall(method, token, args, now, 200, error))
        return web.json_response(answer)

    def _scripted_failure(self, method: str) -> str:
        pending = self._script.failures.get(method)
        if not pending:
            return ""
        after, error = pending[0]
        if after > 0:
            pending[0] = (after - 1, error)
            return ""
        pending.pop(0)
        return error

    def _m_auth_test(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": f"https://{ws.team_id.lower()}.example/",
            "team": ws.name,
            "user": "newsbot",
            "team_id": ws.team_id,
            "user_id": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "is_enterprise_install": False,
        }

    def _m_chat_postMessage(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        refusal = self._post_refusal(channel) or check_message(args)
        if refusal:
            return refusal
        message = {
            "type": "message",
            "ts": self._next_ts(),
            "user": ws.bot_user_id,
            "bot_id": ws.bot_id,
            "team": ws.team_id,
            "text": args.get("text", ""),
            "blocks": _as_list(args.get("blocks")),
        }
        if args.get("thread_ts"):
            message["thread_ts"] = str(args["thread_ts"])
        metadata = _as_dict(args.get("metadata"))
        if metadata:
            message["metadata"] = metadata
        for flag in ("unfurl_links", "unfurl_media"):
            if flag in args:
                message[flag] = args[flag]
        self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _m_chat_postEphemeral(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        refusal = self._post_refusal(channel) or check_message(args)
        if refusal:
            return refusal
        if not args.get("user"):
            return {"ok": False, "error": "user_not_in_channel"}
        self.ephemerals.append({"team": ws.team_id, **args})
        return {"ok": True, "message_ts": self._next_ts()}

    def _m_conversations_history(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args.get("channel", ""))
        refusal = self._channel_refusal(channel)
        if refusal:
            return refusal
        limit = int(args.get("limit") or 100)
        start = int(args.get("cursor") or 0)
        # As Slack: the channel's own messages (thread replies stay in their threads), only
        # those between `oldest` and `latest` (the bounds themselves when `inclusive`).
        shown = [m for m in self.messages[channel] if _in_range(m, args) and not _is_reply(m)]
        newest_first = list(reversed(shown))
        page = newest_first[start : start + limit]
        with_metadata = str(args.get("include_all_metadata", "")).lower() in ("1", "true")
        if not with_metadata:
            page = [{k: v for k, v in m.items() if k != "metadata"} for m in page]
        more = start + limit < len(newest_first)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _m_conversations_info(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        """The conversation object as Slack shows it to the bot: `is_member` for channels,
        none for a DM (`D...`), which the bot only sees when it is its own."""
        channel = str(args.get("channel", ""))
        refusal = self._channel_refusal(channel)
        if refusal is not None and refusal["error"] == "channel_not_found":
            return refusal
        if channel.startswith("D"):
            return {"ok": True, "channel": {"id": channel, "is_im": True, "user": "U-MEMBER"}}
        private = channel in self.private_channels
        return {
            "ok": True,
            "channel": {
                "id": channel,
                "name": channel.lower(),
                "is_channel": not private,
                "is_group": private,
                "is_im": False,
                "is_mpim": False,
                "is_private": private,
                "is_archived": self.refuse_posts.get(channel) == "is_archived",
                "is_member": channel not in self.not_in_channel,
                "context_team_id": ws.team_id,
            },
        }

    def _m_users_info(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get((ws.team_id, str(args.get("user", ""))))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _m_usergroups_users_list(self, ws: Workspace, args: dict[str, Any]) -> dict[str, Any]:
        members = self.usergroups.get(str(args.get("usergroup", "")))
        if members is None:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(members)}

    def _m_oauth_v2_access(self, _token: str, args: dict[str, Any]) -> dict[str, Any]:
        grant = self.oauth_grants.pop(str(args.get("code", "")), None)
        if grant is None:
            return {"ok": False, "error": "invalid_code"}
        ws = self.add_workspace(grant.workspace)
        return {
            "ok": True,
            "app_id": "A-NEWSBOT",
            "authed_user": {"id": grant.installer_user_id},
            "scope": grant.scope,
            "token_type": "bot",
            "access_token": ws.bot_token,
            "bot_user_id": ws.bot_user_id,
            "team": {"id": ws.team_id, "name": ws.name},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def _m_apps_connections_open(self, token: str, _args: dict[str, Any]) -> dict[str, Any]:
        if token not in self.app_tokens:
            return {"ok": False, "error": "invalid_auth"}
        return {"ok": True, "url": f"ws://127.0.0.1:{self.port}/link/?ticket=t{len(self.calls)}"}

    def _post_refusal(self, channel: str) -> dict[str, Any] | None:
        refusal = self._channel_refusal(channel)
        if refusal is None and channel in self.refuse_posts:
            return {"ok": False, "error": self.refuse_posts[channel]}
        return refusal

    def _channel_refusal(self, channel: str) -> dict[str, Any] | None:
        if not channel or channel in self.missing_channels:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.not_in_channel and channel in self.private_channels:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.not_in_channel:
            return {"ok": False, "error": "not_in_channel"}
        return None

    def _next_ts(self) -> str:
        return f"{1_764_000_000 + next(self._ts)}.000100"

    # --- response_url ----------------------------------------------------------------------

    async def _respond(self, request: web.Request) -> web.Response:
        body = await request.json()
        hook = request.match_info["hook"]
        if sum(1 for r in self.responses if r["hook"] == hook) >= RESPONSE_URL_USES:
            self.used_up_responses.append({"hook": hook, **body})
            return web.Response(status=404, text="used_url")
        refusal = check_message(body)
        if refusal:
            return web.Response(status=400, text=str(refusal["error"]))
        self.responses.append({"hook": hook, **body})
        return web.Response(text="ok")

    # --- Socket Mode -----------------------------------------------------------------------

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": 1})
        self._socket_connected.set()
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._take_ack(json.loads(message.data))
        finally:
            self._sockets.remove(socket)
        return socket

    def _take_ack(self, data: dict[str, Any]) -> None:
        for envelope in self.envelopes:
            if envelope.envelope_id == data.get("envelope_id") and not envelope.ack.done():
                envelope.acked_at = time.monotonic()
                envelope.ack.set_result(data)

    async def wait_for_socket(self, timeout: float = 5.0) -> None:
        await asyncio.wait_for(self._socket_connected.wait(), timeout)

    async def send_envelope(self, kind: str, payload: dict[str, Any]) -> SocketEnvelope:
        """Send a Socket Mode request (`slash_commands`, `events_api`) over the open socket."""
        await self.wait_for_socket()
        envelope = SocketEnvelope(
            envelope_id=f"env-{next(self._envelope_ids)}",
            type=kind,
            payload=payload,
            ack=asyncio.get_running_loop().create_future(),
            sent_at=time.monotonic(),
        )
        self.envelopes.append(envelope)
        await self._sockets[-1].send_json(
            {
                "envelope_id": envelope.envelope_id,
                "type": kind,
                "accepts_response_payload": kind == "slash_commands",
                "payload": payload,
            }
        )
        return envelope


# --- message checks, as Slack does them ----------------------------------------------------


def check_message(args: dict[str, Any]) -> dict[str, Any] | None:
    """Slack's refusal for this message (`invalid_blocks`, `msg_too_long`...), or None."""
    blocks = _as_list(args.get("blocks"))
    text = str(args.get("text") or "")
    if not blocks and not text:
        return {"ok": False, "error": "no_text"}
    if len(text) > MAX_MESSAGE_TEXT:
        return {"ok": False, "error": "msg_too_long"}
    if not blocks:
        return None
    problems = block_problems(blocks)
    if problems:
        return {
            "ok": False,
            "error": "invalid_blocks",
            "errors": problems,
            "response_metadata": {"messages": [f"[ERROR] {p}" for p in problems]},
        }
    if len(json.dumps(blocks, ensure_ascii=False)) > MAX_BLOCKS_JSON_CHARS:
        return {"ok": False, "error": "msg_blocks_too_long"}
    return None


def block_problems(blocks: list[Any]) -> list[str]:
    """What Slack's Block Kit validation would say about these blocks."""
    problems: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for index, block in enumerate(blocks):
        where = f"/blocks/{index}"
        kind = block.get("type") if isinstance(block, dict) else None
        if kind not in KNOWN_BLOCK_TYPES:
            problems.append(f"unsupported type: {kind} [json-pointer:{where}/type]")
        elif kind == "section":
            problems += _section_problems(block, where)
        elif kind == "header":
            problems += _text_problems(
                block.get("text"), f"{where}/text", MAX_HEADER_TEXT, plain=True
            )
        elif kind == "context":
            elements = block.get("elements") or []
            if not elements or len(elements) > MAX_CONTEXT_ELEMENTS:
                problems.append(f"must have 1 to 10 elements [json-pointer:{where}/elements]")
            for n, element in enumerate(elements):
                if element.get("type") in ("mrkdwn", "plain_text"):
                    problems += _text_problems(element, f"{where}/elements/{n}", MAX_SECTION_TEXT)
    return problems


def _section_problems(block: dict[str, Any], where: str) -> list[str]:
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        return [f"must provide text or fields [json-pointer:{where}]"]
    problems = [] if text is None else _text_problems(text, f"{where}/text", MAX_SECTION_TEXT)
    if fields:
        if len(fields) > MAX_SECTION_FIELDS:
            problems.append(f"no more than 10 items allowed [json-pointer:{where}/fields]")
        for n, item in enumerate(fields):
            problems += _text_problems(item, f"{where}/fields/{n}", MAX_FIELD_TEXT)
    return problems


def _text_problems(obj: Any, where: str, limit: int, *, plain: bool = False) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in ("mrkdwn", "plain_text"):
        return [f"must be a text object [json-pointer:{where}]"]
    if plain and obj["type"] != "plain_text":
        return [f"must be plain_text [json-pointer:{where}/type]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be more than 0 characters [json-pointer:{where}/text]"]
    if len(text) > limit:
        return [f"must be less than {limit + 1} characters [json-pointer:{where}/text]"]
    return []


# --- request helpers -----------------------------------------------------------------------


def _in_range(message: dict[str, Any], args: dict[str, Any]) -> bool:
    """Whether `message` lies between `oldest` and `latest` (on them only when `inclusive`)."""
    ts = Decimal(str(message["ts"]))
    inclusive = str(args.get("inclusive", "")).lower() in ("1", "true")
    if args.get("oldest"):
        oldest = Decimal(str(args["oldest"]))
        if ts < oldest or (ts == oldest and not inclusive):
            return False
    if args.get("latest"):
        latest = Decimal(str(args["latest"]))
        if ts > latest or (ts == latest and not inclusive):
            return False
    return True


def _is_reply(message: dict[str, Any]) -> bool:
    return "thread_ts" in message and message["thread_ts"] != message["ts"]


async def _read_args(request: web.Request) -> dict[str, Any]:
    """slack_sdk sends JSON (chat.*), form bodies, or query parameters (GET)."""
    args: dict[str, Any] = dict(request.query)
    if request.method == "POST":
        raw = await request.text()
        if request.content_type == "application/json":
            args.update(json.loads(raw or "{}"))
        elif raw:
            args.update(dict(parse_qsl(raw, keep_blank_values=True)))
    return args


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        value = json.loads(value) if value else []
    return list(value or [])


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        value = json.loads(value) if value else {}
    return dict(value or {})
