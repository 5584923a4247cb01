"""A local fake OAuth provider, Discord- and Slack-shaped, over real HTTP on 127.0.0.1.

It speaks the authorization-code flow the dashboard uses, and checks what the real providers
check: the client id and secret, the redirect URI given at authorize time, one use per code,
and PKCE (the `code_verifier` must hash to the `code_challenge`, S256 only).

- Discord: `/oauth2/authorize`, `/api/oauth2/token`, `/api/v10/users/@me`,
  `/api/v10/users/@me/guilds` (guilds with their permission bits as a string).
- Slack (Sign in with Slack, OpenID Connect): `/.well-known/openid-configuration`,
  `/openid/connect/authorize`, `/api/openid.connect.token` (an RS256 id_token with Slack's
  claims and the nonce sent at authorize time), `/openid/connect/keys` (the JWKS).

There is no consent screen: authorize answers at once as the user the test chose
(`discord_user` / `slack_user`), redirecting to the callback with `code` and `state`.
A threaded server, so synchronous browser tests and async HTTP tests can both use it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, urlencode, urlsplit

from joserfc import jwt
from joserfc.jwk import RSAKey

Answer = tuple[int, Any, dict[str, str]]  # status, JSON body (None: empty), headers

ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
SEND_MESSAGES = 1 << 11


@dataclass(frozen=True)
class Guild:
    """A Discord server as `/users/@me/guilds` lists it for one member."""

    id: str
    name: str
    permissions: int = SEND_MESSAGES
    owner: bool = False


@dataclass(frozen=True)
class DiscordUser:
    id: str
    username: str
    guilds: tuple[Guild, ...] = ()


@dataclass(frozen=True)
class SlackUser:
    user_id: str
    team_id: str
    team_name: str
    name: str


@dataclass(frozen=True)
class Grant:
    """A code handed out at authorize time, and what it was given for."""

    provider: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str
    user: DiscordUser | SlackUser


@dataclass
class FakeOAuth:
    """The fake provider; `url` is its base (use it for discord_url and the Slack discovery)."""

    discord_client: tuple[str, str] = ("discord-client", "discord-secret")
    slack_client: tuple[str, str] = ("slack-client", "slack-secret")
    discord_user: DiscordUser | None = None
    slack_user: SlackUser | None = None
    token_requests: list[dict[str, str]] = field(default_factory=list)
    id_token_claims: dict[str, Any] = field(default_factory=dict)  # overrides (e.g. a wrong aud)
    sign_with_unknown_key: bool = False  # an id_token the JWKS cannot verify
    _grants: dict[str, Grant] = field(default_factory=dict)
    _tokens: dict[str, DiscordUser | SlackUser] = field(default_factory=dict)
    _key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, {"kid": "fake-1"}))
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def slack_discovery(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Self:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake._answer(self, "GET")

            def do_POST(self) -> None:
                fake._answer(self, "POST")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- answering ------------------------------------------------------------------------

    def _answer(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        form: dict[str, str] = {}
        if method == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            body = handler.rfile.read(length).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
        routes: dict[tuple[str, str], Callable[[], Answer]] = {
            ("GET", "/oauth2/authorize"): lambda: self._authorize("discord", query),
            ("POST", "/api/oauth2/token"): lambda: self._token("discord", handler, form),
            ("GET", "/api/v10/users/@me"): lambda: self._discord_me(handler),
            ("GET", "/api/v10/users/@me/guilds"): lambda: self._discord_guilds(handler),
            ("GET", "/.well-known/openid-configuration"): self._discovery,
            ("GET", "/openid/connect/authorize"): lambda: self._authorize("slack", query),
            ("POST", "/api/openid.connect.token"): lambda: self._token("slack", handler, form),
            ("GET", "/openid/connect/keys"): lambda: (200, {"keys": [self._public_jwk()]}, {}),
        }
        route = routes.get((method, parts.path))
        status, payload, headers = route() if route else (404, {"error": "not_found"}, {})
        data = json.dumps(payload).encode() if payload is not None else b""
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        if payload is not None:
            handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _authorize(self, provider: str, query: dict[str, str]) -> Answer:
        client_id = self.discord_client[0] if provider == "discord" else self.slack_client[0]
        user = self.discord_user if provider == "discord" else self.slack_user
        needed = {"identify", "guilds"} if provider == "discord" else {"openid"}
        if query.get("client_id") != client_id:
            return 400, {"error": "invalid_client"}, {}
        if not needed <= set(query.get("scope", "").split()):
            return 400, {"error": "invalid_scope"}, {}
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return 400, {"error": "invalid_request", "error_description": "PKCE S256"}, {}
        if user is None or query.get("response_type") != "code":
            return 400, {"error": "access_denied"}, {}
        code = secrets.token_urlsafe(16)
        with self._lock:
            self._grants[code] = Grant(
                provider=provider,
                client_id=client_id,
                redirect_uri=query.get("redirect_uri", ""),
                code_challenge=query["code_challenge"],
                nonce=query.get("nonce", ""),
                user=user,
            )
        target = query.get("redirect_uri", "")
        location = f"{target}?{urlencode({'code': code, 'state': query.get('state', '')})}"
        return 302, None, {"Location": location}

    def _client_of(self, handler: BaseHTTPRequestHandler, form: dict[str, str]) -> tuple[str, str]:
        basic = handler.headers.get("Authorization", "")
        if basic.startswith("Basic "):
            client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
            return client_id, secret
        return form.get("client_id", ""), form.get("client_secret", "")

    def _token(
        self, provider: str, handler: BaseHTTPRequestHandler, form: dict[str, str]
    ) -> Answer:
        self.token_requests.append({"provider": provider, **form})
        client = self.discord_client if provider == "discord" else self.slack_client
        if self._client_of(handler, form) != client:
            return 401, {"error": "invalid_client"}, {}
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)  # one use per code
        if grant is None or grant.provider != provider:
            return 400, {"error": "invalid_grant"}, {}
        if form.get("redirect_uri") != grant.redirect_uri:
            return 400, {"error": "invalid_grant", "error_description": "redirect_uri"}, {}
        verifier = form.get("code_verifier", "")
        digest = hashlib.sha256(verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.code_challenge:
            return 400, {"error": "invalid_grant", "error_description": "code_verifier"}, {}
        access = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[access] = grant.user
        token: dict[str, Any] = {"access_token": access, "token_type": "Bearer", "expires_in": 3600}
        if isinstance(grant.user, SlackUser):
            token["ok"] = True
            token["id_token"] = self._id_token(grant, grant.user)
        else:
            token["scope"] = "identify guilds"
        return 200, token, {}

    def _bearer_user(self, handler: BaseHTTPRequestHandler) -> DiscordUser | SlackUser | None:
        header = handler.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return None
        with self._lock:
            user = self._tokens.get(header[7:])
        # As the real provider: what the user is now, not what they were at sign-in.
        current = self.discord_user
        if isinstance(user, DiscordUser) and current is not None and current.id == user.id:
            return current
        return user

    def revoke_tokens(self) -> None:
        """Every access token handed out stops working (the user revoked the app)."""
        with self._lock:
            self._tokens.clear()

    def _discord_me(self, handler: BaseHTTPRequestHandler) -> Answer:
        user = self._bearer_user(handler)
        if not isinstance(user, DiscordUser):
            return 401, {"message": "401: Unauthorized", "code": 0}, {}
        return 200, {"id": user.id, "username": user.username, "global_name": user.username}, {}

    def _discord_guilds(self, handler: BaseHTTPRequestHandler) -> Answer:
        user = self._bearer_user(handler)
        if not isinstance(user, DiscordUser):
            return 401, {"message": "401: Unauthorized", "code": 0}, {}
        guilds = [
            {"id": g.id, "name": g.name, "owner": g.owner, "permissions": str(g.permissions)}
            for g in user.guilds
        ]
        return 200, guilds, {}

    def _discovery(self) -> Answer:
        base = self.url
        return (
            200,
            {
                "issuer": base,
                "authorization_endpoint": f"{base}/openid/connect/authorize",
                "token_endpoint": f"{base}/api/openid.connect.token",
                "jwks_uri": f"{base}/openid/connect/keys",
                "scopes_supported": ["openid", "profile", "email"],
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "client_secret_basic",
                ],
            },
            {},
        )

    def _public_jwk(self) -> dict[str, Any]:
        public = dict(self._key.as_dict(private=False))
        public.update({"alg": "RS256", "use": "sig", "kid": "fake-1"})
        return public

    def _id_token(self, grant: Grant, user: SlackUser) -> str:
        now = int(time.time())
        claims = {
            "iss": self.url,
            "sub": user.user_id,
            "aud": grant.client_id,
            "exp": now + 3600,
            "iat": now,
            "auth_time": now,
            "nonce": grant.nonce,
            "name": user.name,
            "https://slack.com/user_id": user.user_id,
            "https://slack.com/team_id": user.team_id,
            "https://slack.com/team_name": user.team_name,
        }
        claims.update(self.id_token_claims)
        if self.sign_with_unknown_key:
            stranger = RSAKey.generate_key(2048, {"kid": "fake-1"})
            return jwt.encode({"alg": "RS256", "kid": "fake-1"}, claims, stranger)
        return jwt.encode({"alg": "RS256", "kid": "fake-1"}, claims, self._key)
