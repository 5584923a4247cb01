"""newsbot on Slack: the bolt app, its poster and listeners, and the connection to Slack.

Socket Mode (an `xapp-` token, no public URL) or HTTP mode (aiohttp; bolt checks the request
signature and its 5-minute window); one bot token, or OAuth installs into many workspaces
stored in our database (`adapters.slack_bot.install`). Start-up checks the tokens with Slack
and stops with one sentence when Slack refuses one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from adapters.slack_bot.client import error_code, make_web_client
from adapters.slack_bot.install import OAuthSetup, is_multi_workspace, oauth_setup, token_source
from adapters.slack_bot.listeners import SlackListeners
from adapters.slack_bot.poster import ChannelPacer, SlackPoster
from bot.app import App
from bot.channels.ports import ChatCommands
from bot.config import Settings, SlackSettings
from bot.errors import ConfigError, NewsbotError

log = logging.getLogger(__name__)

SOCKET_CONNECT_TIMEOUT_S = 30.0


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
        self, app: App, settings: Settings, *, commands: ChatCommands | None = None
    ) -> None:
        """`commands` defaults to the app's shared `Commands` (tests may pass others)."""
        slack = settings.slack
        check_settings(slack)
        self.settings = slack
        self.oauth: OAuthSetup | None = (
            oauth_setup(slack, app.db) if is_multi_workspace(slack) else None
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
        auth = await self._start_up_call(
            self.client.auth_test(),
            "Slack refused NEWSBOT_SLACK__BOT_TOKEN ({code}); copy the Bot User OAuth Token "
            "(xoxb-...) from the app's OAuth & Permissions page.",
        )
        log.info("slack: bot %s in workspace %s", auth.get("user_id"), auth.get("team_id"))

    async def _connect_socket(self) -> None:
        app_token = self.settings.app_token.get_secret_value() if self.settings.app_token else ""
        # Asked here so a refused token is one clear error; slack_sdk would retry forever.
        opened = await self._start_up_call(
            self.client.apps_connections_open(app_token=app_token),
            "Slack refused NEWSBOT_SLACK__APP_TOKEN ({code}); create an app-level token with "
            "connections:write and enable Socket Mode.",
        )
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

    async def _start_up_call(
        self, call: Awaitable[AsyncSlackResponse], refused: str
    ) -> AsyncSlackResponse:
        """A call start-up depends on: Slack's refusal becomes `refused` (with its `{code}`),
        no answer at all one sentence naming the URL tried."""
        try:
            return await call
        except SlackApiError as error:
            raise ConfigError(refused.format(code=error_code(error))) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            raise NewsbotError(
                f"Slack could not be reached at {self.settings.api_url} "
                f"({type(error).__name__}); check the network, or slack.api_url."
            ) from None

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
