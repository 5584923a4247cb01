"""Which bot token speaks for which Slack workspace: one token, or OAuth installs in our database.

Single-workspace mode needs only a bot token (`xoxb-`). Multi-workspace mode runs Slack's
OAuth v2 install flow (bolt's `AsyncOAuthSettings`) and keeps installations and OAuth state
in the project's own database (SQLite or PostgreSQL) through slack_sdk's
`AsyncSQLAlchemyInstallationStore` and `AsyncSQLAlchemyOAuthStateStore`. Both take an
SQLAlchemy `AsyncEngine`, so they share the bot's own (`Database.engine`: aiosqlite or
asyncpg) and never block the event loop; no sync store wrapped in threads is needed. Their tables
(`slack_installations`, `slack_bots`, `slack_oauth_states`) are slack_sdk's own schema, so
they are created by slack_sdk's `create_tables()` (CREATE IF NOT EXISTS) when the adapter
starts rather than by our Alembic migrations.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore

from bot.config import SlackSettings
from bot.errors import ConfigError
from bot.store.db import Database


class NotInstalled(LookupError):
    """No bot token is known for this workspace (never installed, or uninstalled)."""


class TokenSource(Protocol):
    """Finds the bot token to use for a workspace (Slack team id)."""

    async def bot_token(self, workspace: str) -> str: ...


@dataclass(frozen=True)
class SingleWorkspaceTokens:
    """One workspace, one configured bot token."""

    token: str

    async def bot_token(self, workspace: str) -> str:
        return self.token


@dataclass(frozen=True)
class InstalledWorkspaceTokens:
    """The bot token stored by the OAuth install of each workspace."""

    store: AsyncSQLAlchemyInstallationStore

    async def bot_token(self, workspace: str) -> str:
        bot = await self.store.async_find_bot(enterprise_id=None, team_id=workspace)
        if bot is None or not bot.bot_token:
            raise NotInstalled(f"newsbot is not installed in the Slack workspace {workspace}.")
        return str(bot.bot_token)


@dataclass(frozen=True)
class OAuthSetup:
    """What bolt needs for multi-workspace installs, on the project's database."""

    settings: AsyncOAuthSettings
    installations: AsyncSQLAlchemyInstallationStore
    states: AsyncSQLAlchemyOAuthStateStore

    async def create_tables(self) -> None:
        """Create slack_sdk's installation and state tables if they are missing."""
        await self.installations.create_tables()  # type: ignore[no-untyped-call]
        await self.states.create_tables()  # type: ignore[no-untyped-call]


def is_multi_workspace(slack: SlackSettings) -> bool:
    """OAuth installs are used when a client id and secret are configured."""
    return bool(slack.client_id and slack.client_secret)


def oauth_setup(slack: SlackSettings, db: Database) -> OAuthSetup:
    """Bolt OAuth settings whose installation and state stores live in newsbot's database."""
    if not (slack.client_id and slack.client_secret):
        raise ConfigError(
            "Slack OAuth needs both slack.client_id and NEWSBOT_SLACK__CLIENT_SECRET; "
            "set both, or use a single workspace with NEWSBOT_SLACK__BOT_TOKEN."
        )
    installations = AsyncSQLAlchemyInstallationStore(client_id=slack.client_id, engine=db.engine)
    states = AsyncSQLAlchemyOAuthStateStore(
        expiration_seconds=slack.oauth_state_expiration_s, engine=db.engine
    )
    settings = AsyncOAuthSettings(
        client_id=slack.client_id,
        client_secret=slack.client_secret.get_secret_value(),
        scopes=list(slack.scopes),
        redirect_uri=slack.redirect_uri,
        install_path=slack.install_path,
        redirect_uri_path=slack.redirect_uri_path,
        authorization_url=slack.authorization_url,
        installation_store=installations,
        state_store=states,
        state_expiration_seconds=slack.oauth_state_expiration_s,
    )
    return OAuthSetup(settings=settings, installations=installations, states=states)


def token_source(slack: SlackSettings, oauth: OAuthSetup | None) -> TokenSource:
    """Tokens from the installation store in OAuth mode, else the configured bot token."""
    if oauth is not None:
        return InstalledWorkspaceTokens(oauth.installations)
    if slack.bot_token is None:
        raise ConfigError(
            "Slack needs NEWSBOT_SLACK__BOT_TOKEN (one workspace) or slack.client_id with "
            "NEWSBOT_SLACK__CLIENT_SECRET (OAuth installs into many workspaces)."
        )
    return SingleWorkspaceTokens(slack.bot_token.get_secret_value())
