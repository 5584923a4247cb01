"""What every dashboard request may use, and the checks every route depends on.

`Dashboard` is built once by the app factory and kept on `app.state`. The dependencies here
run on every request: `current_session` (who is asking, from the signed cookie),
`managed_channel` (may they manage this channel?) and `checked_form` (does the form carry
this session's CSRF token?). A route cannot forget them: the router applies
`current_session` to all, and a channel route gets its `ChannelRef` only through
`managed_channel`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.starlette_client import OAuth
from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from starlette.datastructures import FormData

from adapters.web.auth import SlackManageCheck
from adapters.web.sessions import SESSION_KEY, Session, SessionRegistry, csrf_matches
from bot.channels.overview import NOT_YOURS, Overview, Viewer
from bot.channels.ports import ChatCommands
from bot.errors import PermissionDenied
from bot.models import ChannelRef

log = logging.getLogger(__name__)

OPERATOR = Viewer(user_id="operator", display_name="local operator", workspaces=None)
MAX_ID_CHARS = 64  # the channels table's workspace and channel columns


class LoginRequired(Exception):
    """No open session: sign in first."""


class FormRefused(Exception):
    """A form without this session's CSRF token: nothing is done."""


@dataclass(frozen=True)
class Dashboard:
    """The dashboard's dependencies, built once by `create_dashboard`."""

    commands: ChatCommands
    overview: Overview
    sessions: SessionRegistry
    oauth: OAuth
    providers: tuple[str, ...]
    templates: Jinja2Templates
    slack_check: SlackManageCheck
    public_url: str | None
    local_channels: tuple[ChannelRef, ...]  # shown to the local operator before first use

    @property
    def local_only(self) -> bool:
        """No login configured: the local operator manages everything, on 127.0.0.1 only."""
        return not self.providers


def dashboard(request: Request) -> Dashboard:
    found: Dashboard = request.app.state.dashboard
    return found


async def current_session(request: Request) -> Session:
    """The open session the cookie names; for the local operator, one opened on first visit."""
    board = dashboard(request)
    session_id = request.session.get(SESSION_KEY)
    found = board.sessions.find(session_id)
    if found is not None:
        if board.sessions.due_for_recheck(found):
            return await _recheck(board, str(session_id), found)
        return found
    if not board.local_only:
        raise LoginRequired
    request.session.clear()
    session_id, opened = board.sessions.open(OPERATOR, provider="local")
    request.session[SESSION_KEY] = session_id
    return opened


async def _recheck(board: Dashboard, session_id: str, session: Session) -> Session:
    """Read again what this person manages; if the provider will not say, sign them out."""
    assert session.recheck is not None
    try:
        signed = await session.recheck()
    except (httpx.HTTPError, ValueError, AuthlibBaseError) as error:
        log.warning("web: %s permissions could not be read again: %s", session.provider, error)
        board.sessions.close(session_id)
        raise LoginRequired from None
    return board.sessions.rechecked(session_id, signed)


CurrentSession = Annotated[Session, Depends(current_session)]


def managed_channel(
    platform: str, workspace: str, channel: str, session: CurrentSession
) -> ChannelRef:
    """The channel of the URL, if this person may manage it; refused otherwise.

    A channel that does not exist is refused the same way, so ids cannot be probed.
    """
    where = ChannelRef(platform, workspace, channel)
    sizes_ok = all(0 < len(part) <= MAX_ID_CHARS for part in (platform, workspace, channel))
    if not sizes_ok or not session.viewer.may_manage(where):
        raise PermissionDenied(NOT_YOURS)
    return where


ManagedChannel = Annotated[ChannelRef, Depends(managed_channel)]


async def checked_form(request: Request, session: CurrentSession) -> FormData:
    """The posted form, if it carries this session's CSRF token."""
    form = await request.form()
    if not csrf_matches(session, form.get("csrf_token")):
        raise FormRefused
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def page_context(request: Request, session: Session | None, **values: Any) -> dict[str, Any]:
    """What every template gets: who is signed in, their CSRF token, the one-time message."""
    board = dashboard(request)
    return {
        "session": session,
        "viewer": session.viewer if session else None,
        "csrf_token": session.csrf_token if session else "",
        "flash": board.sessions.take_flash(request.session.get(SESSION_KEY)),
        "local_only": board.local_only,
        "providers": board.providers,
        **values,
    }


def form_text(form: FormData, name: str) -> str:
    """A text field of a form; "" when it is missing or a file. Length limits are the core's."""
    value = form.get(name)
    return value if isinstance(value, str) else ""


def flash(request: Request, text: str, *, ok: bool) -> None:
    """Show `text` once on the next page of this session."""
    dashboard(request).sessions.flash(request.session.get(SESSION_KEY), text, ok=ok)
