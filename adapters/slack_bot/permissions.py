"""Who may manage a channel, and whether newsbot can post in one: asked of Slack every time.

The core decides what a manager may do; the adapter only says who is one: workspace admins
and owners, and members of the configured user group. Before a channel subscribes, the
adapter checks that newsbot is in it, or its digests would be refused every day.
"""

from __future__ import annotations

import logging

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack_bot.client import error_code

log = logging.getLogger(__name__)


async def caller_can_manage(
    client: AsyncWebClient, user_id: str, admin_usergroup: str | None
) -> bool:
    """Workspace admins and owners, and members of the configured user group."""
    try:
        info = await client.users_info(user=user_id)
    except SlackApiError as error:
        log.warning("slack: users.info for %s failed: %s", user_id, error_code(error))
        return False
    user = info.get("user") or {}
    if user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"):
        return True
    if not admin_usergroup:
        return False
    try:
        members = await client.usergroups_users_list(usergroup=admin_usergroup)
    except SlackApiError as error:
        log.warning(
            "slack: usergroups.users.list %s failed: %s", admin_usergroup, error_code(error)
        )
        return False
    return user_id in (members.get("users") or [])


NOT_IN_CHANNEL = (
    "newsbot is not in this channel, so it could not post digests here: invite it with "
    "/invite @newsbot, then subscribe again."
)
NOT_IN_OTHERS_DM = (
    "newsbot cannot post in a direct message between other people: subscribe in a channel "
    "newsbot is in, or in newsbot's own Messages tab."
)
ARCHIVED = "This channel is archived, so newsbot could not post digests here; unarchive it first."


async def posting_refusal(client: AsyncWebClient, channel: str) -> str | None:
    """Why newsbot could not post in `channel` (one sentence), or None when it can.

    Asks conversations.info (`is_member`; a private channel newsbot is not in is
    `channel_not_found` to it). When Slack cannot answer (a token without channels:read,
    a network error) the check is skipped: the outbox still says why a post failed.
    """
    try:
        info = await client.conversations_info(channel=channel)
    except SlackApiError as error:
        code = error_code(error)
        if code == "channel_not_found":
            return NOT_IN_OTHERS_DM if channel.startswith("D") else NOT_IN_CHANNEL
        log.warning(
            "slack: could not check newsbot's membership of %s (%s)%s",
            channel,
            code,
            "; add the channels:read and groups:read scopes" if code == "missing_scope" else "",
        )
        return None
    except (aiohttp.ClientError, TimeoutError) as error:
        log.warning("slack: could not check newsbot's membership of %s: %r", channel, error)
        return None
    conversation = info.get("channel") or {}
    if conversation.get("is_im"):
        return None  # newsbot's own DM with this person
    if conversation.get("is_archived"):
        return ARCHIVED
    if not conversation.get("is_member"):
        return NOT_IN_CHANNEL
    return None
