"""The dashboard's pages and forms. Each translates: request in, core call, template out.

Forms call the same `ChatCommands` methods as `/news` in chat (so a URL is checked the same
way, a bad setting refused with the same sentence), then redirect back with the `Reply`'s
text as a one-time message. Pages read through `Overview`, scoped to the viewer.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any
from urllib.parse import quote
from zoneinfo import available_timezones

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from adapters.web.context import (
    CheckedForm,
    CurrentSession,
    ManagedChannel,
    current_session,
    dashboard,
    flash,
    form_text,
    page_context,
)
from adapters.web.sessions import Session
from bot.channels.topics import split_word_list
from bot.errors import NewsbotError
from bot.models import ChannelRef, Reply
from bot.store.dashboard import ChannelSummary

router = APIRouter(dependencies=[Depends(current_session)])

SETTING_FIELDS = ("time", "timezone", "max_items", "summariser", "digest")


@cache
def time_zones() -> tuple[str, ...]:
    """IANA zone names offered by the time zone field (read from disk once)."""
    return tuple(sorted(available_timezones()))


def channel_path(where: ChannelRef) -> str:
    """The dashboard URL of a channel's page."""
    parts = (where.platform, where.workspace, where.channel)
    return "/channels/" + "/".join(quote(part, safe="") for part in parts)


def _render(
    request: Request, session: Session, template: str, status: int = 200, **values: Any
) -> HTMLResponse:
    board = dashboard(request)
    context = page_context(request, session, **values)
    return board.templates.TemplateResponse(request, template, context, status_code=status)


def _back(request: Request, where: ChannelRef, reply: Reply) -> RedirectResponse:
    """After a form: the channel page again, with the command's answer shown once."""
    text = "\n".join([reply.text, *reply.lines])
    flash(request, text, ok=reply.ok)
    return RedirectResponse(channel_path(where), status_code=303)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request, session: CurrentSession) -> HTMLResponse:
    """The channels of every server and workspace this person manages."""
    board = dashboard(request)
    channels = await board.overview.channels(session.viewer)
    groups: dict[tuple[str, str], list[ChannelSummary | ChannelRef]] = defaultdict(list)
    for channel in channels:
        groups[(channel.where.platform, channel.where.workspace)].append(channel)
    if session.viewer.workspaces is None:
        known = {c.where for c in channels}
        for where in board.local_channels:
            if where not in known:
                groups[(where.platform, where.workspace)].append(where)
    else:
        for key in sorted(session.viewer.workspaces):
            groups.setdefault(key, [])
    return _render(request, session, "home.html", groups=dict(sorted(groups.items())))


@router.get("/channels/{platform}/{workspace}/{channel}", response_class=HTMLResponse)
async def channel_page(
    request: Request, session: CurrentSession, where: ManagedChannel
) -> HTMLResponse:
    """A channel's subscriptions and settings, with forms to change them."""
    overview = dashboard(request).overview
    page = await overview.channel(session.viewer, where)
    return _render(
        request,
        session,
        "channel.html",
        page=page,
        defaults=overview.settings.digest,
        zones=time_zones(),
    )


@router.post("/channels/{platform}/{workspace}/{channel}/subscribe")
async def subscribe(
    request: Request, session: CurrentSession, where: ManagedChannel, form: CheckedForm
) -> Response:
    """Follow a feed URL, an OPML file's feeds, or a topic, with optional word filters."""
    try:
        include = split_word_list(form_text(form, "include"))
        exclude = split_word_list(form_text(form, "exclude"))
    except NewsbotError as error:
        return _back(request, where, Reply(text=str(error), ok=False))
    reply = await dashboard(request).commands.subscribe(
        where,
        session.viewer.caller(where),
        form_text(form, "target"),
        include=include,
        exclude=exclude,
    )
    return _back(request, where, reply)


@router.post("/channels/{platform}/{workspace}/{channel}/unsubscribe")
async def unsubscribe(
    request: Request, session: CurrentSession, where: ManagedChannel, form: CheckedForm
) -> Response:
    """Stop following a feed or topic."""
    reply = await dashboard(request).commands.unsubscribe(
        where, session.viewer.caller(where), form_text(form, "target")
    )
    return _back(request, where, reply)


@router.post("/channels/{platform}/{workspace}/{channel}/settings")
async def change_settings(
    request: Request, session: CurrentSession, where: ManagedChannel, form: CheckedForm
) -> Response:
    """Digest time, time zone, size, summariser, on/off: all valid, or nothing changes."""
    changes = {name: form_text(form, name).strip() for name in SETTING_FIELDS}
    changes = {name: value for name, value in changes.items() if value}
    if not changes:
        return _back(request, where, Reply(text="Nothing to change.", ok=False))
    reply = await dashboard(request).commands.settings(where, session.viewer.caller(where), changes)
    return _back(request, where, reply)


@router.get("/channels/{platform}/{workspace}/{channel}/preview", response_class=HTMLResponse)
async def digest_preview(
    request: Request, session: CurrentSession, where: ManagedChannel
) -> HTMLResponse:
    """The channel's next digest, built now from what it would hold so far."""
    reply = await dashboard(request).commands.digest_now(where, session.viewer.caller(where))
    return _render(request, session, "preview.html", where=where, digest_reply=reply)


@router.get("/channels/{platform}/{workspace}/{channel}/deliveries", response_class=HTMLResponse)
async def delivery_log(
    request: Request, session: CurrentSession, where: ManagedChannel
) -> HTMLResponse:
    """What was posted when, what failed and why, and what the next digest skips."""
    board = dashboard(request)
    deliveries = await board.overview.deliveries(session.viewer, where)
    status = await board.commands.status(where)
    return _render(
        request, session, "deliveries.html", where=where, deliveries=deliveries, status_reply=status
    )


@router.get("/feeds", response_class=HTMLResponse)
async def feed_health(request: Request, session: CurrentSession) -> HTMLResponse:
    """Every feed this person's channels follow: status, failures, next poll."""
    feeds = await dashboard(request).overview.feeds(session.viewer)
    return _render(request, session, "feeds.html", feeds=feeds)


@router.post("/feeds/{feed_id}/enable")
async def enable_feed(
    request: Request, session: CurrentSession, feed_id: int, form: CheckedForm
) -> Response:
    """Poll a disabled feed again."""
    try:
        reply = await dashboard(request).overview.enable_feed(session.viewer, feed_id)
    except NewsbotError as error:
        reply = Reply(text=str(error), ok=False)
    flash(request, reply.text, ok=reply.ok)
    return RedirectResponse("/feeds", status_code=303)


@router.get("/llm", response_class=HTMLResponse)
async def llm_use(request: Request, session: CurrentSession) -> HTMLResponse:
    """Tokens used today against the budget, and digests summarised without the LLM."""
    use = await dashboard(request).overview.llm_use(session.viewer)
    return _render(request, session, "llm.html", use=use)
