"""The dashboard's app factory: `create_dashboard(app)` -> an ASGI app serving the pages.

It wires the web layer to the composition root's `App` (its chat commands and database) and
nothing else: no SQL and no rules here. Middleware, outermost first: security headers, the
Host check (a DNS-rebinding page must not reach the login-free local dashboard), the signed
session cookie.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from adapters.console import CONSOLE_CHANNEL
from adapters.web import login, pages
from adapters.web.auth import SlackManageCheck, oauth_clients, providers, slack_manage_check
from adapters.web.context import Dashboard, FormRefused, LoginRequired, page_context
from adapters.web.security import SecurityHeaders, web_link
from adapters.web.sessions import SessionRegistry
from bot.app import App
from bot.channels.overview import Overview
from bot.config import WebSettings
from bot.digest.render import reader_note
from bot.errors import ConfigError, NewsbotError, PermissionDenied, user_message
from bot.models import ChannelRef

HERE = Path(__file__).resolve().parent
COOKIE = "newsbot_session"
LOCAL_HOSTS = ("127.0.0.1", "localhost")
FORM_REFUSED = (
    "This form has expired or did not come from this dashboard, so nothing was changed. "
    "Reload the page and try again."
)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.1, ::1 and localhost: addresses only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_web_settings(web: WebSettings) -> None:
    """ConfigError when the dashboard would serve other machines without a login."""
    if not providers(web) and not is_loopback(web.host):
        raise ConfigError(
            f"the dashboard has no login configured, so it serves this machine only; "
            f"set web.host to 127.0.0.1 (not {web.host}), or configure a Discord or Slack "
            "login (web.discord_client_id or web.slack_client_id, with its secret)."
        )
    if web.public_url and urlsplit(web.public_url).scheme not in ("http", "https"):
        raise ConfigError("web.public_url must start with https:// (or http:// for testing).")


def create_dashboard(
    app: App,
    *,
    slack_check: SlackManageCheck | None = None,
    local_channels: Sequence[ChannelRef] = (CONSOLE_CHANNEL,),
) -> FastAPI:
    """The dashboard over `app`; `slack_check` replaces the Slack admin lookup (tests)."""
    web = app.settings.web
    check_web_settings(web)
    board = Dashboard(
        commands=app.commands,
        overview=Overview(app.db, app.settings, app.clock),
        sessions=SessionRegistry(max_age_s=web.session_max_age_s),
        oauth=oauth_clients(web),
        providers=tuple(providers(web)),
        templates=_templates(),
        slack_check=slack_check or slack_manage_check(app.settings, app.db),
        public_url=web.public_url,
        local_channels=tuple(local_channels),
    )
    api = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    api.state.dashboard = board
    api.include_router(login.router)
    api.include_router(pages.router)
    api.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    _add_error_pages(api)
    secret = web.session_secret.get_secret_value() if web.session_secret else None
    api.add_middleware(
        SessionMiddleware,
        secret_key=secret or secrets.token_urlsafe(32),
        session_cookie=COOKIE,
        max_age=web.session_max_age_s,
        same_site="lax",
        https_only=bool(web.public_url and web.public_url.startswith("https://")),
    )
    api.add_middleware(TrustedHostMiddleware, allowed_hosts=_allowed_hosts(web, board))
    api.add_middleware(SecurityHeaders)
    return api


def _allowed_hosts(web: WebSettings, board: Dashboard) -> list[str]:
    if board.local_only:
        return list(LOCAL_HOSTS)
    if web.public_url:
        return [urlsplit(web.public_url).hostname or "", *LOCAL_HOSTS]
    return ["*"]


def _templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=HERE / "templates")
    templates.env.filters["utc"] = utc_text
    templates.env.filters["local"] = local_text
    templates.env.filters["web_link"] = web_link
    # Why an LLM summary was refused repeats the refused words: readers see only their part.
    templates.env.filters["reader_note"] = reader_note
    templates.env.globals["channel_path"] = pages.channel_path
    return templates


def utc_text(moment: datetime | None) -> str:
    """A stored UTC time for people: `2026-04-01 09:30 UTC`, or a dash when there is none."""
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else "—"


def local_text(moment: datetime | None, zone: str) -> str:
    """A UTC time in a channel's own zone, e.g. `2026-04-01 11:30 Europe/Berlin`."""
    if moment is None:
        return "—"
    try:
        return f"{moment.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"
    except (ZoneInfoNotFoundError, ValueError):
        return utc_text(moment)


def _add_error_pages(api: FastAPI) -> None:
    def message(request: Request, text: str, status: int) -> HTMLResponse:
        board: Dashboard = request.app.state.dashboard
        context = page_context(request, None, message=text)
        return board.templates.TemplateResponse(
            request, "message.html", context, status_code=status
        )

    async def login_required(request: Request, error: Exception) -> Response:
        if request.method in ("GET", "HEAD"):
            return RedirectResponse("/login", status_code=303)
        return message(request, "Your session has ended; sign in again.", 403)

    async def form_refused(request: Request, error: Exception) -> Response:
        return message(request, FORM_REFUSED, 403)

    async def refused(request: Request, error: Exception) -> Response:
        status = 403 if isinstance(error, PermissionDenied) else 400
        return message(request, user_message(error), status)

    api.add_exception_handler(LoginRequired, login_required)
    api.add_exception_handler(FormRefused, form_refused)
    api.add_exception_handler(NewsbotError, refused)
