"""Sign-in and sign-out routes: the login page, the redirect to a provider, its callback."""

from __future__ import annotations

import logging

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuthError
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc.errors import JoseError

from adapters.web.auth import SignedIn, discord_user, slack_user
from adapters.web.context import (
    CheckedForm,
    Dashboard,
    current_session,
    dashboard,
    page_context,
)
from adapters.web.sessions import SESSION_KEY

log = logging.getLogger(__name__)

router = APIRouter()

PROVIDER_NAMES = {"discord": "Discord", "slack": "Slack"}


def _page(request: Request, text: str, status: int) -> HTMLResponse:
    context = page_context(request, None, message=text)
    return dashboard(request).templates.TemplateResponse(
        request, "message.html", context, status_code=status
    )


def _callback_url(board: Dashboard, request: Request, provider: str) -> str:
    if board.public_url:
        return f"{board.public_url.rstrip('/')}/auth/{provider}"
    return str(request.url_for("sign_in_callback", provider=provider))


@router.get("/login", response_class=HTMLResponse)
async def login_page(request: Request) -> Response:
    """The sign-in buttons (the local operator needs none)."""
    board = dashboard(request)
    if board.local_only:
        return RedirectResponse("/", status_code=303)
    context = page_context(request, None, names=PROVIDER_NAMES)
    return board.templates.TemplateResponse(request, "login.html", context)


@router.get("/login/{provider}")
async def sign_in(request: Request, provider: str) -> Response:
    """Off to Discord or Slack, with a fresh `state` and PKCE verifier in the session."""
    board = dashboard(request)
    client = board.oauth.create_client(provider) if provider in board.providers else None
    if client is None:
        return _page(request, "That sign-in method is not set up here.", 404)
    try:
        response: Response = await client.authorize_redirect(
            request, _callback_url(board, request, provider)
        )
    except httpx.HTTPError as error:  # Slack's discovery document could not be read
        log.warning("web: %s sign-in could not start: %s", provider, error)
        return _page(request, f"{PROVIDER_NAMES[provider]} could not be reached; try again.", 502)
    return response


@router.get("/auth/{provider}", name="sign_in_callback")
async def sign_in_callback(request: Request, provider: str) -> Response:
    """The provider's answer: refused unless its `state` is the one this browser was sent with."""
    board = dashboard(request)
    client = board.oauth.create_client(provider) if provider in board.providers else None
    if client is None:
        return _page(request, "That sign-in method is not set up here.", 404)
    name = PROVIDER_NAMES[provider]
    try:
        token = await client.authorize_access_token(request)

        async def recheck() -> SignedIn:  # the token stays on the server, in this closure
            if provider == "discord":
                return await discord_user(client, token)
            return await slack_user(token, board.slack_check)

        signed = await recheck()
    except OAuthError as error:  # a wrong or missing state, a refused code...
        log.warning("web: %s sign-in refused: %s", provider, error.error)
        return _page(request, f"Signing in with {name} failed ({error.error}); try again.", 400)
    except (AuthlibBaseError, JoseError) as error:  # an id_token that does not verify
        log.warning("web: %s sign-in refused: %s", provider, type(error).__name__)
        return _page(request, f"Signing in with {name} failed (invalid token); try again.", 400)
    except (httpx.HTTPError, ValueError) as error:
        log.warning("web: %s sign-in failed: %s", provider, type(error).__name__)
        return _page(request, f"{name} did not answer as expected; try signing in again.", 502)
    # A new session id after login: one planted in this browser before does not become valid.
    board.sessions.close(request.session.get(SESSION_KEY))
    request.session.clear()
    session_id, _ = board.sessions.open(
        signed.viewer, provider=provider, labels=signed.labels, recheck=recheck
    )
    request.session[SESSION_KEY] = session_id
    return RedirectResponse("/", status_code=303)


@router.post("/logout", dependencies=[Depends(current_session)])
async def sign_out(request: Request, form: CheckedForm) -> Response:
    """End the session: its cookie is refused from now on, even if replayed."""
    board = dashboard(request)
    board.sessions.close(request.session.get(SESSION_KEY))
    request.session.clear()
    return RedirectResponse("/login" if not board.local_only else "/", status_code=303)
