"""Signing in: Discord OAuth2 and Sign in with Slack (OpenID Connect), through Authlib.

Both use the authorization-code flow with PKCE (S256) and a `state` kept in the signed session
cookie; Authlib refuses a callback whose `state` is not the one it sent. What a person may
manage is read once, at login, the same way the chat adapters decide it:

- Discord: the servers from `/users/@me/guilds` where they own the server or hold Manage
  Server or Administrator (scopes `identify guilds`).
- Slack: the workspace of the verified id_token (RS256, issuer and audience checked), if
  Slack says they are an admin or owner there, or in the configured admin user group
  (`users.info` with newsbot's bot token, as `/news` does).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from authlib.integrations.starlette_client import OAuth

from bot.channels.overview import Viewer
from bot.config import Settings, WebSettings
from bot.store.db import Database

log = logging.getLogger(__name__)

# Discord permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5

DISCORD_SCOPES = "identify guilds"
SLACK_SCOPES = "openid profile"
SLACK_TEAM_CLAIM = "https://slack.com/team_id"
SLACK_TEAM_NAME_CLAIM = "https://slack.com/team_name"
SLACK_USER_CLAIM = "https://slack.com/user_id"

# (team id, user id) -> may this person manage channels in that Slack workspace?
SlackManageCheck = Callable[[str, str], Awaitable[bool]]


@dataclass(frozen=True)
class SignedIn:
    """Who signed in, what they may manage, and the names of those servers/workspaces."""

    provider: str
    viewer: Viewer
    labels: Mapping[tuple[str, str], str]


def providers(web: WebSettings) -> list[str]:
    """The login providers configured (id and secret both set), in display order."""
    found = []
    if web.discord_client_id and web.discord_client_secret:
        found.append("discord")
    if web.slack_client_id and web.slack_client_secret:
        found.append("slack")
    return found


def oauth_clients(web: WebSettings) -> OAuth:
    """An Authlib registry with the configured providers, PKCE on both."""
    oauth = OAuth()
    if web.discord_client_id and web.discord_client_secret:
        base = web.discord_url.rstrip("/")
        oauth.register(
            "discord",
            client_id=web.discord_client_id,
            client_secret=web.discord_client_secret.get_secret_value(),
            authorize_url=f"{base}/oauth2/authorize",
            access_token_url=f"{base}/api/oauth2/token",
            api_base_url=f"{base}/api/v10/",
            client_kwargs={"scope": DISCORD_SCOPES, "code_challenge_method": "S256"},
        )
    if web.slack_client_id and web.slack_client_secret:
        oauth.register(
            "slack",
            client_id=web.slack_client_id,
            client_secret=web.slack_client_secret.get_secret_value(),
            server_metadata_url=web.slack_openid_configuration,
            client_kwargs={"scope": SLACK_SCOPES, "code_challenge_method": "S256"},
        )
    return oauth


def manageable_guilds(guilds: Iterable[Any]) -> dict[str, str]:
    """Guild id -> name of the servers where this member may manage (owner, Manage Server or
    Administrator); anything malformed counts as not manageable."""
    found: dict[str, str] = {}
    for guild in guilds:
        if not isinstance(guild, dict) or not isinstance(guild.get("id"), str):
            continue
        try:
            permissions = int(guild.get("permissions", "0"))
        except (TypeError, ValueError):
            permissions = 0
        if guild.get("owner") is True or permissions & (MANAGE_GUILD | ADMINISTRATOR):
            found[guild["id"]] = str(guild.get("name") or guild["id"])
    return found


async def discord_user(client: Any, token: Mapping[str, Any]) -> SignedIn:
    """The Discord member behind `token` and the servers they manage."""
    me = (await client.get("users/@me", token=token)).json()
    guilds = (await client.get("users/@me/guilds", token=token)).json()
    if not isinstance(me, dict) or not isinstance(me.get("id"), str):
        raise ValueError("Discord did not say who signed in")
    managed = manageable_guilds(guilds if isinstance(guilds, list) else [])
    name = str(me.get("global_name") or me.get("username") or me["id"])
    viewer = Viewer(
        user_id=me["id"],
        display_name=name,
        workspaces=frozenset(("discord", guild) for guild in managed),
    )
    labels = {("discord", guild): label for guild, label in managed.items()}
    return SignedIn("discord", viewer, labels)


async def slack_user(token: Mapping[str, Any], may_manage: SlackManageCheck) -> SignedIn:
    """The Slack member of a verified id_token, and their workspace if they manage it there."""
    claims = token.get("userinfo")
    if not isinstance(claims, Mapping):
        raise ValueError("Slack sent no id_token")
    team = claims.get(SLACK_TEAM_CLAIM)
    user = claims.get(SLACK_USER_CLAIM) or claims.get("sub")
    if not isinstance(team, str) or not isinstance(user, str):
        raise ValueError("the Slack id_token names no workspace or user")
    managed = await may_manage(team, user)
    workspaces = frozenset({("slack", team)}) if managed else frozenset()
    viewer = Viewer(
        user_id=user, display_name=str(claims.get("name") or user), workspaces=workspaces
    )
    label = str(claims.get(SLACK_TEAM_NAME_CLAIM) or team)
    return SignedIn("slack", viewer, {("slack", team): label})


def slack_manage_check(settings: Settings, db: Database) -> SlackManageCheck:
    """The chat commands' rule (admins, owners, the admin user group), asked with newsbot's
    bot token for that workspace; False when newsbot is not installed there."""

    async def may_manage(team: str, user: str) -> bool:
        # Imported only when Slack login is used: slack-bolt is large.
        from adapters.slack_bot.client import make_web_client
        from adapters.slack_bot.install import (
            NotInstalled,
            is_multi_workspace,
            oauth_setup,
            token_source,
        )
        from adapters.slack_bot.permissions import caller_can_manage

        slack = settings.slack
        if slack.bot_token is None and not is_multi_workspace(slack):
            log.warning("web: Slack login needs newsbot's Slack bot token to check admins")
            return False
        oauth = oauth_setup(slack, db) if is_multi_workspace(slack) else None
        try:
            bot_token = await token_source(slack, oauth).bot_token(team)
        except NotInstalled:
            return False
        client = make_web_client(slack, token=bot_token)
        return await caller_can_manage(client, user, slack.admin_usergroup)

    return may_manage
